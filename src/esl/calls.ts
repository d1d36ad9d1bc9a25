/**
 * A call as the API and the scheduler see it, the errors call control answers, and the
 * click-to-call originate command.
 *
 * Click-to-call (the Welcomedly guide's `call/originate`, the VoIP extensions guide's
 * "call from an extension"): the extension's phone rings first; once it answers, FreeSWITCH runs
 * the tenant's dialplan for the destination exactly as if the phone had dialled it:
 *
 *   bgapi originate {origination_uuid=<call id>,origination_caller_id_name=<destination>,
 *     origination_caller_id_number=<destination>,originate_timeout=<ring seconds>,
 *     accountcode=<tenant id>,user_name=<sip username>}user/<sip username>@<sip domain>
 *     <destination> XML <context>
 *
 * (mod_commands.c originate_function: `<call url> <exten> [<dialplan>] [<context>] ...`; the
 * `{}` variables are read by switch_ivr_originate.c and set on the A leg):
 * - `origination_uuid`: the A leg's Unique-ID, chosen here, is the call id answered at once;
 * - `origination_caller_id_name` / `_number`: what the ringing phone shows: whom it will call;
 * - `originate_timeout`: seconds the phone rings (the dialplan's extension ring time) before
 *   the call fails with NO_ANSWER;
 * - `accountcode`: the tenant, on the A leg from its CHANNEL_CREATE on (the directory sets it
 *   again with the user's other variables once the leg answers: mod_dptools
 *   user_outgoing_channel), so the ChannelTracker and the CDR attribute the call;
 * - `user_name`: the dialplan's calling user (`variable_user_name`, which sip_auth sets on a
 *   phone's own calls), so the call gets the extension's caller ID and the tenant's outbound
 *   number, the extension's and the tenant's channel limits, and the trunks in priority order
 *   with failover and their channel limits (src/domain/call-routing.ts).
 * `user/<user>@<domain>` rings the user's registered contact (its directory `dial-string`); the
 * context is the tenant's (its SIP domain, src/domain/tenants.ts).
 *
 */
import type { Extension, Tenant } from '../db/schema.js';
import { tenantContext } from '../domain/tenants.js';
import { originateUser } from '../freeswitch/commands.js';
import { CHANNEL_VARS } from '../freeswitch/vocabulary.js';

export const CALL_STATES = ['originating', 'ringing', 'answered', 'bridged', 'ended', 'failed'] as const;
export type CallState = (typeof CALL_STATES)[number];

export interface Call {
  /** The A leg's Unique-ID. */
  callId: string;
  state: CallState;
  /** `Call-Direction` of the A leg (a click-to-call's A leg is outbound: to the phone). */
  direction: 'inbound' | 'outbound';
  /** The extension whose phone a click-to-call rang first; null for other calls. */
  extension: string | null;
  callerNumber: string | null;
  destination: string | null;
  /** The ESL_NODES name of the node holding the call. */
  node: string;
  /** `Channel-Name` of the A leg, e.g. `sofia/internal/1001@acme.switchplane.test`; null before it exists. */
  channel: string | null;
  /** The trunk the call goes through (its own leg's or its other leg's gateway). */
  trunkId: string | null;
  /** Unique-ID of the leg bridged to it. */
  otherLeg: string | null;
  hangupCause: string | null;
  createdAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  /** The node's link is down: the state is as last seen. */
  stale: boolean;
}

export type CallTenant = Pick<Tenant, 'id' | 'sip_domain' | 'status'>;
export type CallExtension = Pick<Extension, 'tenant_id' | 'extension' | 'sip_username' | 'status'>;

/** What a method refuses: `invalid_extension` is an extension that is not the tenant's or not active. */
export class CallError extends Error {
  constructor(
    readonly code: 'esl_unavailable' | 'not_found' | 'conflict' | 'invalid_extension',
    message: string,
  ) {
    super(message);
    this.name = 'CallError';
  }
}

/** The originate command (without `bgapi`); `destination` is digits with an optional leading `+`. */
export function originateCommand(o: { callId: string; tenant: Pick<Tenant, 'id' | 'sip_domain'>; from: Pick<Extension, 'sip_username'>; destination: string; ringSeconds: number }): string {
  const vars: Array<[string, string | number]> = [
    ['origination_uuid', o.callId],
    ['origination_caller_id_name', o.destination],
    ['origination_caller_id_number', o.destination],
    ['originate_timeout', o.ringSeconds],
    ['accountcode', o.tenant.id],
    ['user_name', o.from.sip_username],
    // originate hands the answered leg to the dialplan by a transfer (mod_commands.c
    // originate_function), which a CDR would otherwise take for a transferred call.
    [CHANNEL_VARS.clickToCall, 'true'],
  ];
  return originateUser({ vars, user: o.from.sip_username, domain: o.tenant.sip_domain, extension: o.destination, context: tenantContext(o.tenant) });
}
