/**
 * A call the dialplan parked for the AI agent, read from its CHANNEL_PARK: the dialplan sets
 * the agent profile, tenant, number and caller on the channel (src/freeswitch/vocabulary.ts
 * `CHANNEL_VARS`, src/xmlcurl/dialplan.ts).
 */
import type { ChannelEvent } from '../esl/channel-event.js';

export interface ParkedCall {
  /** Unique-ID. */
  callId: string;
  /** ESL_NODES name of the node holding the call. */
  node: string;
  tenantId: string;
  /** The number called, E.164. */
  did: string;
  callerNumber: string | null;
  /** The agent profile (templates/agents/<profile>.md). */
  profile: string;
}

/** The parked call of a CHANNEL_PARK from `node`; undefined when the channel was not parked for the agent. */
export function parkedCall(event: ChannelEvent, node: string): ParkedCall | undefined {
  const { aiProfile: profile, tenantId, did, caller } = event.switchplane;
  if (!profile || !tenantId || !did) return undefined;
  return { callId: event.uniqueId, node, tenantId, did, callerNumber: caller ?? null, profile };
}
