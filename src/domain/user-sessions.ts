/**
 * The @fastify/session store: logged-in sessions kept in PostgreSQL (sql/014_users_sessions.sql
 * `user_sessions`), so every Switchplane instance on the database accepts every session. Only the
 * SHA-256 of a session id is stored. A session is stored once it has a user (`userId`, set at
 * login); anonymous sessions are never written. `expires_at` is the end of the idle period (the
 * cookie's expiry, moved forward by each request: rolling); a session past it is not found. To
 * spare a write per request, a session whose data did not change is rewritten only when its expiry
 * moved by more than EXPIRY_RESOLUTION_MS. Runs as `switchplane_operator`.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from '../db/store.js';

/** How far an unchanged session's expiry may lag behind before it is rewritten. */
export const EXPIRY_RESOLUTION_MS = 60_000;

type Callback = (err?: unknown) => void;

/** What @fastify/session hands the store: its own fields, the user and the cookie (with `expires`). */
export interface StoredSession {
  userId?: unknown;
  cookie: { expires?: Date | string | null; originalMaxAge?: number | null; toJSON?: () => Record<string, unknown> };
  [key: string]: unknown;
}

export const hashSessionId = (sessionId: string): string => createHash('sha256').update(sessionId).digest('hex');

/** The session as stored: every field but the cookie's moving expiry (the session's restores it from `originalMaxAge`). */
function dataOf(session: StoredSession): string {
  const cookie = typeof session.cookie.toJSON === 'function' ? session.cookie.toJSON() : { ...session.cookie };
  delete cookie.expires;
  return JSON.stringify({ ...session, cookie });
}

function expiryOf(session: StoredSession, now: number): Date {
  const { expires, originalMaxAge } = session.cookie;
  if (expires) return new Date(expires);
  return new Date(now + (originalMaxAge ?? 0));
}

/** @fastify/session's store interface (set, get, destroy) over `user_sessions`. */
export class UserSessionStore {
  constructor(private readonly store: Store) {}

  set(sessionId: string, session: StoredSession, callback: Callback): void {
    if (typeof session.userId !== 'string') {
      callback();
      return;
    }
    const now = Date.now();
    const row = { id_hash: hashSessionId(sessionId), user_id: session.userId, data: dataOf(session), expires_at: expiryOf(session, now) };
    this.store
      .withOperator((trx) =>
        trx
          .insertInto('user_sessions')
          .values(row)
          .onConflict((oc) =>
            oc.column('id_hash').doUpdateSet({ data: row.data, expires_at: row.expires_at, updated_at: new Date(now) }).where(
              sql<boolean>`user_sessions.data is distinct from excluded.data or user_sessions.expires_at < excluded.expires_at - ${`${EXPIRY_RESOLUTION_MS} milliseconds`}::interval`,
            ),
          )
          .execute(),
      )
      .then(() => callback(), callback);
  }

  get(sessionId: string, callback: (err: unknown, session?: Record<string, unknown> | null) => void): void {
    this.store
      .withOperator((trx) =>
        trx.selectFrom('user_sessions').select('data').where('id_hash', '=', hashSessionId(sessionId)).where('expires_at', '>', new Date()).executeTakeFirst(),
      )
      .then((row) => callback(null, row?.data ?? null), (err: unknown) => callback(err));
  }

  destroy(sessionId: string, callback: Callback): void {
    this.store
      .withOperator((trx) => trx.deleteFrom('user_sessions').where('id_hash', '=', hashSessionId(sessionId)).execute())
      .then(() => callback(), callback);
  }

  /** Deletes sessions whose idle period ended (called at each login). */
  async prune(now: Date): Promise<void> {
    await this.store.withOperator((trx) => trx.deleteFrom('user_sessions').where('expires_at', '<=', now).execute());
  }
}
