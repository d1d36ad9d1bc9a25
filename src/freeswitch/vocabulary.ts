/**
 * The names Switchplane and FreeSWITCH share: sofia profiles, dialplan contexts, dial strings,
 * transfer targets and the `switchplane_*` channel variables. Pure values and string builders;
 * every other module takes these names from here instead of writing them out.
 */

/** The sofia profiles Switchplane serves (src/xmlcurl/sofia.ts). */
export const PROFILES = ['internal', 'external'] as const;
export type ProfileName = (typeof PROFILES)[number];

/** The profile phones register to and call from: digest auth on every REGISTER and INVITE. */
export const PHONE_PROFILE: ProfileName = 'internal';
/** The profile of the trunks: one gateway per active trunk, calls only from trunk addresses. */
export const TRUNK_PROFILE: ProfileName = 'external';

/**
 * The context of calls that arrive unauthenticated, i.e. from a trunk (both profiles' `context`
 * setting and every gateway's); a tenant's own phones dial in the tenant's context
 * (src/domain/tenants.ts `tenantContext`).
 */
export const INBOUND_CONTEXT = 'public';

/** Ring time of an extension before voicemail or hangup (the dialplan's `call_timeout`, a click-to-call's `originate_timeout`), seconds. */
export const EXTENSION_RING_SECONDS = 30;

/** The dialplan of every transfer and originate: mod_dialplan_xml. */
export const DIALPLAN = 'XML';

/**
 * Channel variables Switchplane sets (the dialplan, originate, the gateways and the directory
 * users) and reads back from events and CDRs. In an event each appears as `variable_<name>`.
 */
export const CHANNEL_VARS = {
  /** The call's direction from the tenant's side (`inbound`, `outbound`, `internal`), exported to every leg. */
  direction: 'switchplane_direction',
  /** The API path of the call's recording (src/domain/recordings.ts recordingAudioPath), exported to every leg of a recorded call. */
  recordingPath: 'switchplane_recording_path',
  /** The AI agent profile of a call parked for the agent. */
  aiProfile: 'switchplane_ai_profile',
  /** The tenant of a call parked for the agent. */
  tenantId: 'switchplane_tenant_id',
  /** The number dialled, E.164, of a call parked for the agent. */
  did: 'switchplane_did',
  /** The caller's number of a call parked for the agent. */
  caller: 'switchplane_caller',
  /** `true` on the first leg of a click-to-call, whose originate transfers it into the dialplan. */
  clickToCall: 'switchplane_click_to_call',
  /** A gateway's trunk id (a gateway `<variable>`, set on the gateway's channels). */
  trunkId: 'switchplane_trunk_id',
  /** A directory user's extension id (a user `<variable>`). */
  extensionId: 'switchplane_extension_id',
} as const;
export type ChannelVar = (typeof CHANNEL_VARS)[keyof typeof CHANNEL_VARS];

/** mod_hash `limit` realms: concurrent calls counted per tenant, per extension and per trunk. */
export const LIMIT_REALM = { tenant: 'switchplane_tenant', extension: 'switchplane_extension', trunk: 'switchplane_trunk' } as const;

/** A directory user's endpoint: rings the user's registered contact (mod_dptools `user/`). */
export function userEndpoint(user: string, domain: string): string {
  return `user/${user}@${domain}`;
}

/** A number through a sofia gateway (mod_sofia `sofia/gateway/<name>/<number>`). */
export function gatewayEndpoint(gateway: string, number: string): string {
  return `sofia/gateway/${gateway}/${number}`;
}

/** A dialplan destination as transfer and originate take it: `<extension> XML <context>`. */
export function transferTarget(extension: string, context: string): string {
  return `${extension} ${DIALPLAN} ${context}`;
}

/**
 * Makes text inert for FreeSWITCH: an XML answer is run through FreeSWITCH's preprocessor
 * (`$${var}`, switch_xml.c) and channel variables are expanded at run time (`${api(args)}` calls
 * an API), so `$`, `{` and `}` are removed; characters XML 1.0 forbids are dropped too.
 */
export function fsText(value: string): string {
  return value.replace(/[${}\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}
