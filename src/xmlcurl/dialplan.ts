/**
 * Dialplan section: one context holding one extension whose actions carry out the `CallPlan`
 * (mod_dialplan_xml; applications from mod_dptools, mod_hash `limit`/`limit_execute`,
 * mod_voicemail). FreeSWITCH never caches dialplan answers, so each call and each transfer asks.
 */
import type { CallDirection, CallPlan, ExtensionTarget, Route } from '../domain/call-routing.js';
import type { LookupTenant } from '../domain/tenant-snapshot.js';
import { CHANNEL_VARS, EXTENSION_RING_SECONDS, INBOUND_CONTEXT, LIMIT_REALM, fsText, gatewayEndpoint, userEndpoint } from '../freeswitch/vocabulary.js';
import { newSection, render } from './document.js';

type Action = [application: string, data?: string];

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

function extensionActions(t: ExtensionTarget, domain: string, tenantId: string): Action[] {
  const voicemail: Action[] = t.voicemail ? [['answer'], ['voicemail', `default ${domain} ${t.sipUsername}`]] : [];
  const actions: Action[] = [['limit', `hash ${LIMIT_REALM.extension} ${t.id} ${t.maxConcurrentCalls} !USER_BUSY`]];
  if (t.doNotDisturb) return [...actions, ...(voicemail.length ? voicemail : [['hangup', 'USER_BUSY'] as Action])];
  actions.push(
    ['set', `call_timeout=${EXTENSION_RING_SECONDS}`],
    ['set', 'hangup_after_bridge=true'],
    ['set', 'continue_on_fail=true'],
  );
  if (t.recording) {
    // The path is kept in a variable so that the CDR can name the recording (recording_url).
    actions.push(
      ['set', `${CHANNEL_VARS.recordingPath}=$\${recordings_dir}/${tenantId}/\${strftime(%Y-%m-%d)}/\${uuid}.wav`],
      ['record_session', `\${${CHANNEL_VARS.recordingPath}}`],
    );
  }
  actions.push(['bridge', userEndpoint(t.sipUsername, domain)]);
  return voicemail.length ? [...actions, ...voicemail] : [...actions, ['hangup', '${originate_disposition}']];
}

function routeActions(route: Route, tenant: LookupTenant | null): Action[] {
  switch (route.kind) {
    case 'reject':
      return [['log', `NOTICE Switchplane rejects the call: ${fsText(route.reason)}`], ['hangup', route.cause]];
    case 'extension':
      return extensionActions(route.target, tenant!.sip_domain, tenant!.id);
    case 'ai_agent':
      return [
        ['set', `${CHANNEL_VARS.aiProfile}=${fsText(route.profile)}`],
        ['set', `${CHANNEL_VARS.tenantId}=${tenant!.id}`],
        ['set', `${CHANNEL_VARS.did}=${route.did}`],
        ['set', `${CHANNEL_VARS.caller}=${fsText(route.caller)}`],
        ['answer'],
        ['park'],
      ];
    case 'outbound': {
      const actions: Action[] = [];
      if (route.callerIdNumber) {
        actions.push(['set', `effective_caller_id_number=${route.callerIdNumber}`]);
        actions.push(['set', `effective_caller_id_name=${fsText(route.callerIdName ?? route.callerIdNumber)}`]);
      }
      actions.push(['set', 'hangup_after_bridge=true'], ['set', `continue_on_fail=${TRUNK_FAILOVER_CAUSES.join(',')}`]);
      for (const gw of route.gateways) {
        actions.push([
          'limit_execute',
          `hash ${LIMIT_REALM.trunk} ${gw.name} ${gw.maxChannels} bridge ${gatewayEndpoint(gw.name, route.destination)}`,
        ]);
      }
      actions.push(['hangup', 'NORMAL_CIRCUIT_CONGESTION']);
      return actions;
    }
  }
}

/** Renders a call plan as a dialplan document for `plan.context`. */
export function renderDialplan(plan: CallPlan): string {
  const actions: Action[] = [];
  if (plan.tenant && plan.route.kind !== 'reject') actions.push(...tenantActions(plan.tenant, callDirection(plan)));
  if (plan.caller && plan.route.kind !== 'reject') {
    actions.push(['limit', `hash ${LIMIT_REALM.extension} ${plan.caller.id} ${plan.caller.maxConcurrentCalls} !USER_BUSY`]);
  }
  actions.push(...routeActions(plan.route, plan.tenant));

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
