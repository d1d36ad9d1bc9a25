/**
 * Which trunks an outbound call tries, in which order, and the number presented on each (the
 * W3 Suite guide's example 3: "FreeSWITCH selects a trunk with DIDs available, sets the caller ID
 * to the trunk's DID"; the Welcomedly guide §6.2: a trunk that is not registered is skipped).
 *
 * - Caller ID on a trunk: the extension's configured caller ID number when it is a number of that
 *   trunk (or of no trunk); else, on a trunk with `allow_any_caller_id`, that configured number as
 *   it is; else the trunk's first outbound-enabled number; else the first outbound-enabled number
 *   on no trunk. A number with no trunk (`phone_numbers.trunk_id` null) belongs to every trunk.
 *   A trunk left with no number to present is not tried.
 * - Order: the trunk of the extension's number first, then the others by priority (1 first).
 * - Trunks whose gateway is known to be down are left out; when every trunk that could carry the
 *   call is down, all of them are tried in that order anyway (the state may be stale, and
 *   FreeSWITCH itself refuses a gateway that really is down without sending anything).
 */
import { toE164 } from './numbers.js';
import type { LookupExtension, LookupNumber, LookupTrunk, TenantSnapshot } from './tenant-snapshot.js';
import { gatewayName } from './trunks.js';

export interface OutboundGateway {
  /** The sofia gateway name (src/domain/trunks.ts `gatewayName`). */
  name: string;
  maxChannels: number;
  /** E.164 number presented on this trunk, or null to keep the caller's (forwarded calls). */
  callerIdNumber: string | null;
}

/**
 * Gateway states after which a gateway is down (`registration_state`, mod_sofia.c
 * `sofia_state_names`): a failed registration waiting to retry, a killed gateway, and the
 * failure states before FAIL_WAIT.
 */
export const GATEWAY_DOWN_STATES: readonly string[] = ['FAILED', 'FAIL_WAIT', 'TIMEOUT', 'EXPIRED', 'DOWN'];

/**
 * Whether a trunk's gateway is known to be down, from the state FreeSWITCH last reported
 * (src/esl/gateways.ts): a down registration state, or `ping_status` DOWN, which is mod_sofia's
 * gateway status (`sofia_gateway_status_name`): DOWN after a failed registration until the next
 * REGED, after failed OPTIONS pings, and while a registering gateway has not registered yet.
 * mod_sofia.c `sofia_outgoing_channel` refuses such a gateway with NETWORK_OUT_OF_ORDER.
 */
export function gatewayDown(trunk: Pick<LookupTrunk, 'registration_state' | 'ping_status'>): boolean {
  return trunk.ping_status === 'DOWN' || GATEWAY_DOWN_STATES.includes(trunk.registration_state);
}

/** `legs` without the down ones, or all of them when every one is down. */
function upFirst<T extends { trunk: LookupTrunk }>(legs: T[]): T[] {
  const up = legs.filter((l) => !gatewayDown(l.trunk));
  return up.length > 0 ? up : legs;
}

const gateway = (trunk: LookupTrunk, callerIdNumber: string | null): OutboundGateway => ({
  name: gatewayName(trunk),
  maxChannels: trunk.max_channels,
  callerIdNumber,
});

const activeTrunks = (s: TenantSnapshot): LookupTrunk[] => s.trunks.filter((t) => t.status === 'active');

/**
 * The gateways of a call that keeps its caller's number (a forwarded call): the active trunks in
 * priority order, those known down left out (unless all are).
 */
export function forwardingGateways(s: TenantSnapshot): OutboundGateway[] {
  return upFirst(activeTrunks(s).map((trunk) => ({ trunk }))).map(({ trunk }) => gateway(trunk, null));
}

/** Why an extension's call cannot go out: the reject cause and reason the dialplan logs. */
export interface OutboundRefusal {
  cause: 'NO_ROUTE_DESTINATION' | 'OUTGOING_CALL_BARRED';
  reason: string;
}

function firstOutbound(numbers: LookupNumber[], trunkId: string | null): string | undefined {
  return numbers.find((n) => n.outbound_enabled && n.trunk_id === trunkId)?.number;
}

/**
 * The gateways of a call from `caller` (undefined: a caller that is no extension of the tenant),
 * each with the number it presents; see the module comment for the rules.
 * @returns the gateways in order, or the refusal: OUTGOING_CALL_BARRED when the extension's own
 *   number has outbound calls disabled or no trunk has a number to present, NO_ROUTE_DESTINATION
 *   when the tenant has no active trunk
 */
export function callerGateways(s: TenantSnapshot, caller: Pick<LookupExtension, 'caller_id_number'> | undefined): OutboundGateway[] | OutboundRefusal {
  const configured = caller?.caller_id_number ? toE164(caller.caller_id_number) : null;
  const own = configured ? s.numbers.find((n) => n.number === configured) : undefined;
  if (own && !own.outbound_enabled) return { cause: 'OUTGOING_CALL_BARRED', reason: `outbound calls disabled on ${own.number}` };
  const trunks = activeTrunks(s);
  if (trunks.length === 0) return { cause: 'NO_ROUTE_DESTINATION', reason: 'tenant has no active trunk' };
  const ordered = own?.trunk_id ? [...trunks.filter((t) => t.id === own.trunk_id), ...trunks.filter((t) => t.id !== own.trunk_id)] : trunks;
  const presented = (t: LookupTrunk): string | undefined => {
    if (own && (own.trunk_id === t.id || own.trunk_id === null)) return own.number;
    if (configured && t.allow_any_caller_id) return configured;
    return firstOutbound(s.numbers, t.id) ?? firstOutbound(s.numbers, null);
  };
  const legs = ordered.flatMap((trunk) => {
    const number = presented(trunk);
    return number ? [{ trunk, number }] : [];
  });
  if (legs.length === 0) return { cause: 'OUTGOING_CALL_BARRED', reason: 'no active trunk has a number to present' };
  return upFirst(legs).map(({ trunk, number }) => gateway(trunk, number));
}
