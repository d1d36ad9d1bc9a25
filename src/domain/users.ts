/**
 * People who log in to the portal, as the login path sees them: finding a login by email,
 * recording it, redeeming an invite or reset link, the principal a session stands for, and the
 * `SessionUser` the portal shows. These run as `switchplane_operator` (sql/014_users_sessions.sql),
 * since a login or a session cookie is checked before the tenant is known, as API keys are
 * (src/domain/api-keys.ts `authenticateKey`); reading a linked extension's number runs in its
 * tenant. Managing people is src/domain/user-admin.ts.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { UserRole, UserStatus } from '../db/schema-users.js';
import type { Store } from '../db/store.js';
import { scopesOfRole, type Principal } from './api-keys.js';
import { recordAudit } from './audit.js';
import { checkPassword, hashPassword, randomPassword, verifyPassword } from './passwords.js';
import { redeemToken } from './user-tokens.js';

/** The columns of a user that may be shown (never the password hash). */
export const USER_COLUMNS = ['id', 'tenant_id', 'email', 'name', 'role', 'extension_id', 'status', 'created_at', 'updated_at', 'last_login_at'] as const;

export type UserRow = {
  id: string;
  tenant_id: string | null;
  email: string;
  name: string;
  role: UserRole;
  extension_id: string | null;
  status: UserStatus;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
};

/** The logged-in person as the portal shows it (`GET /api/v1/auth/session`). */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  tenantId: string | null;
  tenantName: string | null;
  extensionId: string | null;
  /** The linked extension's number, e.g. `1001`. */
  extension: string | null;
}

/** Emails are compared and stored lower-case, without surrounding spaces. */
export const normalEmail = (email: string): string => email.trim().toLowerCase();

/** A user with its password hash, by email (any status), or undefined. */
export function findLogin(store: Store, email: string): Promise<(UserRow & { password_hash: string | null }) | undefined> {
  return store.withOperator((trx) => trx.selectFrom('users').select([...USER_COLUMNS, 'password_hash']).where('email', '=', normalEmail(email)).executeTakeFirst());
}

/** Sets `last_login_at`. */
export async function recordLogin(store: Store, userId: string, now: Date): Promise<void> {
  await store.withOperator((trx) => trx.updateTable('users').set({ last_login_at: now }).where('id', '=', userId).execute());
}

/**
 * The principal a session's user stands for, read afresh (so a disabled or deleted user's
 * session stops at once), or null when the user is not active.
 */
export async function principalOfUser(store: Store, userId: string): Promise<Principal | null> {
  const u = await store.withOperator((trx) =>
    trx.selectFrom('users').select(['id', 'tenant_id', 'email', 'role', 'extension_id', 'status']).where('id', '=', userId).executeTakeFirst(),
  );
  if (!u || u.status !== 'active') return null;
  return {
    keyId: `user:${u.id}`,
    keyPrefix: 'user',
    name: u.email,
    tenantId: u.tenant_id,
    scopes: scopesOfRole(u.role),
    user: { id: u.id, email: u.email, role: u.role, extensionId: u.extension_id },
  };
}

/** The SessionUser of an active user, or null. */
export async function sessionUser(store: Store, userId: string): Promise<SessionUser | null> {
  const u = await store.withOperator((trx) =>
    trx
      .selectFrom('users')
      .leftJoin('tenants', 'tenants.id', 'users.tenant_id')
      .select(['users.id', 'users.email', 'users.name', 'users.role', 'users.tenant_id', 'users.extension_id', 'users.status', 'tenants.name as tenant_name'])
      .where('users.id', '=', userId)
      .executeTakeFirst(),
  );
  if (!u || u.status !== 'active') return null;
  const extensionId = u.extension_id;
  const extension = u.tenant_id && extensionId
    ? ((await store.withTenant(u.tenant_id, (trx) => trx.selectFrom('extensions').select('extension').where('id', '=', extensionId).executeTakeFirst()))?.extension ?? null)
    : null;
  return { id: u.id, email: u.email, name: u.name, role: u.role, tenantId: u.tenant_id, tenantName: u.tenant_name, extensionId, extension };
}

/**
 * Redeems an invite or reset link: sets the password, activates an invited user and ends every
 * session of the user, with an audit row by the user. A disabled user's link does nothing.
 * @returns the user's id, or null when the link is unknown, used, expired or its user disabled
 * @throws FieldError (`password`) for a password that is too short or too long
 */
export async function acceptLink(store: Store, token: string, password: string, now: Date): Promise<string | null> {
  checkPassword(password);
  const passwordHash = await hashPassword(password);
  return store.withOperator(async (trx) => {
    const redeemed = await redeemToken(trx, token, now);
    if (!redeemed) return null;
    const before = await trx.selectFrom('users').select(USER_COLUMNS).where('id', '=', redeemed.userId).executeTakeFirstOrThrow();
    if (before.status === 'disabled') return null;
    const after = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, status: 'active', updated_at: now })
      .where('id', '=', before.id)
      .returning(USER_COLUMNS)
      .executeTakeFirstOrThrow();
    await endSessions(trx, before.id);
    // The audit log masks `password` as "[set]": it records that the link set one.
    await recordAudit(trx, `user (${before.email})`, { tenantId: before.tenant_id, action: 'update', resourceType: 'user', resourceId: before.id, before, after: { ...after, password: redeemed.purpose } });
    return before.id;
  });
}

/** Deletes every session of `userId` (in the caller's operator transaction). */
export async function endSessions(trx: Kysely<Database>, userId: string): Promise<void> {
  await trx.deleteFrom('user_sessions').where('user_id', '=', userId).execute();
}

/** The first operator's login, made at the first start (src/main.ts). */
export const OPERATOR_EMAIL = 'operator@switchplane.local';

/**
 * Makes sure the operator login `operator@switchplane.local` exists. With `configured`
 * (OPERATOR_PASSWORD) its password is set to that one when it differs (and the login enabled);
 * otherwise, when the login does not exist yet, it is created with a random password. Of
 * instances starting together on one database, only the one whose insert wins prints a password.
 * @returns the generated password (to print once), or null when none was generated
 */
export async function ensureOperator(store: Store, configured: string | undefined): Promise<string | null> {
  const existing = await store.withOperator((trx) => trx.selectFrom('users').select(['id', 'password_hash']).where('email', '=', OPERATOR_EMAIL).executeTakeFirst());
  if (existing && (configured === undefined || (await verifyPassword(existing.password_hash, configured)))) return null;
  const password = configured ?? randomPassword();
  const passwordHash = await hashPassword(password);
  const row = { tenant_id: null, email: OPERATOR_EMAIL, name: 'Operator', role: 'operator' as const, password_hash: passwordHash, status: 'active' as const };
  const inserted = await store.withOperator((trx) =>
    trx
      .insertInto('users')
      .values(row)
      .onConflict((oc) => (configured === undefined ? oc.column('email').doNothing() : oc.column('email').doUpdateSet({ password_hash: passwordHash, status: 'active', updated_at: new Date() })))
      .returning('id')
      .executeTakeFirst(),
  );
  return configured === undefined && inserted ? password : null;
}
