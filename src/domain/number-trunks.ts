/**
 * The SIP trunk behind a phone number, as the AI receptionist guide sees it: a customer's SIP
 * settings with each number and its trunk, and configuring the trunk of one number together with
 * the number's call flags, in one tenant transaction with the audit rows. A number's settings
 * change that number only: they go to the number's own trunk (`trunks.phone_number_id`,
 * sql/016_number_trunk_settings.sql), which is made, as a copy of the trunk the number used, the
 * first time the number is configured; a trunk shared with other numbers, or made through
 * /api/v1/trunks, is never changed here. Each trunk is one sofia gateway (src/xmlcurl/sofia.ts),
 * so a number with its own trunk gets a gateway of its own. Checks and sealing are those of any
 * trunk (src/domain/trunk-records.ts).
 */
import type { Kysely } from 'kysely';
import type { Database, PhoneNumber, Tenant, Trunk } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { recordAudit } from './audit.js';
import { policyFor } from './destination-policy.js';
import { FieldError, NotFoundError } from './errors.js';
import { findNumber } from './phone-numbers.js';
import type { RecordWriting, TenantActor } from './tenant-actor.js';
import { trunkChanges, trunkColumns, trunkSettings, type TrunkColumns, type TrunkInput } from './trunk-records.js';
import { changeTrunk, disownTrunk, findTrunk, insertTrunkColumns } from './trunks.js';

export interface NumberWithTrunk {
  number: PhoneNumber;
  /** The number's trunk; undefined when it has none. */
  trunk: Trunk | undefined;
}

/**
 * The tenant and its numbers (in number order), each with its trunk.
 * @throws NotFoundError `customer` when the tenant does not exist
 */
export function tenantNumberTrunks(store: Store, tenantId: string): Promise<{ tenant: Tenant; numbers: NumberWithTrunk[] }> {
  return store.withTenant(tenantId, async (trx) => {
    const tenant = await trx.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
    if (!tenant) throw new NotFoundError('customer');
    const [numbers, trunks] = await Promise.all([
      trx.selectFrom('phone_numbers').selectAll().where('tenant_id', '=', tenantId).orderBy('number').execute(),
      trx.selectFrom('trunks').selectAll().where('tenant_id', '=', tenantId).execute(),
    ]);
    const byId = new Map(trunks.map((t) => [t.id, t]));
    return { tenant, numbers: numbers.map((number) => ({ number, trunk: number.trunk_id ? byId.get(number.trunk_id) : undefined })) };
  });
}

/** The number flags the guide sets beside its trunk; absent = unchanged. */
export interface NumberFlags {
  incomingEnabled?: boolean;
  outboundEnabled?: boolean;
}

/** `base`, or `base-2`, `base-3`, ... : the first trunk name the tenant does not use yet. */
async function freeTrunkName(trx: Kysely<Database>, tenantId: string, base: string): Promise<string> {
  const rows = await trx.selectFrom('trunks').select('name').where('tenant_id', '=', tenantId).where('name', 'like', `${base}%`).execute();
  const taken = new Set(rows.map((r) => r.name));
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

/** Whether `trunk` is the own trunk of `number` and no other number uses it. */
async function ownedAlone(trx: Kysely<Database>, number: PhoneNumber, trunk: Trunk): Promise<boolean> {
  if (trunk.phone_number_id !== number.id) return false;
  const other = await trx.selectFrom('phone_numbers').select('id').where('trunk_id', '=', trunk.id).where('id', '<>', number.id).executeTakeFirst();
  return other === undefined;
}

/**
 * The number's own trunk with `input` applied: its own trunk changed in place when no other
 * number uses it; otherwise a new trunk of its own (`did-<digits>`), a copy of `current` (its
 * sealed password included) with `input` applied, so every other number keeps `current`. A trunk
 * the number owned before and no longer uses becomes an ordinary trunk of the customer.
 * @throws FieldError naming the trunk field at fault (`host` when there is nothing to copy)
 */
async function ownTrunk(trx: Kysely<Database>, w: RecordWriting, by: TenantActor, number: PhoneNumber, current: Trunk | undefined, input: TrunkInput): Promise<Trunk> {
  if (current && (await ownedAlone(trx, number, current))) return changeTrunk(trx, w, by, current, input);
  const name = await freeTrunkName(trx, by.tenantId, `did-${number.number.slice(1)}`);
  const destinations = policyFor(by.principal, w.destinations);
  let columns: TrunkColumns;
  if (current) {
    columns = { ...trunkSettings(current), ...(await trunkChanges(input, w.secrets, current, destinations)), name };
  } else {
    if (input.host === undefined) throw new FieldError('host', 'sip_trunk_host is required to create the trunk');
    columns = await trunkColumns({ ...input, name }, w.secrets, destinations);
  }
  // The trunk it owned before, now another number's or none's since the number moved off it.
  const owned = await trx.selectFrom('trunks').selectAll().where('phone_number_id', '=', number.id).forUpdate().executeTakeFirst();
  if (owned) await disownTrunk(trx, by, owned);
  return insertTrunkColumns(trx, by, { ...columns, phone_number_id: number.id });
}

/**
 * Applies `input` to the trunk of number `numberId` and only to it (see `ownTrunk`: a shared
 * trunk is copied, never changed), points the number at it, and sets the number's flags; audit
 * rows for the trunk and the number.
 * @throws NotFoundError `phone number not found`
 * @throws FieldError naming the trunk field at fault (`host` when creating without one)
 */
export function configureNumberTrunk(store: Store, w: RecordWriting, by: TenantActor, numberId: string, input: TrunkInput, flags: NumberFlags): Promise<NumberWithTrunk> {
  return store.withTenant(by.tenantId, async (trx) => {
    const number = await findNumber(trx, by.tenantId, numberId, true);
    if (!number) throw new NotFoundError('phone number');
    const current = number.trunk_id ? await findTrunk(trx, by.tenantId, number.trunk_id, true) : undefined;
    const trunk = await ownTrunk(trx, w, by, number, current, input);
    const updated = await trx
      .updateTable('phone_numbers')
      .set({
        trunk_id: trunk.id,
        ...(flags.incomingEnabled !== undefined && { incoming_enabled: flags.incomingEnabled }),
        ...(flags.outboundEnabled !== undefined && { outbound_enabled: flags.outboundEnabled }),
        updated_at: new Date(),
      })
      .where('id', '=', number.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, by.principal, { tenantId: by.tenantId, action: 'update', resourceType: 'phone_number', resourceId: number.id, before: number, after: updated });
    return { number: updated, trunk };
  });
}
