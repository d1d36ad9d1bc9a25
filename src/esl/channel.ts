/**
 * One live channel as the channel tracker (src/esl/channels.ts) keeps it, and how a channel
 * event (src/esl/channel-event.ts) or a `show channels as json` answer updates it.
 * - Tenant: `variable_accountcode` (a tenant id: the dialplan exports it, the directory sets it
 *   on a tenant's phones, originate sets it), else `variable_switchplane_tenant_id` (AI agent
 *   calls); only UUIDs count, so a channel of no tenant is kept but listed for nobody.
 * - Trunk: `variable_sip_gateway_name`, which mod_sofia sets on a leg dialled through
 *   `sofia/gateway/<name>/...`; gateways are named by trunk id (src/domain/trunks.ts).
 * - Legs: `Other-Leg-Unique-ID` is the other leg; `variable_originator` names the channel that
 *   originated this one (switch_ivr_originate.c), so a channel without it is the A leg of its call.
 */
import type { ChannelEvent } from './channel-event.js';

export type ChannelState = 'ringing' | 'early' | 'answered' | 'bridged';

const RANK: Record<ChannelState, number> = { ringing: 0, early: 1, answered: 2, bridged: 3 };

export interface Channel {
  /** `Unique-ID`. */
  uuid: string;
  /** The ESL_NODES name of the node that has it. */
  node: string;
  tenantId: string | null;
  /** `Call-Direction`, as FreeSWITCH sees the leg. */
  direction: 'inbound' | 'outbound';
  /** `Channel-Name`, e.g. `sofia/internal/1001@acme.switchplane.test`. */
  name: string | null;
  /** `Caller-Caller-ID-Number`. */
  callerNumber: string | null;
  /** `Caller-Destination-Number`. */
  destination: string | null;
  state: ChannelState;
  /** `Caller-Channel-Created-Time` (µs epoch). */
  createdAt: Date;
  /** `Caller-Channel-Answered-Time` (µs epoch), null until answered. */
  answeredAt: Date | null;
  /** `Other-Leg-Unique-ID`: the bridged or originating peer. */
  otherLeg: string | null;
  /** `variable_originator`: the channel that originated this leg; null for an A leg. */
  originator: string | null;
  /** Trunk id from `variable_sip_gateway_name`. */
  trunkId: string | null;
  /** The node's link was lost since this was last confirmed. */
  stale: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuidOf = (value: string | undefined) => (value && UUID.test(value) ? value.toLowerCase() : null);

/** The node's channel uuids from `show channels as json`. */
export function listedChannels(body: string): Set<string> {
  const parsed = JSON.parse(body) as { row_count?: unknown; rows?: Array<{ uuid?: unknown }> };
  if (typeof parsed?.row_count !== 'number') throw new Error(`show channels as json: unexpected answer ${body.slice(0, 80)}`);
  return new Set((parsed.rows ?? []).map((r) => r.uuid).filter((u): u is string => typeof u === 'string'));
}

function stateOf(event: ChannelEvent): ChannelState {
  switch (event.name) {
    case 'CHANNEL_BRIDGE':
      return 'bridged';
    case 'CHANNEL_ANSWER':
      return 'answered';
    case 'CHANNEL_PROGRESS_MEDIA':
      return 'early';
  }
  return event.answerState === 'answered' ? 'answered' : event.answerState === 'early' ? 'early' : 'ringing';
}

/**
 * The channel `event` reports on `node`, on top of what was known (`prev`): fields the event
 * lacks keep their old values; the state never goes back; the creation time and the originator
 * are the first ones seen.
 */
export function channelFrom(event: ChannelEvent, node: string, prev: Channel | undefined): Channel {
  const state = stateOf(event);
  return {
    uuid: event.uniqueId,
    node,
    tenantId: uuidOf(event.accountcode) ?? uuidOf(event.switchplane.tenantId) ?? prev?.tenantId ?? null,
    direction: event.direction ?? prev?.direction ?? 'outbound',
    name: event.channelName ?? prev?.name ?? null,
    callerNumber: event.callerNumber ?? prev?.callerNumber ?? null,
    destination: event.destination ?? prev?.destination ?? null,
    state: prev && RANK[prev.state] > RANK[state] ? prev.state : state,
    createdAt: prev?.createdAt ?? event.createdAt ?? event.eventAt ?? new Date(),
    answeredAt: prev?.answeredAt ?? event.answeredAt ?? null,
    otherLeg: event.otherLeg ?? prev?.otherLeg ?? null,
    originator: prev ? prev.originator : (event.originator ?? null),
    trunkId: uuidOf(event.gatewayName) ?? prev?.trunkId ?? null,
    stale: false,
  };
}
