/**
 * People as a customer's admin or an operator manages them: list, read, invite (create), change
 * (name, role, linked extension, active or disabled), delete, and make a reset link. A customer's
 * people are read and written in its tenant (`store.withTenant`: row-level security keeps other
 * customers' people out of sight); operators (no tenant) through `store.withOperator`. Every write
 * has its audit row in the same transaction; a password hash never reaches the audit log or an
 * answer. Disabling or deleting a person ends its sessions at once.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { UserRole } from '../db/schema-users.js';
import type { Store } from '../db/store.js';
import type { Principal } from './api-keys.js';
import { recordAudit } from './audit.js';
import { ConflictError, FieldError, NotFoundError } from './errors.js';
import { issueToken } from './user-tokens.js';
import { endSessions, normalEmail, USER_COLUMNS, type UserRow } from './users.js';

/**
 * Whose people a request manages: a customer's (`tenantId`), or the operators (`tenantId` null,
 * only for an operator or an admin key naming no customer).
 */
export interface UserScope {
  store: Store;
  principal: Principal;
  tenantId: string | null;
}

export interface NewUser {
  email: string;
  name: string;
  role: UserRole;
  extensionId?: string | null;
}

export interface UserChange {
  name?: string;
  role?: UserRole;
  extensionId?: string | null;
  status?: 'active' | 'disabled';
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function run<T>(s: UserScope, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return s.tenantId === null ? s.store.withOperator(fn) : s.store.withTenant(s.tenantId, fn);
}

/** @throws FieldError (`role`) for a role the scope does not hold: operators only without a customer, admins and agents only with one */
function checkRole(s: UserScope, role: UserRole): void {
  if (s.tenantId === null && role !== 'operator') throw new FieldError('role', 'people without a customer are operators; name the customer (X-Tenant-ID or /customers/{id}/users) for an admin or agent');
  if (s.tenantId !== null && role === 'operator') throw new FieldError('role', 'an operator belongs to no customer: create it without X-Tenant-ID, as an operator');
}

/** The person `id` of the scope, locked for update. @throws NotFoundError `user` */
async function lockedUser(s: UserScope, trx: Kysely<Database>, id: string): Promise<UserRow> {
  let q = trx.selectFrom('users').select(USER_COLUMNS).where('id', '=', id);
  q = s.tenantId === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', s.tenantId);
  const row = await q.forUpdate().executeTakeFirst();
  if (!row) throw new NotFoundError('user');
  return row;
}

/** Every person of the scope, by email. */
export function listUsers(s: UserScope): Promise<UserRow[]> {
  return run(s, (trx) => {
    const q = trx.selectFrom('users').select(USER_COLUMNS).orderBy('email');
    return (s.tenantId === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', s.tenantId)).execute();
  });
}

/** @throws NotFoundError `user` */
export function getUser(s: UserScope, id: string): Promise<UserRow> {
  return run(s, (trx) => lockedUser(s, trx, id));
}

/**
 * Invites a person: stored as `invited`, without a password, with a 72-hour invite link.
 * @returns the person and the link path (`/accept?token=...`), kept nowhere
 * @throws FieldError (`email`, `role`, `extensionId`); a taken email is PostgreSQL's unique
 *   violation (409 `conflict` on `email`), another customer's or an unknown extension its
 *   foreign-key violation (404 on `extensionId`)
 */
export async function inviteUser(s: UserScope, input: NewUser, now: Date): Promise<{ user: UserRow; inviteLink: string }> {
  const email = normalEmail(input.email);
  if (!EMAIL.test(email)) throw new FieldError('email', 'an email address is name@domain');
  checkRole(s, input.role);
  if (input.role === 'operator' && input.extensionId) throw new FieldError('extensionId', 'an operator has no extension');
  return run(s, async (trx) => {
    const user = await trx
      .insertInto('users')
      .values({ tenant_id: s.tenantId, email, name: input.name.trim(), role: input.role, extension_id: input.extensionId ?? null, status: 'invited' })
      .returning(USER_COLUMNS)
      .executeTakeFirstOrThrow();
    const inviteLink = await issueToken(trx, user, 'invite', now);
    await recordAudit(trx, s.principal, { tenantId: s.tenantId, action: 'create', resourceType: 'user', resourceId: user.id, after: user });
    return { user, inviteLink };
  });
}

/**
 * Changes a person. `status` `active` re-enables a disabled person (an invited one becomes active
 * by accepting its link); `disabled` ends its sessions at once.
 * @throws NotFoundError `user`; FieldError (`role`, `extensionId`); ConflictError (`status`, `role`)
 *   for activating an invited person or for changing or disabling oneself
 */
export async function updateUser(s: UserScope, id: string, change: UserChange, now: Date): Promise<UserRow> {
  if (change.role !== undefined) checkRole(s, change.role);
  if (s.tenantId === null && change.extensionId) throw new FieldError('extensionId', 'an operator has no extension');
  const self = s.principal.user?.id === id;
  if (self && change.status === 'disabled') throw new ConflictError('you cannot disable your own login', 'status');
  if (self && change.role !== undefined && change.role !== s.principal.user?.role) throw new ConflictError('you cannot change your own role', 'role');
  const after = await run(s, async (trx) => {
    const before = await lockedUser(s, trx, id);
    if (change.status === 'active' && before.status === 'invited') throw new ConflictError('an invited person becomes active by accepting the invite link', 'status');
    const after = await trx
      .updateTable('users')
      .set({
        ...(change.name !== undefined && { name: change.name.trim() }),
        ...(change.role !== undefined && { role: change.role }),
        ...(change.extensionId !== undefined && { extension_id: change.extensionId }),
        ...(change.status !== undefined && { status: change.status }),
        updated_at: now,
      })
      .where('id', '=', id)
      .returning(USER_COLUMNS)
      .executeTakeFirstOrThrow();
    await recordAudit(trx, s.principal, { tenantId: s.tenantId, action: 'update', resourceType: 'user', resourceId: id, before, after });
    return after;
  });
  if (after.status === 'disabled') await s.store.withOperator((trx) => endSessions(trx, id));
  return after;
}

/** Deletes a person (its sessions and links go with it). @throws NotFoundError `user`; ConflictError for oneself */
export async function deleteUser(s: UserScope, id: string): Promise<void> {
  if (s.principal.user?.id === id) throw new ConflictError('you cannot delete your own login');
  await run(s, async (trx) => {
    const before = await lockedUser(s, trx, id);
    await trx.deleteFrom('users').where('id', '=', id).execute();
    await recordAudit(trx, s.principal, { tenantId: s.tenantId, action: 'delete', resourceType: 'user', resourceId: id, before });
  });
}

/**
 * A link that sets a new password: a 1-hour reset link, or for a person still invited a new
 * 72-hour invite link (the earlier one stops working).
 * @returns the link path (`/accept?token=...`), kept nowhere
 * @throws NotFoundError `user`; ConflictError (`status`) for a disabled person
 */
export function resetLink(s: UserScope, id: string, now: Date): Promise<string> {
  return run(s, async (trx) => {
    const user = await lockedUser(s, trx, id);
    if (user.status === 'disabled') throw new ConflictError('this login is disabled; enable it first', 'status');
    const purpose = user.status === 'invited' ? 'invite' : 'reset';
    const link = await issueToken(trx, user, purpose, now);
    await recordAudit(trx, s.principal, { tenantId: s.tenantId, action: 'create', resourceType: `user_${purpose}_link`, resourceId: id });
    return link;
  });
}
