/**
 * One-time links for people (src/domain/users.ts): an invite (sets the first password, 72 h) or a
 * password reset (1 h). The link is `/accept?token=<token>`, the token 32 random bytes in
 * base64url; only its SHA-256 is stored (sql/014_users_sessions.sql `user_tokens`). It is shown
 * once, to the admin who made it (no mail is sent), and works once: redeeming it marks every
 * unused link of that user used.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { UserTokenPurpose } from '../db/schema-users.js';

/** How long a link works, in hours. */
export const TOKEN_HOURS: Record<UserTokenPurpose, number> = { invite: 72, reset: 1 };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The path a link points at (the portal's accept page). */
export const linkOf = (token: string): string => `/accept?token=${token}`;

/**
 * Makes a link for `userId` in the caller's transaction (the user's tenant, or the operator's for
 * an operator), replacing the user's unused links of the same purpose.
 * @returns the link path, `/accept?token=...`; the token is kept nowhere
 */
export async function issueToken(trx: Kysely<Database>, user: { id: string; tenant_id: string | null }, purpose: UserTokenPurpose, now: Date): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await trx.updateTable('user_tokens').set({ used_at: now }).where('user_id', '=', user.id).where('purpose', '=', purpose).where('used_at', 'is', null).execute();
  await trx
    .insertInto('user_tokens')
    .values({ token_hash: hashToken(token), tenant_id: user.tenant_id, user_id: user.id, purpose, expires_at: new Date(now.getTime() + TOKEN_HOURS[purpose] * 3600_000) })
    .execute();
  return linkOf(token);
}

/**
 * Takes a link's token for good (in the caller's operator transaction): the user it belongs to,
 * or null when the token is malformed, unknown, used or expired. Every unused link of that user
 * is used up with it.
 */
export async function redeemToken(trx: Kysely<Database>, token: string, now: Date): Promise<{ userId: string; purpose: UserTokenPurpose } | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const row = await trx
    .selectFrom('user_tokens')
    .select(['user_id', 'purpose'])
    .where('token_hash', '=', hashToken(token))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return null;
  await trx.updateTable('user_tokens').set({ used_at: now }).where('user_id', '=', row.user_id).where('used_at', 'is', null).execute();
  return { userId: row.user_id, purpose: row.purpose };
}
