/**
 * API keys as an operator manages them: creating one (the key is shown once), listing them
 * (never a key or its hash) and revoking one, each write with its audit row in the same
 * operator transaction. A key without a customer is platform-wide and must have `admin`; a key
 * with one acts on that customer only.
 */
import type { Store } from '../db/store.js';
import { insertApiKey, KEY_COLUMNS, type Principal, type Scope } from './api-keys.js';
import { recordAudit } from './audit.js';
import { FieldError, NotFoundError } from './errors.js';

/** A key as it may be shown. */
export type ApiKeyRow = { id: string; tenant_id: string | null; name: string; key_prefix: string; scopes: string[]; created_at: Date; last_used_at: Date | null; revoked_at: Date | null };

/** @throws FieldError (`customerId`, `scopes`) for a scope set the key's kind may not have */
function checkScopes(customerId: string | undefined, scopes: readonly Scope[]): void {
  if (customerId === undefined && !scopes.includes('admin')) throw new FieldError('customerId', 'a key without customerId is platform-wide and needs the admin scope');
  if (customerId !== undefined && scopes.includes('admin')) throw new FieldError('scopes', 'a customer key cannot have the admin scope');
  if (customerId !== undefined && !scopes.some((s) => s === 'tenant' || s === 'tenant:read')) throw new FieldError('scopes', 'a customer key needs tenant or tenant:read');
}

/**
 * Creates a key.
 * @returns the stored row and the key, which is kept nowhere
 * @throws FieldError; NotFoundError `customer` for an unknown customer
 */
export async function createApiKey(store: Store, actor: Principal, input: { name: string; scopes: Scope[]; customerId?: string }): Promise<{ row: ApiKeyRow; key: string }> {
  const { name, scopes, customerId } = input;
  checkScopes(customerId, scopes);
  return store.withOperator(async (trx) => {
    if (customerId && !(await trx.selectFrom('tenants').select('id').where('id', '=', customerId).executeTakeFirst())) throw new NotFoundError('customer');
    const created = await insertApiKey(trx, { tenantId: customerId ?? null, name, scopes });
    await recordAudit(trx, actor, { tenantId: customerId ?? null, action: 'create', resourceType: 'api_key', resourceId: created.row.id, after: created.row });
    return created;
  });
}

/** Every key (of one customer, when given), oldest first. */
export function listApiKeys(store: Store, customerId?: string): Promise<ApiKeyRow[]> {
  return store.withOperator((trx) => {
    let q = trx.selectFrom('api_keys').select(KEY_COLUMNS).orderBy('created_at');
    if (customerId) q = q.where('tenant_id', '=', customerId);
    return q.execute();
  });
}

/**
 * Revokes key `id` at once (a revoked key keeps its first revocation time).
 * @param customerId when given, only a key of that customer may be revoked (a customer admin's own)
 * @throws NotFoundError `API key` for an unknown key or one of another customer
 */
export function revokeApiKey(store: Store, actor: Principal, id: string, customerId?: string): Promise<ApiKeyRow> {
  return store.withOperator(async (trx) => {
    const before = await trx.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', id).executeTakeFirst();
    if (!before || (customerId !== undefined && before.tenant_id !== customerId)) throw new NotFoundError('API key');
    const after = await trx.updateTable('api_keys').set({ revoked_at: before.revoked_at ?? new Date() }).where('id', '=', id).returning(KEY_COLUMNS).executeTakeFirstOrThrow();
    await recordAudit(trx, actor, { tenantId: after.tenant_id, action: 'revoke', resourceType: 'api_key', resourceId: after.id, before, after });
    return after;
  });
}
