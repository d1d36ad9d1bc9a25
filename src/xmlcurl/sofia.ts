/**
 * Configuration section, `sofia.conf`: the `internal` profile for phones (UDP/TCP, WebRTC
 * `wss-binding` and, when SOFIA_WS_PORT is set, a plain `ws-binding`; digest auth on every call and REGISTER) and the `external` profile for trunks,
 * taking calls only from their addresses (`apply-inbound-acl`), with one gateway per active trunk
 * of every active tenant (mod_sofia sofia.c `parse_gateways`).
 * A `profile=<name>` fetch (sofia worker thread, `rescan`, `startgw`) gets that profile only.
 */
import type { Kysely } from 'kysely';
import type { SofiaSettings } from '../config.js';
import type { Database } from '../db/schema.js';
import { gatewayParams } from '../domain/gateway-params.js';
import type { SecretBox } from '../domain/secrets.js';
import { gatewayName, listActiveGateways, type GatewayRow } from '../domain/trunks.js';
import { CHANNEL_VARS, INBOUND_CONTEXT, PHONE_PROFILE, PROFILES, TRUNK_PROFILE, type ProfileName } from '../freeswitch/vocabulary.js';
import { TRUNK_ACL } from './acl.js';
import { nameValueList, newSection, render } from './document.js';
import type { ConfigurationLookup } from './request.js';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';

/**
 * The settings that lift FreeSWITCH's REGISTER ceiling, measured by `npm run bench:register`
 * against the stock profile (global settings, and the internal profile's).
 *
 * `max-recv-requests-per-second` (SOFIA_MAX_RECV_RPS, 4,000): sofia's guard against floods
 * answers 503 to requests beyond this many a second on the profile. At FreeSWITCH's default, 1,000,
 * it is what stops registration first: a REGISTER with digest authentication is two requests
 * (RFC 3261 §22.4), so 500 phones a second, below what FreeSWITCH handles on two cores.
 *
 * `odbc-dsn` `sqlite://memory://…`: the profile's database (sofia's `sip_registrations`,
 * `sip_authentication` nonces, dialogs, presence) in memory instead of the file
 * `db/sofia_reg_internal.db` (switch_core_sqldb.c: a `sqlite://memory://` DSN opens an in-memory
 * database by URI, shared by the profile's threads). Sofia's SQL queue thread writes in
 * transactions (`BEGIN EXCLUSIVE`); a REGISTER's own statements that meet one sleep 100 ms and try
 * again ("SQLite is BUSY", switch_core_db.c), holding up the REGISTERs queued behind them; in
 * memory they are rare. The database lives as long as the FreeSWITCH process: after a restart a
 * phone is reachable again once it has registered again.
 *
 * `inbound-reg-in-new-thread` with the global `max-reg-threads`: each REGISTER is handled in a
 * thread of the core's pool while fewer than `max-reg-threads` are busy, instead of one after
 * another by sofia's message queue threads (mod_sofia sofia.c `sofia_queue_message`; the queue gets
 * another thread only when it is `SOFIA_MSG_QUEUE_SIZE` deep per thread). A REGISTER waiting on
 * the directory lookup over mod_xml_curl (a round trip to Switchplane unless the user is
 * `cacheable` and cached) or on the database then waits alone. Database writes stay serialised by
 * the profile's registration mutex (sofia_reg.c `ireg_mutex`).
 */
export function registrationSettings(s: Pick<SofiaSettings, 'maxRecvRequestsPerSecond'>): { global: Array<[string, string]>; internal: Array<[string, string]> } {
  return {
    global: [['max-reg-threads', '8']],
    internal: [
      ['max-recv-requests-per-second', String(s.maxRecvRequestsPerSecond)],
      ['odbc-dsn', `sqlite://memory://file:sofia_reg_${PHONE_PROFILE}?mode=memory&cache=shared`],
      ['inbound-reg-in-new-thread', 'true'],
    ],
  };
}

/** The external profile's TLS port when a trunk uses TLS: the SIP port + 1 (5081 by default). */
export const tlsPort = (s: SofiaSettings): number => s.externalPort + 1;

/**
 * Settings both profiles share: addresses, the unauthenticated context and the RTP timer. RTP
 * timeouts are the `media_timeout` channel variables the dialplan sets (FreeSWITCH 1.10
 * deprecates the profile's `rtp-timeout-sec`, sofia.c).
 *
 * `rtp-timer-name` `soft`: each RTP session sends on FreeSWITCH's 20 ms clock. Without a timer a
 * leg writes only as fast as it reads from its peer, so music on hold played to a peer that sends
 * nothing while on hold (an echoing phone, one with silence suppression) never starts, and the
 * bridge stays blocked after the resume: no audio back, and a BYE from the holder not passed on.
 */
function commonSettings(s: SofiaSettings, port: number): Array<[string, string]> {
  return [
    ['sip-ip', s.sipIp],
    ['rtp-ip', s.sipIp],
    ['rtp-timer-name', 'soft'],
    ['sip-port', String(port)],
    ['ext-sip-ip', s.externalIp],
    ['ext-rtp-ip', s.externalIp],
    ['context', INBOUND_CONTEXT],
    ['dialplan', 'XML'],
  ];
}

function internalSettings(s: SofiaSettings): Array<[string, string]> {
  const settings: Array<[string, string]> = [
    ...commonSettings(s, s.internalPort),
    ['auth-calls', 'true'],
    ['auth-subscriptions', 'true'],
    ['inbound-reg-force-matching-username', 'true'],
    ['challenge-realm', 'auto_to'],
    ['accept-blind-reg', 'false'],
    ['nonce-ttl', '60'],
    ['manage-presence', 'true'],
    ['apply-nat-acl', 'nat.auto'],
    ['local-network-acl', 'localnet.auto'],
    ['inbound-codec-prefs', 'OPUS,PCMU,PCMA'],
    ['outbound-codec-prefs', 'OPUS,PCMU,PCMA'],
    ...registrationSettings(s).internal,
  ];
  if (s.wssPort > 0) settings.push(['wss-binding', `:${s.wssPort}`], ['tls-cert-dir', '$${certs_dir}']);
  // `:port` binds to the profile's sip-ip, as `wss-binding` does.
  if (s.wsPort > 0) settings.push(['ws-binding', `:${s.wsPort}`]);
  // ICE candidates of browsers that FreeSWITCH may send media to (switch_core_media.c): without
  // a list it takes wan.auto only, which refuses a browser on a private network (488 after the
  // ICE timer); loopback passes wan.auto.
  settings.push(['apply-candidate-acl', 'rfc1918.auto'], ['apply-candidate-acl', 'wan.auto']);
  return settings;
}

function externalSettings(s: SofiaSettings, tls: boolean): Array<[string, string]> {
  const settings: Array<[string, string]> = [
    ...commonSettings(s, s.externalPort),
    ['auth-calls', 'false'],
    // Calls only from the tenants' trunks (acl.conf, src/xmlcurl/acl.ts); sofia.c answers any
    // other source 403, since auth-calls is off and no fail context is named.
    ['apply-inbound-acl', TRUNK_ACL],
    ['inbound-codec-prefs', 'PCMU,PCMA,OPUS'],
    ['outbound-codec-prefs', 'PCMU,PCMA,OPUS'],
  ];
  if (tls) settings.push(['tls', 'true'], ['tls-sip-port', String(tlsPort(s))], ['tls-cert-dir', '$${certs_dir}']);
  return settings;
}

function addProfile(profiles: XMLBuilder, name: ProfileName, s: SofiaSettings, gateways: GatewayRow[], secrets: SecretBox): void {
  const profile = profiles.ele('profile', { name });
  if (name === TRUNK_PROFILE) {
    const gws = profile.ele('gateways');
    for (const t of gateways) {
      const gw = gws.ele('gateway', { name: gatewayName(t) });
      nameValueList(gw, 'params', gatewayParams(t, secrets));
      nameValueList(gw, 'variables', [
        [CHANNEL_VARS.trunkId, t.id],
        ['accountcode', t.tenant_id],
      ]);
    }
  }
  const tls = gateways.some((g) => g.transport === 'tls');
  nameValueList(profile, 'settings', name === PHONE_PROFILE ? internalSettings(s) : externalSettings(s, tls));
}

/**
 * Answers `sofia.conf`; with `tenantId`, with that tenant's gateways only (the API's preview).
 * @returns the document, or null (`not found`) for an unknown profile name
 */
export async function answerSofia(
  db: Kysely<Database>,
  lookup: ConfigurationLookup,
  settings: SofiaSettings,
  secrets: SecretBox,
  tenantId?: string,
): Promise<string | null> {
  const wanted = lookup.profile === null ? [...PROFILES] : PROFILES.filter((p) => p === lookup.profile);
  if (wanted.length === 0) return null;
  const gateways = wanted.includes(TRUNK_PROFILE) ? await listActiveGateways(db, tenantId) : [];
  const { doc, section } = newSection('configuration');
  const conf = section.ele('configuration', { name: 'sofia.conf', description: 'Switchplane SIP profiles' });
  nameValueList(conf, 'global_settings', [
    ['log-level', '0'],
    ['debug-presence', '0'],
    ...registrationSettings(settings).global,
  ]);
  const profiles = conf.ele('profiles');
  for (const name of wanted) addProfile(profiles, name, settings, gateways, secrets);
  return render(doc);
}
