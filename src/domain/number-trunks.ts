/**
 * The SIP trunk behind a phone number, as the AI receptionist guide sees it: a customer's SIP
 * settings with each number and its trunk, and creating or updating the trunk of one number
 * (with the same checks and sealing as any trunk, src/domain/trunk-records.ts) together with the
 * number's call flags, in one tenant transaction with the audit rows.
 */
import type { PhoneNumber, Tenant, Trunk } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { recordAudit } from './audit.js';
import { FieldError, NotFoundError } from './errors.js';
import { findNumber } from './phone-numbers.js';
import type { RecordWriting, TenantActor } from './tenant-actor.js';
import type { TrunkInput } from './trunk-records.js';
import { changeTrunk, insertTrunk } from './trunks.js';

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

/**
 * Updates the trunk of number `numberId` with `input`, or creates it (named `did-<digits>`)
 * when the number has none, and sets the number's flags; audit rows for both.
 * @throws NotFoundError `phone number not found`
 * @throws FieldError naming the trunk field at fault (`host` when creating without one)
 */
export function configureNumberTrunk(store: Store, w: RecordWriting, by: TenantActor, numberId: string, input: TrunkInput, flags: NumberFlags): Promise<NumberWithTrunk> {
  return store.withTenant(by.tenantId, async (trx) => {
    const number = await findNumber(trx, by.tenantId, numberId, true);
    if (!number) throw new NotFoundError('phone number');
    const before = number.trunk_id ? await trx.selectFrom('trunks').selectAll().where('id', '=', number.trunk_id).forUpdate().executeTakeFirst() : undefined;
    let trunk: Trunk;
    if (before) {
      trunk = await changeTrunk(trx, w, by, before, input);
    } else {
      if (input.host === undefined) throw new FieldError('host', 'sip_trunk_host is required to create the trunk');
      trunk = await insertTrunk(trx, w, by, { ...input, name: `did-${number.number.slice(1)}` });
    }
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
