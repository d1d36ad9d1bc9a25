/**
 * Dialplan section: one context holding one extension whose actions carry out the `CallPlan`
 * (mod_dialplan_xml; applications from mod_dptools, mod_hash `limit`/`limit_execute`,
 * mod_voicemail). FreeSWITCH never caches dialplan answers, so each call and each transfer asks.
 */
import { randomUUID } from 'node:crypto';
import type { CallDirection, CallPlan, ExtensionTarget, Route } from '../domain/call-routing.js';
import type { RecordingForks } from '../domain/recording-forks.js';
import { recordingAudioPath } from '../domain/recordings.js';
import { VOICEMAIL_BOX_VARIABLE, voicemailBoxValue } from '../domain/voicemail-forks.js';
import type { OutboundGateway } from '../domain/outbound-trunks.js';
import type { LookupTenant } from '../domain/tenant-snapshot.js';
import { audioStream } from '../freeswitch/commands.js';
import { CHANNEL_VARS, EXTENSION_RING_SECONDS, INBOUND_CONTEXT, LIMIT_REALM, fsText, gatewayEndpoint, userEndpoint } from '../freeswitch/vocabulary.js';
import { newSection, render } from './document.js';

export type Action = [application: string, data?: string];

/** Causes on which an outbound call moves on to the next trunk; USER_BUSY, CALL_REJECTED and
 * every other cause end the call (switch_channel.c `switch_channel_handle_cause`). */
export const TRUNK_FAILOVER_CAUSES = [
  'NORMAL_TEMPORARY_FAILURE',
  'NO_ROUTE_DESTINATION',
  'DESTINATION_OUT_OF_ORDER',
  'NETWORK_OUT_OF_ORDER',
  'NORMAL_CIRCUIT_CONGESTION',
  'SWITCH_CONGESTION',
  'REQUESTED_CHAN_UNAVAIL',
  'RECOVERY_ON_TIMER_EXPIRE',
  'GATEWAY_DOWN',
  'INVALID_GATEWAY',
  'SERVICE_UNAVAILABLE',
];

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The call's direction from the tenant's side, exported to every leg as `switchplane_direction`
 * so each leg's CDR carries it (src/cdr/records.ts): a call from a trunk (the `public` context)
 * is inbound, a call out through a trunk outbound, a call between the tenant's phones internal.
 * A call transferred back into the dialplan keeps the direction it had (a carrier's call that
 * the AI agent hands to an extension stays inbound).
 */
export function callDirection(plan: CallPlan): CallDirection {
  if (plan.direction) return plan.direction;
  if (plan.context === INBOUND_CONTEXT) return 'inbound';
  return plan.route.kind === 'outbound' ? 'outbound' : 'internal';
}

/**
 * RTP inactivity limits, milliseconds: a call with no RTP for 5 minutes (30 on hold) is hung up
 * with MEDIA_TIMEOUT. Channel variables read by switch_core_media.c; FreeSWITCH 1.10 deprecates
 * the profile's `rtp-timeout-sec` in their favour.
 */
export const MEDIA_TIMEOUT_MS = { active: 300_000, hold: 1_800_000 };

function tenantActions(tenant: LookupTenant, direction: string): Action[] {
  return [
    ['set', `domain_name=${tenant.sip_domain}`],
    ['export', `accountcode=${tenant.id}`],
    ['export', `${CHANNEL_VARS.direction}=${direction}`],
    ['export', `media_timeout=${MEDIA_TIMEOUT_MS.active}`],
    ['export', `media_hold_timeout=${MEDIA_TIMEOUT_MS.hold}`],
    ['limit', `hash ${LIMIT_REALM.tenant} ${tenant.id} ${tenant.max_concurrent_calls} !NORMAL_CIRCUIT_CONGESTION`],
  ];
}

/**
 * Records the call once it is answered: `api_on_answer` (switch_channel.c, run when the channel
 * is marked answered) starts a stereo mod_audio_stream fork of this leg to Switchplane
 * (src/media/recording-server.ts), so the recording covers the answered call in both directions
 * (left: this leg's party, right: the other). The recording's API path is exported to every leg
 * so that each leg's CDR names it (recording_url).
 */
export function recordingActions(forks: RecordingForks, tenantId: string, extensionId: string): Action[] {
  const recordingId = randomUUID();
  const url = forks.url({ recordingId, tenantId, extensionId }, '${uuid}');
  return [
    ['export', `${CHANNEL_VARS.recordingPath}=${recordingAudioPath(tenantId, recordingId)}`],
    ['set', `api_on_answer=${audioStream.record('${uuid}', url)}`],
  ];
}

/** Unsets what recordingActions set: the call goes on unanswered by the extension (voicemail). */
const NO_RECORDING: Action[] = [['unset', 'api_on_answer'], ['unset', CHANNEL_VARS.recordingPath]];

/** Whose calls a plan records: the extension called, else the extension calling; null when neither asks. */
function recordedExtension(plan: CallPlan): string | null {
  if (plan.route.kind === 'extension' && plan.route.target.recording) return plan.route.target.id;
  if (plan.caller?.recording && (plan.route.kind === 'extension' || plan.route.kind === 'outbound')) return plan.caller.id;
  return null;
}

/**
 * Leaves a message in the extension's mailbox (mod_voicemail). The channel names the mailbox
 * (VOICEMAIL_BOX_VARIABLE) so that Switchplane forks the message's audio to its storage when
 * mod_voicemail starts recording it (src/esl/voicemail-recording.ts).
 */
function voicemailActions(t: ExtensionTarget, tenant: LookupTenant): Action[] {
  return [
    ['answer'],
    ['set', `${VOICEMAIL_BOX_VARIABLE}=${voicemailBoxValue({ tenantId: tenant.id, extensionId: t.id })}`],
    ['voicemail', `default ${tenant.sip_domain} ${t.sipUsername}`],
  ];
}

function extensionActions(t: ExtensionTarget, tenant: LookupTenant, recorded: boolean): Action[] {
  const domain = tenant.sip_domain;
  const voicemail: Action[] = t.voicemail ? voicemailActions(t, tenant) : [];
  const actions: Action[] = [['limit', `hash ${LIMIT_REALM.extension} ${t.id} ${t.maxConcurrentCalls} !USER_BUSY`]];
  if (t.doNotDisturb) return [...actions, ...(voicemail.length ? voicemail : [['hangup', 'USER_BUSY'] as Action])];
  actions.push(
    ['set', `call_timeout=${EXTENSION_RING_SECONDS}`],
    ['set', 'hangup_after_bridge=true'],
    ['set', 'continue_on_fail=true'],
  );
  actions.push(['bridge', userEndpoint(t.sipUsername, domain)]);
  if (!voicemail.length) return [...actions, ['hangup', '${originate_disposition}']];
  return [...actions, ...(recorded ? NO_RECORDING : []), ...voicemail];
}

/**
 * The dial string of one trunk: its gateway, with the number it presents as a per-leg variable
 * (`[origination_caller_id_number=...]`: switch_ivr_originate.c reads it from the leg's own `[]`
 * block into that leg's caller profile and then ignores the caller's `effective_caller_id_number`;
 * `{}` would set it for every leg of the bridge). No variable keeps the caller's number.
 */
export function trunkLeg(gw: OutboundGateway, destination: string): string {
  const endpoint = gatewayEndpoint(gw.name, destination);
  return gw.callerIdNumber ? `[origination_caller_id_number=${gw.callerIdNumber}]${endpoint}` : endpoint;
}

function routeActions(route: Route, tenant: LookupTenant | null, recorded: boolean): Action[] {
  switch (route.kind) {
    case 'reject':
      return [['log', `NOTICE Switchplane rejects the call: ${fsText(route.reason)}`], ['hangup', route.cause]];
    case 'extension':
      return extensionActions(route.target, tenant!, recorded);
    case 'ai_agent':
      return [
        ['set', `${CHANNEL_VARS.aiProfile}=${fsText(route.profile)}`],
        ['set', `${CHANNEL_VARS.tenantId}=${tenant!.id}`],
        ['set', `${CHANNEL_VARS.did}=${route.did}`],
        ['set', `${CHANNEL_VARS.caller}=${fsText(route.caller)}`],
        ['answer'],
        ['park'],
      ];
    case 'voicemail_check':
      // mod_voicemail.c `voicemail_check_main`: asks for the box's `vm-password` (the directory
      // answers it for `voicemail-lookup`), then plays the new messages and its menu.
      return [['answer'], ['voicemail', `check default ${tenant!.sip_domain} ${route.mailbox}`]];
    case 'outbound': {
      const actions: Action[] = [];
      if (route.callerIdName) actions.push(['set', `effective_caller_id_name=${fsText(route.callerIdName)}`]);
      actions.push(['set', 'hangup_after_bridge=true'], ['set', `continue_on_fail=${TRUNK_FAILOVER_CAUSES.join(',')}`]);
      for (const gw of route.gateways) {
        actions.push([
          'limit_execute',
          `hash ${LIMIT_REALM.trunk} ${gw.name} ${gw.maxChannels} bridge ${trunkLeg(gw, route.destination)}`,
        ]);
      }
      actions.push(['hangup', 'NORMAL_CIRCUIT_CONGESTION']);
      return actions;
    }
  }
}

/**
 * Renders a call plan as a dialplan document for `plan.context`.
 * @param forks signs the recording forks of calls an extension records; without it nothing is recorded
 * @param record the actions that record the call (default `recordingActions`; src/xmlcurl/dialplan-answers.ts
 *   passes placeholders, filled per call)
 */
export function renderDialplan(plan: CallPlan, forks?: RecordingForks, record = recordingActions): string {
  const actions: Action[] = [];
  if (plan.tenant && plan.route.kind !== 'reject') actions.push(...tenantActions(plan.tenant, callDirection(plan)));
  if (plan.caller && plan.route.kind !== 'reject') {
    actions.push(['limit', `hash ${LIMIT_REALM.extension} ${plan.caller.id} ${plan.caller.maxConcurrentCalls} !USER_BUSY`]);
  }
  const recorded = forks && plan.tenant && !plan.recorded ? recordedExtension(plan) : null;
  if (recorded) actions.push(...record(forks!, plan.tenant!.id, recorded));
  actions.push(...routeActions(plan.route, plan.tenant, recorded !== null));

  const { doc, section } = newSection('dialplan');
  const condition = section
    .ele('context', { name: plan.context })
    .ele('extension', { name: `switchplane-${plan.route.kind}` })
    .ele('condition', { field: 'destination_number', expression: `^${escapeRegex(plan.destination)}$` });
  for (const [application, data] of actions) {
    condition.ele('action', data === undefined ? { application } : { application, data });
  }
  return render(doc);
}
