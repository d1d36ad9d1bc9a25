/**
 * Phone numbers (DIDs) of a tenant: create, list, get, update and delete, each in the tenant's
 * transaction (row-level security) with its audit row. Input is checked and converted by
 * src/domain/number-records.ts; the trunk a number names must be one of the same tenant.
 */
import type { Kysely } from 'kysely';
import type { Database, PhoneNumber } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { recordAudit } from './audit.js';
import { customerCountry } from './customer-country.js';
import { requireCustomer } from './customer-exists.js';
import { policyFor } from './destination-policy.js';
import { NotFoundError } from './errors.js';
import { numberChanges, numberColumns, type NumberInput } from './number-records.js';
import type { RecordWriting, TenantActor } from './tenant-actor.js';

/**
 * Whether `trunkId` is a trunk of `tenantId`. Foreign keys are checked without row-level
 * security, so this, not the `trunk_id` reference, keeps a tenant off another tenant's trunks.
 */
export async function isTenantTrunk(db: Kysely<Database>, tenantId: string, trunkId: string): Promise<boolean> {
  const row = await db.selectFrom('trunks').select('id').where('id', '=', trunkId).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row !== undefined;
}

/** @throws NotFoundError naming `trunkId` unless it is a trunk of the tenant (another tenant's is as unknown as a made-up one) */
async function checkTrunk(trx: Kysely<Database>, tenantId: string, trunkId: string | null | undefined): Promise<void> {
  if (trunkId && !(await isTenantTrunk(trx, tenantId, trunkId))) {
    throw new NotFoundError('trunk', 'trunkId', 'trunkId: no such trunk for this customer');
  }
}

/** The phone number `id` of `tenantId` in `trx`, locked for update when `lock`; undefined when the tenant has none such. */
export function findNumber(trx: Kysely<Database>, tenantId: string, id: string, lock = false): Promise<PhoneNumber | undefined> {
  const query = trx.selectFrom('phone_numbers').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId);
  return (lock ? query.forUpdate() : query).executeTakeFirst();
}

/**
 * A new phone number of the tenant; numbers given in national format are read in the
 * customer's country (src/domain/customer-country.ts).
 * @throws NotFoundError `customer` when the tenant does not exist, or naming `trunkId`
 * @throws FieldError naming the bad or missing field
 */
export async function createNumber(store: Store, w: RecordWriting, by: TenantActor, input: NumberInput): Promise<PhoneNumber> {
  return store.withTenant(by.tenantId, async (trx) => {
    const country = await customerCountry(trx, by.tenantId);
    const columns = await numberColumns(input, w.secrets, policyFor(by.principal, w.destinations), country);
    await checkTrunk(trx, by.tenantId, columns.trunk_id);
    const created = await trx.insertInto('phone_numbers').values({ ...columns, tenant_id: by.tenantId }).returningAll().executeTakeFirstOrThrow();
    await recordAudit(trx, by.principal, { tenantId: by.tenantId, action: 'create', resourceType: 'phone_number', resourceId: created.id, after: created });
    return created;
  });
}

/**
 * The tenant's phone numbers, in number order.
 * @throws NotFoundError `customer` when the tenant does not exist
 */
export function listNumbers(store: Store, tenantId: string): Promise<PhoneNumber[]> {
  return store.withTenant(tenantId, async (trx) => {
    await requireCustomer(trx, tenantId);
    return trx.selectFrom('phone_numbers').selectAll().where('tenant_id', '=', tenantId).orderBy('number').execute();
  });
}

/** @throws NotFoundError `phone number not found` when the tenant has no number `id` */
export async function getNumber(store: Store, tenantId: string, id: string): Promise<PhoneNumber> {
  const row = await store.withTenant(tenantId, (trx) => findNumber(trx, tenantId, id));
  if (!row) throw new NotFoundError('phone number');
  return row;
}

/**
 * The number `id` with the fields of `input` changed, checked on the result (national numbers
 * read in the customer's country).
 * @throws NotFoundError `phone number not found`, or naming `trunkId`; FieldError naming the bad field
 */
export function updateNumber(store: Store, w: RecordWriting, by: TenantActor, id: string, input: NumberInput): Promise<PhoneNumber> {
  return store.withTenant(by.tenantId, async (trx) => {
    const before = await findNumber(trx, by.tenantId, id, true);
    if (!before) throw new NotFoundError('phone number');
    const changes = await numberChanges(input, w.secrets, before, policyFor(by.principal, w.destinations), await customerCountry(trx, by.tenantId));
    await checkTrunk(trx, by.tenantId, changes.trunk_id);
    const after = await trx.updateTable('phone_numbers').set({ ...changes, updated_at: new Date() }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
    await recordAudit(trx, by.principal, { tenantId: by.tenantId, action: 'update', resourceType: 'phone_number', resourceId: before.id, before, after });
    return after;
  });
}

/**
 * Deletes the number `id`, with its audit row; calls to it are refused from then on.
 * @throws NotFoundError `phone number not found`
 */
export function deleteNumber(store: Store, by: TenantActor, id: string): Promise<void> {
  return store.withTenant(by.tenantId, async (trx) => {
    const before = await trx.deleteFrom('phone_numbers').where('id', '=', id).where('tenant_id', '=', by.tenantId).returningAll().executeTakeFirst();
    if (!before) throw new NotFoundError('phone number');
    await recordAudit(trx, by.principal, { tenantId: by.tenantId, action: 'delete', resourceType: 'phone_number', resourceId: id, before });
  });
}
