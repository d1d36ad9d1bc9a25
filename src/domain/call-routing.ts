/**
 * Where a call goes: the decision behind every dialplan answer, free of XML. The dialplan
 * renderer (src/xmlcurl/dialplan.ts) turns a `CallPlan` into mod_dialplan_xml actions.
 */
import type { Kysely } from 'kysely';
import type { Database, Extension } from '../db/schema.js';
import { isWithinBusinessHours } from './business-hours.js';
import { findActiveExtension } from './extensions.js';
import { findNumber, outboundCallerNumber, toE164 } from './numbers.js';
import { findActiveTenantByDomain, INBOUND_CONTEXT, type TenantRef } from './tenants.js';
import { outboundGateways, type OutboundGateway } from './trunks.js';

/** FreeSWITCH hangup causes used by rejections (switch_channel.c CAUSE_CHART, Q.850 numbers). */
export type RejectCause =
  | 'UNALLOCATED_NUMBER' // 1: nobody owns the DID / no such destination
  | 'NO_ROUTE_DESTINATION' // 3: the tenant has no active trunk
  | 'CALL_REJECTED' // 21: the tenant is not active
  | 'NORMAL_TEMPORARY_FAILURE' // 41: no failover extension for a closed AI number
  | 'OUTGOING_CALL_BARRED' // 52: the presented number has outbound calls disabled
  | 'INCOMING_CALL_BARRED'; // 54: the DID has incoming calls disabled

export interface ExtensionTarget {
  id: string;
  extension: string;
  sipUsername: string;
  doNotDisturb: boolean;
  voicemail: boolean;
  recording: boolean;
  maxConcurrentCalls: number;
}

export type Route =
  | { kind: 'reject'; cause: RejectCause; reason: string }
  | { kind: 'extension'; target: ExtensionTarget }
  | { kind: 'ai_agent'; profile: string; did: string; caller: string }
  | {
      kind: 'outbound';
      /** E.164 destination. */
      destination: string;
      /** Tried in this order; each with its own channel limit. */
      gateways: OutboundGateway[];
      /** E.164 number presented, or null to keep the caller's (forwarded inbound calls). */
      callerIdNumber: string | null;
      callerIdName: string | null;
    };

export interface CallPlan {
  context: string;
  /** The destination number exactly as FreeSWITCH sent it. */
  destination: string;
  tenant: TenantRef | null;
  /** The authenticated extension placing the call (tenant context only). */
  caller: ExtensionTarget | null;
  route: Route;
}

export interface CallRequest {
  context: string;
  destination: string;
  callerNumber: string;
  /** The directory user that authenticated the call (`variable_user_name`), if any. */
  authUser: string | null;
}

function target(ext: Extension): ExtensionTarget {
  return {
    id: ext.id,
    extension: ext.extension,
    sipUsername: ext.sip_username,
    doNotDisturb: ext.do_not_disturb,
    voicemail: ext.voicemail_enabled,
    recording: ext.call_recording,
    maxConcurrentCalls: ext.max_concurrent_calls,
  };
}

const reject = (cause: RejectCause, reason: string): Route => ({ kind: 'reject', cause, reason });

/** Route to an extension, or, when it forwards all calls, out through the tenant's trunks. */
async function toExtension(db: Kysely<Database>, tenant: TenantRef, ext: Extension): Promise<Route> {
  const forwardTo = ext.call_forwarding_enabled && ext.call_forwarding_number ? toE164(ext.call_forwarding_number) : null;
  if (!forwardTo) return { kind: 'extension', target: target(ext) };
  const gateways = await outboundGateways(db, tenant.id);
  if (gateways.length === 0) return reject('NO_ROUTE_DESTINATION', 'tenant has no active trunk for call forwarding');
  return { kind: 'outbound', destination: forwardTo, gateways, callerIdNumber: null, callerIdName: null };
}

async function routeInbound(db: Kysely<Database>, req: CallRequest, now: Date): Promise<CallPlan> {
  const base = { context: req.context, destination: req.destination, caller: null };
  const did = toE164(req.destination);
  const number = did ? await findNumber(db, did) : undefined;
  if (!did || !number) {
    return { ...base, tenant: null, route: reject('UNALLOCATED_NUMBER', 'no tenant owns this number') };
  }
  const tenant = await db
    .selectFrom('tenants')
    .select(['id', 'name', 'slug', 'sip_domain', 'timezone', 'max_concurrent_calls', 'status'])
    .where('id', '=', number.tenant_id)
    .executeTakeFirstOrThrow();
  if (tenant.status !== 'active') return { ...base, tenant, route: reject('CALL_REJECTED', `tenant is ${tenant.status}`) };
  if (!number.incoming_enabled) return { ...base, tenant, route: reject('INCOMING_CALL_BARRED', 'incoming calls disabled on this number') };

  const failover = async (why: string): Promise<Route> => {
    const ext = number.failover_extension ? await findActiveExtension(db, tenant.id, number.failover_extension) : undefined;
    return ext ? toExtension(db, tenant, ext) : reject('NORMAL_TEMPORARY_FAILURE', `${why}, and no active failover extension`);
  };

  let route: Route;
  if (number.route === 'ai_agent') {
    route = isWithinBusinessHours(number.business_hours, tenant.timezone, now)
      ? { kind: 'ai_agent', profile: number.ai_agent_profile ?? 'default', did, caller: req.callerNumber }
      : await failover('outside business hours');
  } else if (number.route === 'forward') {
    const dest = number.route_target ? toE164(number.route_target) : null;
    const gateways = dest ? await outboundGateways(db, tenant.id) : [];
    route = dest && gateways.length > 0
      ? { kind: 'outbound', destination: dest, gateways, callerIdNumber: null, callerIdName: null }
      : await failover('forward target or trunk missing');
  } else {
    const ext = number.route_target ? await findActiveExtension(db, tenant.id, number.route_target) : undefined;
    route = ext ? await toExtension(db, tenant, ext) : await failover('target extension not active');
  }
  return { ...base, tenant, route };
}

async function routeTenant(db: Kysely<Database>, tenant: TenantRef, req: CallRequest): Promise<CallPlan> {
  const callerExt = req.authUser ? await findActiveExtension(db, tenant.id, req.authUser) : undefined;
  const plan = { context: req.context, destination: req.destination, tenant, caller: callerExt ? target(callerExt) : null };
  const ext = await findActiveExtension(db, tenant.id, req.destination);
  if (ext) return { ...plan, route: await toExtension(db, tenant, ext) };

  const dest = toE164(req.destination);
  if (!dest) return { ...plan, route: reject('UNALLOCATED_NUMBER', 'no such extension') };
  const presented = await outboundCallerNumber(db, tenant.id, callerExt?.caller_id_number ?? null);
  if (!presented) return { ...plan, route: reject('OUTGOING_CALL_BARRED', 'tenant has no number to present') };
  if (!presented.outbound_enabled) {
    return { ...plan, route: reject('OUTGOING_CALL_BARRED', `outbound calls disabled on ${presented.number}`) };
  }
  const gateways = await outboundGateways(db, tenant.id);
  if (gateways.length === 0) return { ...plan, route: reject('NO_ROUTE_DESTINATION', 'tenant has no active trunk') };
  return {
    ...plan,
    route: {
      kind: 'outbound',
      destination: dest,
      gateways,
      callerIdNumber: presented.number,
      callerIdName: callerExt?.caller_id_name ?? callerExt?.display_name ?? tenant.name,
    },
  };
}

/**
 * Decides the route of a call entering the dialplan.
 * - `public` context (calls from trunks): the DID's route: extension, AI agent inside business
 *   hours (in the tenant's time zone, at `now`), failover extension outside them, or forward.
 * - a tenant's context (its SIP domain): extension to extension, or E.164 out through the
 *   tenant's trunks in priority order.
 * @returns the plan, or null when the context is not one Switchplane owns (answer `not found`)
 */
export async function planCall(db: Kysely<Database>, req: CallRequest, now: Date): Promise<CallPlan | null> {
  if (req.context === INBOUND_CONTEXT) return routeInbound(db, req, now);
  const tenant = await findActiveTenantByDomain(db, req.context);
  return tenant ? routeTenant(db, tenant, req) : null;
}
