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
 * REGISTERs handled each in a thread of its own instead of one after another by sofia's message
 * queue threads (mod_sofia sofia.c `sofia_queue_message`: with the internal profile's
 * `inbound-reg-in-new-thread`, a REGISTER is dispatched to a thread of the core's pool while
 * fewer than the global `max-reg-threads` are busy; otherwise, and without the setting, it waits
 * in the queue, which gets another thread only when it is `SOFIA_MSG_QUEUE_SIZE` deep per thread).
 * A queue thread handles the REGISTER's whole exchange: the directory lookup over mod_xml_curl
 * (a round trip to Switchplane unless the user is `cacheable` and cached), and sofia's writes to
 * its SQLite registration database, where a write that finds the database locked by sofia's own
 * SQL queue thread sleeps 100 ms before trying again ("SQLite is BUSY", switch_core_db.c). Each
 * such wait held up every REGISTER queued behind it; in threads of their own they wait alone.
 * Database writes stay serialised by the profile's registration mutex (sofia_reg.c `ireg_mutex`).
 * `npm run bench:register` measures them against the stock settings.
 */
export const REGISTRATION_THREAD_SETTINGS = {
  global: [['max-reg-threads', '8']] as Array<[string, string]>,
  internal: [['inbound-reg-in-new-thread', 'true']] as Array<[string, string]>,
};

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
    ...REGISTRATION_THREAD_SETTINGS.internal,
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
    ...REGISTRATION_THREAD_SETTINGS.global,
  ]);
  const profiles = conf.ele('profiles');
  for (const name of wanted) addProfile(profiles, name, settings, gateways, secrets);
  return render(doc);
}
