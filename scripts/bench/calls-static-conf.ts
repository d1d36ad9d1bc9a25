/**
 * The static arm of `npm run bench:calls`: a FreeSWITCH configuration on disk that routes the
 * bench's two flows as Switchplane does, with no mod_xml_curl, no event socket client and no CDR
 * posts (mod_json_cdr writes each leg to a file, as the shared loopback config does).
 *
 * Built from what Switchplane itself serves for the bench's customer, read through
 * `GET /api/v1/customers/{id}/freeswitch_config` (src/api/freeswitch-config.ts): the directory
 * (each extension's `sip_auth` answer: a1-hash, dial-string, variables), the external profile
 * with the trunk's gateway, and the DID's `public` dialplan context. The internal profile repeats
 * the settings of src/xmlcurl/sofia.ts (without WebSocket bindings), and the outbound context
 * repeats the actions src/xmlcurl/dialplan.ts renders for a call from an extension to a trunk
 * (tenant and extension `limit`s, `limit_execute` of the trunk around the `bridge`).
 */
import { CHANNEL_VARS, LIMIT_REALM, gatewayEndpoint } from '../../src/freeswitch/vocabulary.js';
import { MEDIA_TIMEOUT_MS, TRUNK_FAILOVER_CAUSES } from '../../src/xmlcurl/dialplan.js';
import { registrationSettings } from '../../src/xmlcurl/sofia.js';
import { VARIABLES } from '../../src/config/variables.js';
import { escapeAttr } from './register-profile.js';

/** What the API answered for the bench's customer (FreeswitchConfig of src/api/freeswitch-config.ts). */
export interface ServedConfig {
  directory: Array<{ user: string; xml: string }>;
  gateways: string;
  dialplan: Array<{ number: string; xml: string }>;
}

/** The customer, caller extension and trunk the outbound context routes through. */
export interface OutboundRoute {
  tenantId: string;
  tenantMaxCalls: number;
  domain: string;
  callerExtensionId: string;
  callerMaxCalls: number;
  gatewayName: string;
  gatewayMaxChannels: number;
  /** The trunk's own number, presented as the caller ID (origination_caller_id_number). */
  callerIdNumber: string;
}

export interface StaticPorts {
  internal: number;
  external: number;
}

const one = (xml: string, pattern: RegExp, what: string): string => {
  const m = pattern.exec(xml);
  if (!m) throw new Error(`the served configuration has no ${what}`);
  return m[0];
};

/** directory/bench.xml: the customer's domain with every extension's user entry. */
export function directoryXml(served: ServedConfig): string {
  if (served.directory.length === 0) throw new Error('the served directory has no user');
  const users = served.directory.map((d) => one(d.xml, /<user [\s\S]*<\/user>/, `user entry for ${d.user}`));
  const domain = one(served.directory[0]!.xml, /<domain [\s\S]*<\/domain>/, 'domain');
  const withUsers = domain.replace(/<users>[\s\S]*<\/users>/, `<users>\n${users.join('\n')}\n</users>`);
  return `<include>\n${withUsers.replace(/ cacheable="\d+"/g, '')}\n</include>\n`;
}

const param = ([name, value]: [string, string]) => `      <param name="${escapeAttr(name)}" value="${escapeAttr(value)}"/>`;

/** sofia.conf.xml: the served external profile (gateway included) and the internal profile's settings. */
export function sofiaXml(served: ServedConfig, ports: StaticPorts): string {
  const external = one(served.gateways, /<profile name="external">[\s\S]*?<\/profile>/, 'external profile')
    .replace(/(<param name="sip-port" value=")\d+(")/, `$1${ports.external}$2`);
  const tuning = registrationSettings({ maxRecvRequestsPerSecond: VARIABLES.SOFIA_MAX_RECV_RPS.default });
  const internal: Array<[string, string]> = [
    ['sip-ip', '127.0.0.1'], ['rtp-ip', '127.0.0.1'], ['rtp-timer-name', 'soft'], ['sip-port', String(ports.internal)],
    ['ext-sip-ip', '127.0.0.1'], ['ext-rtp-ip', '127.0.0.1'], ['context', 'public'], ['dialplan', 'XML'],
    ['auth-calls', 'true'], ['auth-subscriptions', 'true'], ['inbound-reg-force-matching-username', 'true'],
    ['challenge-realm', 'auto_to'], ['accept-blind-reg', 'false'], ['nonce-ttl', '60'], ['manage-presence', 'true'],
    ['apply-nat-acl', 'nat.auto'], ['local-network-acl', 'localnet.auto'],
    ['inbound-codec-prefs', 'OPUS,PCMU,PCMA'], ['outbound-codec-prefs', 'OPUS,PCMU,PCMA'],
    ...tuning.internal,
  ];
  return `<configuration name="sofia.conf" description="bench: static profiles">
  <global_settings><param name="log-level" value="0"/><param name="debug-presence" value="0"/>${tuning.global.map(param).join('')}</global_settings>
  <profiles>
    <profile name="internal">
      <settings>
${internal.map(param).join('\n')}
      </settings>
    </profile>
    ${external}
  </profiles>
</configuration>
`;
}

/** acl.conf.xml: the shared lists plus `trunks` (the external profile's apply-inbound-acl), admitting the carrier on 127.0.0.1. */
export const ACL_XML = `<configuration name="acl.conf" description="bench: static lists">
  <network-lists>
    <list name="loopback-only" default="deny"><node type="allow" cidr="127.0.0.0/8"/></list>
    <list name="domains" default="deny"><node type="allow" domain="$\${domain}"/></list>
    <list name="trunks" default="deny"><node type="allow" cidr="127.0.0.1/32"/></list>
  </network-lists>
</configuration>
`;

/** dialplan/bench.xml: the DID's served `public` context and the tenant's outbound context. */
export function dialplanXml(served: ServedConfig, route: OutboundRoute, destination: string): string {
  if (served.dialplan.length === 0) throw new Error('the served dialplan has no number');
  const inbound = served.dialplan.map((d) => one(d.xml, /<extension [\s\S]*<\/extension>/, `extension for ${d.number}`));
  const actions: Array<[string, string]> = [
    ['set', `domain_name=${route.domain}`],
    ['export', `accountcode=${route.tenantId}`],
    ['export', `${CHANNEL_VARS.direction}=outbound`],
    ['export', `media_timeout=${MEDIA_TIMEOUT_MS.active}`],
    ['export', `media_hold_timeout=${MEDIA_TIMEOUT_MS.hold}`],
    ['limit', `hash ${LIMIT_REALM.tenant} ${route.tenantId} ${route.tenantMaxCalls} !NORMAL_CIRCUIT_CONGESTION`],
    ['limit', `hash ${LIMIT_REALM.extension} ${route.callerExtensionId} ${route.callerMaxCalls} !USER_BUSY`],
    ['set', 'hangup_after_bridge=true'],
    ['set', `continue_on_fail=${TRUNK_FAILOVER_CAUSES.join(',')}`],
    ['limit_execute', `hash ${LIMIT_REALM.trunk} ${route.gatewayName} ${route.gatewayMaxChannels} bridge ` +
      `[origination_caller_id_number=${route.callerIdNumber}]${gatewayEndpoint(route.gatewayName, destination)}`],
    ['hangup', 'NORMAL_CIRCUIT_CONGESTION'],
  ];
  const escaped = destination.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `<include>
  <context name="public">
${inbound.join('\n')}
  </context>
  <context name="${route.domain}">
    <extension name="switchplane-outbound">
      <condition field="destination_number" expression="^${escaped}$">
${actions.map(([application, data]) => `        <action application="${application}" data="${data}"/>`).join('\n')}
      </condition>
    </extension>
  </context>
</include>
`;
}
