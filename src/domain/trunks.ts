/**
 * SIP trunks of a tenant, and the sofia gateways FreeSWITCH builds from them: create, list,
 * get, update and delete, each in the tenant's transaction (row-level security) with its audit
 * row. Input is checked and converted by src/domain/trunk-records.ts.
 */
import type { Kysely } from 'kysely';
import type { Database, Trunk } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { recordAudit } from './audit.js';
import { requireCustomer } from './customer-exists.js';
import { policyFor } from './destination-policy.js';
import { NotFoundError } from './errors.js';
import type { RecordWriting, TenantActor } from './tenant-actor.js';
import { trunkChanges, trunkColumns, type TrunkColumns, type TrunkInput } from './trunk-records.js';

/**
 * The gateway name of a trunk: its id, which is globally unique and never changes, as sofia
 * requires (gateway names are global across profiles and must match `^[\w.-]+$`, mod_sofia
 * sofia.c `parse_gateways`). Dial strings (`sofia/gateway/<name>/...`), `limit` resources and the
 * ESL gateway-state tracker all use this one function.
 */
export function gatewayName(trunk: Pick<Trunk, 'id'>): string {
  return trunk.id;
}

export interface GatewayRow extends Trunk {
  tenant_slug: string;
  tenant_domain: string;
}

/** Every active trunk of every active tenant (or of `tenantId` only), ordered by tenant and priority. */
export async function listActiveGateways(db: Kysely<Database>, tenantId?: string): Promise<GatewayRow[]> {
  let query = db
    .selectFrom('trunks')
    .innerJoin('tenants', 'tenants.id', 'trunks.tenant_id')
    .selectAll('trunks')
    .select(['tenants.slug as tenant_slug', 'tenants.sip_domain as tenant_domain'])
    .where('trunks.status', '=', 'active')
    .where('tenants.status', '=', 'active')
    .orderBy('tenants.slug')
    .orderBy('trunks.priority')
    .orderBy('trunks.name');
  if (tenantId !== undefined) query = query.where('trunks.tenant_id', '=', tenantId);
  return query.execute();
}

/** Inserts a trunk of already checked `columns` in the tenant transaction `trx`, with its audit row. */
export async function insertTrunkColumns(trx: Kysely<Database>, by: TenantActor, columns: TrunkColumns): Promise<Trunk> {
  const created = await trx.insertInto('trunks').values({ ...columns, tenant_id: by.tenantId }).returningAll().executeTakeFirstOrThrow();
  await recordAudit(trx, by.principal, { tenantId: by.tenantId, action: 'create', resourceType: 'trunk', resourceId: created.id, after: created });
  return created;
}

/**
 * Applies `input` to `before` (a row read `FOR UPDATE` in `trx`), with its audit row.
 * @throws FieldError naming the bad field
 */
export async function changeTrunk(trx: Kysely<Database>, w: RecordWriting, by: TenantActor, before: Trunk, input: TrunkInput): Promise<Trunk> {
  const changes = await trunkChanges(input, w.secrets, before, policyFor(by.principal, w.destinations));
  const after = await trx.updateTable('trunks').set({ ...changes, updated_at: new Date() }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
  await recordAudit(trx, by.principal, { tenantId: by.tenantId, action: 'update', resourceType: 'trunk', resourceId: before.id, before, after });
  return after;
}

/** Makes `trunk` (read `FOR UPDATE` in `trx`) an ordinary trunk of the customer, no number's own, with its audit row. */
export async function disownTrunk(trx: Kysely<Database>, by: TenantActor, trunk: Trunk): Promise<void> {
  const after = await trx.updateTable('trunks').set({ phone_number_id: null, updated_at: new Date() }).where('id', '=', trunk.id).returningAll().executeTakeFirstOrThrow();
  await recordAudit(trx, by.principal, { tenantId: by.tenantId, action: 'update', resourceType: 'trunk', resourceId: trunk.id, before: trunk, after });
}

/** The trunk `id` of `tenantId` in `trx`, locked for update when `lock`; undefined when the tenant has none such. */
export function findTrunk(trx: Kysely<Database>, tenantId: string, id: string, lock = false): Promise<Trunk | undefined> {
  const query = trx.selectFrom('trunks').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId);
  return (lock ? query.forUpdate() : query).executeTakeFirst();
}

/**
 * A new trunk of the tenant.
 * @throws FieldError naming the bad or missing field (the input is checked before the transaction)
 * @throws NotFoundError `customer` when the tenant does not exist
 */
export async function createTrunk(store: Store, w: RecordWriting, by: TenantActor, input: TrunkInput): Promise<Trunk> {
  const columns = await trunkColumns(input, w.secrets, policyFor(by.principal, w.destinations));
  return store.withTenant(by.tenantId, async (trx) => {
    await requireCustomer(trx, by.tenantId);
    return insertTrunkColumns(trx, by, columns);
  });
}

/**
 * The tenant's trunks in outbound order (priority, then name).
 * @throws NotFoundError `customer` when the tenant does not exist
 */
export function listTrunks(store: Store, tenantId: string): Promise<Trunk[]> {
  return store.withTenant(tenantId, async (trx) => {
    await requireCustomer(trx, tenantId);
    return trx.selectFrom('trunks').selectAll().where('tenant_id', '=', tenantId).orderBy('priority').orderBy('name').execute();
  });
}

/** @throws NotFoundError `trunk not found` when the tenant has no trunk `id` */
export async function getTrunk(store: Store, tenantId: string, id: string): Promise<Trunk> {
  const row = await store.withTenant(tenantId, (trx) => findTrunk(trx, tenantId, id));
  if (!row) throw new NotFoundError('trunk');
  return row;
}

/**
 * The trunk `id` with the fields of `input` changed (absent fields stay, `password: null` removes it).
 * @throws NotFoundError `trunk not found`; FieldError naming the bad field
 */
export function updateTrunk(store: Store, w: RecordWriting, by: TenantActor, id: string, input: TrunkInput): Promise<Trunk> {
  return store.withTenant(by.tenantId, async (trx) => {
    const before = await findTrunk(trx, by.tenantId, id, true);
    if (!before) throw new NotFoundError('trunk');
    return changeTrunk(trx, w, by, before, input);
  });
}

/**
 * Deletes the trunk `id`, with its audit row; its numbers keep working without it.
 * @throws NotFoundError `trunk not found`
 */
export function deleteTrunk(store: Store, by: TenantActor, id: string): Promise<void> {
  return store.withTenant(by.tenantId, async (trx) => {
    const before = await trx.deleteFrom('trunks').where('id', '=', id).where('tenant_id', '=', by.tenantId).returningAll().executeTakeFirst();
    if (!before) throw new NotFoundError('trunk');
    await recordAudit(trx, by.principal, { tenantId: by.tenantId, action: 'delete', resourceType: 'trunk', resourceId: id, before });
  });
}
