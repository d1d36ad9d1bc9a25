/**
 * Tells "the database cannot be reached right now" from every other failure, so callers can
 * answer "retry later" (the API's 503 `database_unavailable`) instead of "internal error".
 */

/** Socket errors of a connection that could not be made or was cut (Node `errno` codes). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * pg's own errors for a session that is gone or could not be had, which carry no code:
 * pg/lib/client.js ("Connection terminated unexpectedly", "... is not queryable") and
 * pg-pool/index.js ("timeout exceeded when trying to connect", "Connection terminated due to
 * connection timeout").
 */
const PG_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

/**
 * Whether `err` (or an error it wraps, through `cause` or an AggregateError) means the PostgreSQL
 * server is unreachable or dropped the session: SQLSTATE class 08 (connection exception), 57P01
 * to 57P05 (admin or crash shutdown, cannot connect now, database dropped, idle session timeout;
 * PostgreSQL Appendix A), a socket error, or pg's messages for a lost or timed-out session.
 * A statement timeout (57014) or any data error is not.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('08') || /^57P0[1-5]$/.test(code) || SOCKET_CODES.has(code))) return true;
    if (PG_MESSAGES.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
  }
  return false;
}
