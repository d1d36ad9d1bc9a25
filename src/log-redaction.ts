/**
 * What the logs never carry: passwords and other secrets, sealed values (`v1.<iv>.<tag>.<ct>`,
 * src/domain/secrets.ts), API keys and their hashes, authorization headers, and the statement and
 * parameters of database errors. pg's and PGlite's errors carry the failing statement and its
 * values (`query`, `params`), and PostgreSQL's `detail` can show them too ("Failing row contains
 * (...)", "Key (key_hash)=(...) already exists"); those fields are dropped, while `code`,
 * `constraint`, `table` and `column` say what failed.
 *
 * `redactingLoggerOptions` adds this to Fastify's logger options (pino): an `err` serializer and a
 * `formatters.log` that scrubs every logged object, so the app's log and every request logger
 * derived from it, and every `onError` reporter that logs through them, are covered.
 */
import type { FastifyServerOptions } from 'fastify';

/** Fastify's `logger` option as an object (pino options). */
export type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

export const REDACTED = '[redacted]';

/** Error fields holding a statement, its parameters or row values (pg DatabaseError, PGlite, Kysely). */
const DROPPED_ERROR_FIELDS = new Set(['query', 'params', 'parameters', 'sql', 'queryOptions', 'detail', 'internalQuery', 'values']);

/** Field names whose values are secret, whatever they hold. */
const SECRET_FIELD = /(pass(word|wd)?|secret|_enc|sealed|(^|_)pin|[a-z]Pin|key_?hash|authorization|cookie|token|api_?key|signature)$/i;

/** Secret-looking values inside any string: sealed values, API keys, 32-byte hex keys and SHA-256 hashes. */
const SECRET_VALUES: Array<[RegExp, string]> = [
  [/\bv1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*/g, '[sealed]'],
  [/\bsp_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/g, REDACTED],
  [/\b[0-9a-f]{64}\b/gi, REDACTED],
];

/** `text` with secret-looking values replaced. */
export function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_VALUES) out = out.replace(pattern, replacement);
  return out;
}

const isPlain = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * A copy of `value` without secrets: plain objects and arrays are copied with secret fields
 * replaced by `[redacted]` and strings scrubbed; errors become what `serializeError` makes; other
 * objects (requests, replies, buffers) are left to their serializers.
 */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return serializeError(value, depth);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (!isPlain(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) && v !== null && v !== undefined ? REDACTED : scrub(v, depth + 1);
  return out;
}

/**
 * pino's `err` serializer without secrets: `type`, `message`, `stack` (scrubbed), the error's own
 * fields except the statement and parameter fields of database errors, `cause` and an
 * AggregateError's `errors`. A plain object (an error already serialized) is scrubbed the same way.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (err === null || typeof err !== 'object' || depth > 8) return scrub(err, depth);
  const out: Record<string, unknown> = {};
  if (err instanceof Error) {
    out.type = err.constructor?.name ?? err.name;
    out.message = scrubText(err.message);
    out.stack = scrubText(err.stack ?? '');
  }
  for (const [k, v] of Object.entries(err)) {
    if (DROPPED_ERROR_FIELDS.has(k)) continue;
    out[k] = SECRET_FIELD.test(k) && v !== null && v !== undefined ? REDACTED : k === 'cause' ? serializeError(v, depth + 1) : scrub(v, depth + 1);
  }
  if (err instanceof Error && err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1);
  if (err instanceof AggregateError) out.errors = err.errors.map((e) => serializeError(e, depth + 1));
  return out;
}

/** `options` (Fastify's `logger` option) with the error serializer and the scrubbing formatter. */
export function redactingLoggerOptions(options: LoggerOptions): LoggerOptions {
  const log = options.formatters?.log;
  return {
    ...options,
    // pino passes whatever is logged as `err`; Fastify types it as an error serialized by pino's own.
    serializers: { ...options.serializers, err: (err: Error) => serializeError(err) as { type: string; message: string; stack: string } },
    formatters: { ...options.formatters, log: (obj) => scrub(log ? log(obj) : obj) as Record<string, unknown> },
  };
}
