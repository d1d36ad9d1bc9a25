/**
 * The delete every tenant resource does the same way: the row goes and the audit log keeps it.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Principal } from './api-keys.js';
import { recordAudit } from './audit.js';
import { NotFoundError } from './errors.js';

/**
 * Deletes row `id` of `table` in the caller's tenant transaction (row-level security limits it to
 * that tenant) and records the deletion with the row as it was.
 * @throws NotFoundError `<what> not found` when the tenant has no such row
 */
export async function deleteAudited(
  trx: Kysely<Database>,
  principal: Principal,
  d: { tenantId: string; table: 'trunks' | 'phone_numbers' | 'extensions'; id: string; resourceType: string; what: string },
): Promise<void> {
  const before = await trx.deleteFrom(d.table).where('id', '=', d.id).where('tenant_id', '=', d.tenantId).returningAll().executeTakeFirst();
  if (!before) throw new NotFoundError(d.what);
  await recordAudit(trx, principal, { tenantId: d.tenantId, action: 'delete', resourceType: d.resourceType, resourceId: d.id, before });
}
