/**
 * Trunk connectivity tests: a SIP OPTIONS to the trunk (src/sip/options-probe.ts), sent outside
 * any transaction, then recorded in the audit log (action `test`, the result without its message).
 * A tenant key's test holds the trunk's host to the destination policy when it connects.
 */
import type { Trunk } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { probeOptions, type ProbeResult } from '../sip/options-probe.js';
import { recordAudit } from './audit.js';
import { policyFor, type DestinationPolicy } from './destination-policy.js';
import { ConflictError, NotFoundError } from './errors.js';
import type { TenantActor } from './tenant-actor.js';

/** Probes `trunk`, its host held to `destinations`; its realm (else from-domain, else host) is the From/To domain. */
function probeTrunk(t: Trunk, timeoutMs: number | undefined, destinations: DestinationPolicy | null): Promise<ProbeResult> {
  const domain = (t.realm ?? t.from_domain ?? t.host).replace(/:\d+$/, '');
  return probeOptions(
    { host: t.host, port: t.port, transport: t.transport, domain, ...(t.username ? { username: t.username } : {}) },
    { destinations, ...(timeoutMs ? { timeoutMs } : {}) },
  );
}

/**
 * Sends the OPTIONS and records the test.
 * @param timeoutMs the wait for an answer, milliseconds; default that of the probe (3000)
 */
export async function testTrunk(store: Store, by: TenantActor, trunk: Trunk, destinations: DestinationPolicy, timeoutMs?: number): Promise<ProbeResult> {
  const result = await probeTrunk(trunk, timeoutMs, policyFor(by.principal, destinations));
  await store.withTenant(by.tenantId, (trx) =>
    recordAudit(trx, by.principal, { tenantId: by.tenantId, action: 'test', resourceType: 'trunk', resourceId: trunk.id, after: { ...result, error: result.error?.code ?? null } }),
  );
  return result;
}

/**
 * The trunk behind phone number `numberId` of the tenant.
 * @throws NotFoundError `phone number not found`, or `trunk not found`
 * @throws ConflictError naming `sip_trunk` when the number has no trunk
 */
export async function trunkOfNumber(store: Store, tenantId: string, numberId: string): Promise<Trunk> {
  const trunk = await store.withTenant(tenantId, async (trx) => {
    const number = await trx.selectFrom('phone_numbers').select('trunk_id').where('id', '=', numberId).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!number) throw new NotFoundError('phone number');
    if (!number.trunk_id) throw new ConflictError('this phone number has no SIP trunk; configure one with configure_sip_trunk first', 'sip_trunk');
    return trx.selectFrom('trunks').selectAll().where('id', '=', number.trunk_id).executeTakeFirst();
  });
  if (!trunk) throw new NotFoundError('trunk');
  return trunk;
}
