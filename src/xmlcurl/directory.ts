/**
 * Directory section: SIP REGISTER/INVITE digest auth (`action=sip_auth`), `user/<id>@<domain>`
 * dial strings (`user_call`), mod_voicemail lookups and reverse auth (only for an extension with
 * `reverse_auth`; its password is in the answer) answer one user of one domain (switch_xml.c `switch_xml_locate_user`); sofia's `purpose=gateways` scans get the domain
 * list only; everything else is `not found` so FreeSWITCH uses its own files.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { dialString, findActiveExtension } from '../domain/extensions.js';
import type { SecretBox } from '../domain/secrets.js';
import { a1Hash } from '../domain/sip-digest.js';
import type { TenantCache } from '../domain/tenant-cache.js';
import { outboundCallerNumber, type LookupExtension, type TenantSnapshot } from '../domain/tenant-snapshot.js';
import { listActiveDomains, tenantContext } from '../domain/tenants.js';
import { CHANNEL_VARS, fsText } from '../freeswitch/vocabulary.js';
import { nameValueList, newSection, render } from './document.js';
import type { DirectoryLookup } from './request.js';

export interface DirectoryDeps {
  tenants: TenantCache;
  /** Runs a read-only query across tenants (the all-domains scan). */
  withLookup: <T>(fn: (db: Kysely<Database>) => Promise<T>) => Promise<T>;
  secrets: SecretBox;
  /** `cacheable` milliseconds on each user; 0 leaves the attribute out. */
  cacheMs: number;
}

/** Actions answered with the user entry (mod_sofia, mod_dptools, mod_voicemail callers). */
const USER_ACTIONS = new Set(['sip_auth', 'user_call', 'message-count', 'voicemail-lookup', 'web-vm', 'reverse-auth-lookup']);

function renderUser(s: TenantSnapshot, ext: LookupExtension, realm: string, reverseAuth: boolean, deps: DirectoryDeps): string {
  const tenant = s.tenant;
  const domain = tenant.sip_domain;
  const presented = outboundCallerNumber(s, ext.caller_id_number);
  const password = deps.secrets.open(ext.password_enc);
  const displayName = fsText(ext.display_name ?? ext.extension);

  const params: Array<[string, string]> = [
    ['a1-hash', a1Hash(ext.sip_username, realm, password)],
    ['dial-string', dialString(ext, domain)],
    ['vm-enabled', String(ext.voicemail_enabled)],
  ];
  if (ext.voicemail_enabled && ext.voicemail_pin_enc) params.push(['vm-password', deps.secrets.open(ext.voicemail_pin_enc)]);
  if (ext.voicemail_enabled && ext.email) params.push(['vm-mailto', fsText(ext.email)]);
  // The mailbox whose message-waiting state the phone's registration gets (sofia_reg.c reads
  // `mwi-account` into the registration's mwi_user/mwi_host; mod_voicemail names the mailbox
  // `<user>@<domain>`), whatever host the phone puts in its To header.
  if (ext.voicemail_enabled) params.push(['mwi-account', `${ext.sip_username}@${domain}`]);
  if (reverseAuth) {
    params.push(['reverse-auth-user', ext.sip_username], ['reverse-auth-pass', password]);
  }

  const variables: Array<[string, string]> = [
    ['user_context', tenantContext(tenant)],
    ['domain_name', domain],
    ['accountcode', tenant.id],
    [CHANNEL_VARS.extensionId, ext.id],
    ['effective_caller_id_name', displayName],
    ['effective_caller_id_number', ext.extension],
    ['outbound_caller_id_name', fsText(ext.caller_id_name ?? ext.display_name ?? tenant.name)],
    ['outbound_caller_id_number', presented?.outbound_enabled ? presented.number : ''],
    ['limit_max', String(ext.max_concurrent_calls)],
    ['do_not_disturb', String(ext.do_not_disturb)],
    ['call_forwarding', ext.call_forwarding_enabled && ext.call_forwarding_number ? fsText(ext.call_forwarding_number) : ''],
    ['record_calls', String(ext.call_recording)],
    ['voicemail_enabled', String(ext.voicemail_enabled)],
    ['sip-force-expires', String(ext.registration_expiry)],
  ];
  // SRTP required on the calls the extension's phone places (the W3 Suite guide's
  // encryptionEnabled; calls to it: the dial-string): FreeSWITCH refuses an offer without crypto
  // ("Crypto not negotiated but required", switch_core_media.c), so the phone's plain RTP/AVP
  // INVITE gets 488. A WebRTC phone's DTLS fingerprint counts as crypto there.
  if (ext.encryption_enabled) variables.push(['rtp_secure_media', 'mandatory']);

  const { doc, section } = newSection('directory');
  const user = section
    .ele('domain', { name: domain })
    .ele('groups')
    .ele('group', { name: 'default' })
    .ele('users')
    .ele('user', {
      id: ext.sip_username,
      'number-alias': ext.extension,
      ...(deps.cacheMs > 0 ? { cacheable: String(deps.cacheMs) } : {}),
    });
  nameValueList(user, 'params', params);
  nameValueList(user, 'variables', variables);
  return render(doc);
}

function renderDomains(domains: string[]): string {
  const { doc, section } = newSection('directory');
  for (const name of domains) section.ele('domain', { name });
  return render(doc);
}

type Answer = string | Buffer | null;

/**
 * Answers a directory lookup: synchronously when the tenant is cached (the usual REGISTER),
 * else once its snapshot or the domain list has been read.
 * @returns the XML document, or null for `not found`
 */
export function answerDirectory(lookup: DirectoryLookup, deps: DirectoryDeps): Answer | Promise<Answer> {
  if (lookup.purpose === 'network-list') return null;
  if (lookup.purpose === 'gateways' && lookup.domain === '') return deps.withLookup(listActiveDomains).then(renderDomains);
  if (lookup.domain === '') return null;
  const isUserLookup = lookup.user !== null && (lookup.action === null || USER_ACTIONS.has(lookup.action));
  const isDomainLookup = lookup.purpose === 'gateways' || (lookup.user === null && lookup.action === null);
  if (!isUserLookup && !isDomainLookup) return null;
  const cached = deps.tenants.cached(lookup.domain);
  if (cached) return answerFromTenant(lookup, cached, isUserLookup, deps);
  return deps.tenants.tenantByDomain(lookup.domain).then((s) => answerFromTenant(lookup, s, isUserLookup, deps));
}

function answerFromTenant(lookup: DirectoryLookup, s: TenantSnapshot | undefined, isUserLookup: boolean, deps: DirectoryDeps): Answer {
  if (!s || s.tenant.status !== 'active') return null;
  if (!isUserLookup) return renderDomains([s.tenant.sip_domain]);
  const user = lookup.user!;
  const domain = s.tenant.sip_domain;
  const reverseAuth = lookup.action === 'reverse-auth-lookup';
  // Only the usual answer is kept, so arbitrary realms or reverse-auth secrets cannot grow the cache.
  const usual = (lookup.realm === null || lookup.realm === domain) && !reverseAuth;
  if (usual) {
    const kept = s.rendered.get(user);
    if (kept !== undefined) return kept;
  }
  const ext = findActiveExtension(s.extensions, user);
  if (!ext) return null;
  // mod_sofia asks this when a phone challenges a request FreeSWITCH sent it (sofia_reg.c
  // `sofia_reg_handle_sip_r_challenge`, user = the To user); the answer carries the password, so
  // it goes out only for an extension that needs reverse auth.
  if (reverseAuth && !ext.reverse_auth) return null;
  return usual ? usualAnswer(s, ext, user, deps) : renderUser(s, ext, lookup.realm ?? domain, reverseAuth, deps);
}

/**
 * A user's answer for realm = its domain, rendered once per snapshot and kept as bytes under the
 * name it was asked by (`user`: its SIP username or its extension number), so a repeated lookup
 * neither searches the tenant's extensions nor renders nor encodes.
 */
function usualAnswer(s: TenantSnapshot, ext: LookupExtension, user: string, deps: DirectoryDeps): Buffer {
  let xml = s.rendered.get(user);
  if (xml === undefined) {
    xml = Buffer.from(renderUser(s, ext, s.tenant.sip_domain, false, deps), 'utf8');
    s.rendered.set(user, xml);
  }
  return xml;
}

/**
 * Renders the usual answer of every active extension of an active tenant ahead of its first
 * lookup (`Prerenderer` calls this in idle time).
 * @returns the number of extensions rendered
 */
export function prerenderUsers(s: TenantSnapshot, deps: DirectoryDeps): number {
  if (s.tenant.status !== 'active') return 0;
  let n = 0;
  for (const ext of s.extensions) {
    if (ext.status === 'active') {
      usualAnswer(s, ext, ext.sip_username, deps);
      n++;
    }
  }
  return n;
}
