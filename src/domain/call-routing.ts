/**
 * Where a call goes: the decision behind every dialplan answer, free of XML. The dialplan
 * renderer (src/xmlcurl/dialplan.ts) turns a `CallPlan` into mod_dialplan_xml actions.
 */
import { isWithinBusinessHours } from './business-hours.js';
import { findDid } from './did-lookup.js';
import { findActiveExtension } from './extensions.js';
import { countryOf, toE164, type CountryCode } from './numbers.js';
import type { TenantCache } from './tenant-cache.js';
import { callerGateways, forwardingGateways, type OutboundGateway } from './outbound-trunks.js';
import type { LookupExtension, LookupNumber, LookupTenant, TenantSnapshot } from './tenant-snapshot.js';
import { INBOUND_CONTEXT } from './tenants.js';

/** FreeSWITCH hangup causes used by rejections (switch_channel.c CAUSE_CHART, Q.850 numbers). */
export type RejectCause =
  | 'UNALLOCATED_NUMBER' // 1: nobody owns the DID / no such destination
  | 'NO_ROUTE_DESTINATION' // 3: the tenant has no active trunk
  | 'CALL_REJECTED' // 21: the tenant is not active
  | 'NORMAL_TEMPORARY_FAILURE' // 41: no failover extension for a closed AI number
  | 'OUTGOING_CALL_BARRED' // 52: the presented number has outbound calls disabled, or no trunk has a number to present
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
  /** The caller's own mailbox, through mod_voicemail's menu (`voicemail check`); `mailbox` is its directory user id. */
  | { kind: 'voicemail_check'; mailbox: string }
  | {
      kind: 'outbound';
      /** E.164 destination. */
      destination: string;
      /** Tried in this order; each with its own channel limit and presented number (src/domain/outbound-trunks.ts). */
      gateways: OutboundGateway[];
      /** Caller ID name presented on every trunk, or null to keep the caller's (forwarded calls). */
      callerIdName: string | null;
    };

/** A call's direction from the tenant's side (src/xmlcurl/dialplan.ts `callDirection`). */
export type CallDirection = 'inbound' | 'outbound' | 'internal';
export const CALL_DIRECTIONS: readonly CallDirection[] = ['inbound', 'outbound', 'internal'];

export interface CallPlan {
  context: string;
  /** The destination number exactly as FreeSWITCH sent it. */
  destination: string;
  /** The direction an earlier pass through the dialplan gave the call, kept across a transfer. */
  direction?: CallDirection;
  /** The call is recorded already (an earlier pass set up its recording): no second one. */
  recorded?: boolean;
  tenant: LookupTenant | null;
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
  /**
   * `variable_switchplane_direction`: set when the call went through Switchplane's dialplan
   * before (a transfer: `uuid_transfer` by the AI agent or the API, a forward), else null.
   */
  direction?: string | null;
  /** `variable_switchplane_recording_path`: set when an earlier pass set up the call's recording. */
  recordingPath?: string | null;
}

function target(ext: LookupExtension): ExtensionTarget {
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

/** What a phone dials to listen to its voicemail (the VoIP extensions guide's `*98`). */
export const VOICEMAIL_CHECK_CODE = '*98';

/** Route to an extension, or, when it forwards all calls, out through the tenant's trunks. */
function toExtension(s: TenantSnapshot, ext: LookupExtension): Route {
  const forwardTo = ext.call_forwarding_enabled && ext.call_forwarding_number ? toE164(ext.call_forwarding_number, countryOf(s.tenant)) : null;
  if (!forwardTo) return { kind: 'extension', target: target(ext) };
  const gateways = forwardingGateways(s);
  if (gateways.length === 0) return reject('NO_ROUTE_DESTINATION', 'tenant has no active trunk for call forwarding');
  return { kind: 'outbound', destination: forwardTo, gateways, callerIdName: null };
}

function routeInbound(s: TenantSnapshot, number: LookupNumber, req: CallRequest, now: Date): Route {
  if (s.tenant.status !== 'active') return reject('CALL_REJECTED', `tenant is ${s.tenant.status}`);
  if (!number.incoming_enabled) return reject('INCOMING_CALL_BARRED', 'incoming calls disabled on this number');

  const failover = (why: string): Route => {
    const ext = number.failover_extension ? findActiveExtension(s.extensions, number.failover_extension) : undefined;
    return ext ? toExtension(s, ext) : reject('NORMAL_TEMPORARY_FAILURE', `${why}, and no active failover extension`);
  };
  switch (number.route) {
    case 'ai_agent':
      return isWithinBusinessHours(number.business_hours, s.tenant.timezone, now)
        ? { kind: 'ai_agent', profile: number.ai_agent_profile ?? 'default', did: number.number, caller: req.callerNumber }
        : failover('outside business hours');
    case 'forward': {
      const dest = number.route_target ? toE164(number.route_target, countryOf(s.tenant)) : null;
      const gateways = forwardingGateways(s);
      return dest && gateways.length > 0
        ? { kind: 'outbound', destination: dest, gateways, callerIdName: null }
        : failover('forward target or trunk missing');
    }
    case 'extension': {
      const ext = number.route_target ? findActiveExtension(s.extensions, number.route_target) : undefined;
      return ext ? toExtension(s, ext) : failover('target extension not active');
    }
  }
}

/**
 * What a destination dialled in a tenant's context reaches, before trunks and caller ID are
 * looked at: one of its active extensions (by SIP username or number), else an E.164 number
 * (toE164: a national number of the tenant's `country` such as `0510510512` in IT, `+...`,
 * `00...`, 8 to 15 digits), else nothing: the dialplan rejects it with UNALLOCATED_NUMBER.
 * Click-to-call checks its destination with this too.
 */
export function dialledTarget<E extends Pick<LookupExtension, 'sip_username' | 'extension' | 'status'>>(
  extensions: Iterable<E>,
  destination: string,
  country: CountryCode | null = null,
): { kind: 'extension'; ext: E } | { kind: 'number'; e164: string } | null {
  const ext = findActiveExtension(extensions, destination);
  if (ext) return { kind: 'extension', ext };
  const e164 = toE164(destination, country);
  return e164 ? { kind: 'number', e164 } : null;
}

function routeTenant(s: TenantSnapshot, req: CallRequest, callerExt: LookupExtension | undefined): Route {
  if (req.destination === VOICEMAIL_CHECK_CODE) {
    return callerExt?.voicemail_enabled
      ? { kind: 'voicemail_check', mailbox: callerExt.sip_username }
      : reject('UNALLOCATED_NUMBER', 'the caller has no voicemail box');
  }
  const dialled = dialledTarget(s.extensions, req.destination, countryOf(s.tenant));
  if (!dialled) return reject('UNALLOCATED_NUMBER', 'no such extension');
  if (dialled.kind === 'extension') return toExtension(s, dialled.ext);
  const dest = dialled.e164;
  const gateways = callerGateways(s, callerExt);
  if (!Array.isArray(gateways)) return reject(gateways.cause, gateways.reason);
  return {
    kind: 'outbound',
    destination: dest,
    gateways,
    callerIdName: callerExt?.caller_id_name ?? callerExt?.display_name ?? s.tenant.name,
  };
}

/**
 * Decides the route of a call entering the dialplan.
 * - `public` context (calls from trunks): the DID's route: extension, AI agent inside business
 *   hours (in the tenant's time zone, at `now`), failover extension outside them, or forward.
 *   The DID is found as src/domain/did-lookup.ts says (as sent, then in the national format of
 *   its owner's country); one nobody owns, or several customers' at once, is rejected with
 *   UNALLOCATED_NUMBER.
 * - a tenant's context (its SIP domain): extension to extension, or E.164 (national numbers
 *   read in the tenant's country) out through the
 *   tenant's trunks (the trunk of the caller's number first, each presenting a number of its
 *   own, gateways known down skipped: src/domain/outbound-trunks.ts); `*98` from an extension with voicemail reaches its own
 *   mailbox (mod_voicemail asks for the PIN when one is set), from anyone else UNALLOCATED_NUMBER.
 * @returns the plan, or null when the context is not one Switchplane owns (answer `not found`)
 */
export async function planCall(tenants: TenantCache, req: CallRequest, now: Date): Promise<CallPlan | null> {
  const kept = CALL_DIRECTIONS.find((d) => d === req.direction);
  const base = { context: req.context, destination: req.destination, ...(kept && { direction: kept }), ...(req.recordingPath && { recorded: true }) };
  if (req.context === INBOUND_CONTEXT) {
    const found = await findDid(tenants, req.destination);
    if (found.kind === 'ambiguous') return { ...base, tenant: null, caller: null, route: reject('UNALLOCATED_NUMBER', `national number of several customers: ${found.numbers.join(', ')}`) };
    if (found.kind === 'none') return { ...base, tenant: null, caller: null, route: reject('UNALLOCATED_NUMBER', 'no tenant owns this number') };
    return { ...base, tenant: found.snapshot.tenant, caller: null, route: routeInbound(found.snapshot, found.number, req, now) };
  }
  const s = await tenants.tenantByDomain(req.context);
  if (!s || s.tenant.status !== 'active') return null;
  const callerExt = req.authUser ? findActiveExtension(s.extensions, req.authUser) : undefined;
  return { ...base, tenant: s.tenant, caller: callerExt ? target(callerExt) : null, route: routeTenant(s, req, callerExt) };
}
