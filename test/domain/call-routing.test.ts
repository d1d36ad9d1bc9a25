/**
 * Where a call goes, as a table: the dialled number, the context it arrives in, the tenant's
 * records (extensions, DIDs routed to an extension, the AI agent or a forward target, business
 * hours, trunks) → the route `planCall` decides. The same cases the dialplan tests check through
 * mod_xml_curl (test/xmlcurl/dialplan.test.ts, test/api/phone-numbers.test.ts), without XML or a
 * database: the tenants are snapshots in memory, changed per case.
 */
import t from 'tap';
import { dialledTarget, planCall, type CallPlan, type CallRequest } from '../../src/domain/call-routing.js';
import type { TenantCache } from '../../src/domain/tenant-cache.js';
import { OFFICE_HOURS } from '../../src/seed/demo.js';
import { OFFICE_HOURS_BOUNDARIES } from '../helpers/office-hours.js';
import type { LookupExtension, LookupNumber, LookupTrunk, TenantSnapshot } from '../../src/domain/tenant-snapshot.js';

const ACME = 'acme.switchplane.test';
const GLOBEX = 'globex.switchplane.test';
const INITECH = 'initech.switchplane.test';

function extension(tenant: string, ext: string, more: Partial<LookupExtension> = {}): LookupExtension {
  return {
    id: `${tenant}-ext-${ext}`, tenant_id: tenant, extension: ext, sip_username: ext, password_enc: 'sealed', display_name: `User ${ext}`,
    email: null, caller_id_name: null, caller_id_number: null, allowed_codecs: ['PCMU', 'PCMA'], voicemail_enabled: false,
    voicemail_pin_enc: null, call_recording: false, call_forwarding_enabled: false, call_forwarding_number: null, do_not_disturb: false,
    max_concurrent_calls: 2, registration_expiry: 3600, reverse_auth: false, encryption_enabled: false, status: 'active', ...more,
  };
}

function number(tenant: string, did: string, more: Partial<LookupNumber> = {}): LookupNumber {
  return {
    id: `${tenant}-num-${did}`, tenant_id: tenant, number: did, trunk_id: null, incoming_enabled: true, outbound_enabled: true, route: 'extension',
    route_target: null, ai_agent_profile: null, business_hours: null, failover_extension: null, ...more,
  };
}

function trunk(tenant: string, name: string, priority: number, maxChannels: number, more: Partial<LookupTrunk> = {}): LookupTrunk {
  return {
    id: `gw-${name}`, tenant_id: tenant, name, priority, max_channels: maxChannels, status: 'active', allow_any_caller_id: false,
    registration_state: 'NOREG', ping_status: 'UP', ...more,
  };
}

/** The tenants as the demo seed makes them (src/seed/demo.ts), plus a suspended one. */
function tenants(): TenantSnapshot[] {
  return [
    {
      tenant: { id: 'acme', name: 'Acme Corp', slug: 'acme', sip_domain: ACME, timezone: 'Europe/Rome', max_concurrent_calls: 10, status: 'active', country: null },
      extensions: [
        extension('acme', '1001', { display_name: 'Mario Rossi' }),
        extension('acme', '1002', { display_name: 'Giulia Bianchi' }),
        extension('acme', '1003', { display_name: 'Suspended User', status: 'suspended' }),
      ],
      numbers: [
        number('acme', '+390510510510', { route: 'ai_agent', ai_agent_profile: 'customer-care-voice', business_hours: OFFICE_HOURS, failover_extension: '1002' }),
        number('acme', '+390510510511', { route: 'extension', route_target: '1001' }),
      ],
      trunks: [trunk('acme', 'acme-main', 1, 2), trunk('acme', 'acme-backup', 2, 10)],
      rendered: new Map(),
    },
    {
      tenant: { id: 'globex', name: 'Globex', slug: 'globex', sip_domain: GLOBEX, timezone: 'America/New_York', max_concurrent_calls: 10, status: 'active', country: null },
      extensions: [extension('globex', '1001', { display_name: 'Globex 1001' })],
      numbers: [number('globex', '+15551234567', { route: 'extension', route_target: '1001' })],
      trunks: [trunk('globex', 'globex-main', 1, 10)],
      rendered: new Map(),
    },
    {
      tenant: { id: 'initech', name: 'Initech', slug: 'initech', sip_domain: INITECH, timezone: 'UTC', max_concurrent_calls: 10, status: 'suspended', country: null },
      extensions: [extension('initech', '1001')],
      numbers: [number('initech', '+442071234567', { route: 'extension', route_target: '1001' })],
      trunks: [trunk('initech', 'initech-main', 1, 10)],
      rendered: new Map(),
    },
  ];
}

/** What planCall reads of the tenant cache, answered from `snapshots`. */
function cacheOf(snapshots: TenantSnapshot[]): TenantCache {
  const lookup = {
    tenantByDomain: async (domain: string) => snapshots.find((s) => s.tenant.sip_domain === domain.toLowerCase()),
    tenantByDid: async (did: string) => snapshots.find((s) => s.numbers.some((n) => n.number === did)),
    countries: async () => [...new Set(snapshots.flatMap((s) => (s.tenant.country ? [s.tenant.country] : [])))].sort(),
  };
  return lookup as unknown as TenantCache;
}

/**
 * A route in one line: `extension 1001 [dnd]`, `ai_agent <profile> did=… caller=…`, `outbound <dest> via a,b as <number>/<name>`
 * (`via a=<number>,b=<number> as <name>` when the trunks present different numbers), `reject <CAUSE>`, `not ours`.
 */
function summary(plan: CallPlan | null): string {
  if (!plan) return 'not ours';
  const r = plan.route;
  switch (r.kind) {
    case 'reject':
      return `reject ${r.cause}`;
    case 'extension': {
      const flags = [r.target.doNotDisturb && 'dnd', r.target.voicemail && 'voicemail', r.target.recording && 'recording'].filter(Boolean);
      return `extension ${r.target.extension}${flags.length ? ` [${flags.join(',')}]` : ''}`;
    }
    case 'ai_agent':
      return `ai_agent ${r.profile} did=${r.did} caller=${r.caller}`;
    case 'voicemail_check':
      return `voicemail_check ${r.mailbox}`;
    case 'outbound': {
      const one = new Set(r.gateways.map((g) => g.callerIdNumber)).size === 1;
      const via = r.gateways.map((g) => `${g.name.replace(/^gw-/, '')}:${g.maxChannels}${one ? '' : `=${g.callerIdNumber}`}`).join(',');
      const first = r.gateways[0]!.callerIdNumber;
      const as = first === null ? 'caller kept' : one ? `as ${first}/${r.callerIdName}` : `as ${r.callerIdName}`;
      return `outbound ${r.destination} via ${via} ${as}`;
    }
  }
}

interface Case {
  what: string;
  /** `public` (from a carrier) or a tenant's SIP domain (from a phone). */
  context: string;
  destination: string;
  /** The authenticated directory user placing the call (tenant contexts). */
  user?: string;
  caller?: string;
  /** ISO time of the call (default a Monday 11:00 in Rome). */
  at?: string;
  /** Changes the tenants' records for this case. */
  records?: (s: { acme: TenantSnapshot; globex: TenantSnapshot }) => void;
  route: string;
}

const MONDAY_11_ROME = '2026-11-23T10:00:00Z';
const ext = (s: TenantSnapshot, n: string) => s.extensions.find((e) => e.extension === n)!;
const did = (s: TenantSnapshot, n: string) => s.numbers.find((x) => x.number === n)!;
/** Puts each listed number on the trunk named (the others stay on no trunk). */
const onTrunks = (s: TenantSnapshot, trunks: Record<string, string>) => {
  for (const [n, name] of Object.entries(trunks)) did(s, n).trunk_id = s.trunks.find((x) => x.name === name)!.id;
};
/** The gateway state FreeSWITCH last reported for a trunk (`registration_state`, `ping_status`). */
const down = (trunk: LookupTrunk, state: string, ping: string | null) => Object.assign(trunk, { registration_state: state, ping_status: ping });

const cases: Case[] = [
  // From carriers (`public`): the DID's route.
  { what: 'a DID routed to an extension', context: 'public', destination: '+390510510511', route: 'extension 1001' },
  { what: 'a DID without + is normalised', context: 'public', destination: '390510510511', route: 'extension 1001' },
  { what: 'a DID with a 00 prefix and separators', context: 'public', destination: '0039 051-0510-511', route: 'extension 1001' },
  { what: 'another tenant\'s DID reaches that tenant', context: 'public', destination: '+15551234567', route: 'extension 1001' },
  { what: 'a DID nobody owns', context: 'public', destination: '+390000000000', route: 'reject UNALLOCATED_NUMBER' },
  { what: 'a destination that is no number', context: 'public', destination: 'garbage', route: 'reject UNALLOCATED_NUMBER' },
  { what: 'a DID with incoming calls disabled', context: 'public', destination: '+390510510511', records: ({ acme }) => void (did(acme, '+390510510511').incoming_enabled = false), route: 'reject INCOMING_CALL_BARRED' },
  { what: 'a DID of a suspended tenant', context: 'public', destination: '+442071234567', route: 'reject CALL_REJECTED' },
  { what: 'a DID whose extension is suspended, no failover', context: 'public', destination: '+390510510511', records: ({ acme }) => void (did(acme, '+390510510511').route_target = '1003'), route: 'reject NORMAL_TEMPORARY_FAILURE' },
  { what: 'a DID whose extension is missing goes to its failover extension', context: 'public', destination: '+390510510511', records: ({ acme }) => Object.assign(did(acme, '+390510510511'), { route_target: '1999', failover_extension: '1002' }), route: 'extension 1002' },
  { what: 'a DID to an extension with do-not-disturb, voicemail and recording', context: 'public', destination: '+390510510511', records: ({ acme }) => Object.assign(ext(acme, '1001'), { do_not_disturb: true, voicemail_enabled: true, call_recording: true }), route: 'extension 1001 [dnd,voicemail,recording]' },
  { what: 'a DID to an extension that forwards all calls: out through the trunks, the caller kept', context: 'public', destination: '+390510510511', records: ({ acme }) => Object.assign(ext(acme, '1001'), { call_forwarding_enabled: true, call_forwarding_number: '+39 333 123 4567' }), route: 'outbound +393331234567 via acme-main:2,acme-backup:10 caller kept' },
  { what: 'forwarding enabled without a number: the extension itself', context: 'public', destination: '+390510510511', records: ({ acme }) => Object.assign(ext(acme, '1001'), { call_forwarding_enabled: true, call_forwarding_number: null }), route: 'extension 1001' },
  { what: 'a forwarding extension of a tenant without active trunks', context: 'public', destination: '+390510510511', records: ({ acme }) => { Object.assign(ext(acme, '1001'), { call_forwarding_enabled: true, call_forwarding_number: '+393331234567' }); acme.trunks.forEach((x) => (x.status = 'inactive')); }, route: 'reject NO_ROUTE_DESTINATION' },
  { what: 'a DID forwarded to a number: out through the trunks, the caller kept', context: 'public', destination: '+390510510511', records: ({ acme }) => Object.assign(did(acme, '+390510510511'), { route: 'forward', route_target: '+39 333 111 2222' }), route: 'outbound +393331112222 via acme-main:2,acme-backup:10 caller kept' },
  { what: 'a forward without active trunks goes to the failover extension', context: 'public', destination: '+390510510511', records: ({ acme }) => { Object.assign(did(acme, '+390510510511'), { route: 'forward', route_target: '+393331112222', failover_extension: '1002' }); acme.trunks.forEach((x) => (x.status = 'inactive')); }, route: 'extension 1002' },
  { what: 'a forward without a target and without a failover extension', context: 'public', destination: '+390510510511', records: ({ acme }) => Object.assign(did(acme, '+390510510511'), { route: 'forward', route_target: null }), route: 'reject NORMAL_TEMPORARY_FAILURE' },
  { what: 'a trunk in maintenance is skipped for a forward', context: 'public', destination: '+390510510511', records: ({ acme }) => { Object.assign(did(acme, '+390510510511'), { route: 'forward', route_target: '+393331112222' }); acme.trunks[0]!.status = 'maintenance'; }, route: 'outbound +393331112222 via acme-backup:10 caller kept' },
  // The AI agent number: inside business hours (Europe/Rome) the agent, outside them the failover extension.
  { what: 'an AI number inside business hours', context: 'public', destination: '+390510510510', caller: '+393297626144', route: 'ai_agent customer-care-voice did=+390510510510 caller=+393297626144' },
  { what: 'an AI number without a profile uses `default`', context: 'public', destination: '+390510510510', records: ({ acme }) => void (did(acme, '+390510510510').ai_agent_profile = null), route: 'ai_agent default did=+390510510510 caller=+393331112222' },
  { what: 'an AI number without business hours is always open', context: 'public', destination: '+390510510510', at: '2026-11-28T23:00:00Z', records: ({ acme }) => void (did(acme, '+390510510510').business_hours = null), route: 'ai_agent customer-care-voice did=+390510510510 caller=+393331112222' },
  { what: 'an AI number on Saturday: the failover extension', context: 'public', destination: '+390510510510', at: '2026-11-28T10:00:00Z', route: 'extension 1002' },
  { what: 'an AI number outside business hours without a failover extension', context: 'public', destination: '+390510510510', at: '2026-11-28T10:00:00Z', records: ({ acme }) => void (did(acme, '+390510510510').failover_extension = null), route: 'reject NORMAL_TEMPORARY_FAILURE' },
  { what: 'an AI number outside business hours, its failover extension suspended', context: 'public', destination: '+390510510510', at: '2026-11-28T10:00:00Z', records: ({ acme }) => void (did(acme, '+390510510510').failover_extension = '1003'), route: 'reject NORMAL_TEMPORARY_FAILURE' },
  ...OFFICE_HOURS_BOUNDARIES.map(([at, open, label]): Case => ({
    what: `business hours at ${label}`, context: 'public', destination: '+390510510510', at,
    route: open ? 'ai_agent customer-care-voice did=+390510510510 caller=+393331112222' : 'extension 1002',
  })),
  // From a tenant's phones (the tenant's SIP domain as context).
  { what: 'extension to extension', context: ACME, destination: '1002', user: '1001', route: 'extension 1002' },
  { what: 'an extension by its SIP username', context: ACME, destination: 'giulia', user: '1001', records: ({ acme }) => void (ext(acme, '1002').sip_username = 'giulia'), route: 'extension 1002' },
  { what: 'a SIP username wins over another extension\'s number', context: ACME, destination: '1002', user: '1001', records: ({ acme }) => { ext(acme, '1001').sip_username = '1002'; ext(acme, '1002').sip_username = 'giulia'; }, route: 'extension 1001' },
  { what: 'a suspended extension', context: ACME, destination: '1003', user: '1001', route: 'reject UNALLOCATED_NUMBER' },
  { what: 'no such extension', context: ACME, destination: '4444', user: '1001', route: 'reject UNALLOCATED_NUMBER' },
  { what: 'an extension with do-not-disturb', context: ACME, destination: '1002', user: '1001', records: ({ acme }) => void (ext(acme, '1002').do_not_disturb = true), route: 'extension 1002 [dnd]' },
  { what: 'an extension forwarding all calls', context: ACME, destination: '1002', user: '1001', records: ({ acme }) => Object.assign(ext(acme, '1002'), { call_forwarding_enabled: true, call_forwarding_number: '+393331234567' }), route: 'outbound +393331234567 via acme-main:2,acme-backup:10 caller kept' },
  { what: 'E.164 out through the trunks in priority order, the tenant\'s first number and the caller\'s name presented', context: ACME, destination: '+14155550100', user: '1001', route: 'outbound +14155550100 via acme-main:2,acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'a 00 prefix dials out as E.164', context: ACME, destination: '0014155550100', user: '1001', route: 'outbound +14155550100 via acme-main:2,acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'the trunks in the snapshot\'s (priority) order', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => { acme.trunks[0]!.priority = 50; acme.trunks.reverse(); }, route: 'outbound +14155550100 via acme-backup:10,acme-main:2 as +390510510510/Mario Rossi' },
  { what: 'the extension\'s caller ID number and name when it is one of the tenant\'s numbers', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => Object.assign(ext(acme, '1001'), { caller_id_number: '+39 051 0510 511', caller_id_name: 'Sales' }), route: 'outbound +14155550100 via acme-main:2,acme-backup:10 as +390510510511/Sales' },
  { what: 'a caller ID number the tenant does not own is not presented', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => void (ext(acme, '1001').caller_id_number = '+15551234567'), route: 'outbound +14155550100 via acme-main:2,acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'an unauthenticated caller presents the tenant\'s name', context: ACME, destination: '+14155550100', route: 'outbound +14155550100 via acme-main:2,acme-backup:10 as +390510510510/Acme Corp' },
  { what: 'the first outbound-enabled number is presented', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => void (did(acme, '+390510510510').outbound_enabled = false), route: 'outbound +14155550100 via acme-main:2,acme-backup:10 as +390510510511/Mario Rossi' },
  { what: 'no number with outbound calls enabled', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => acme.numbers.forEach((n) => (n.outbound_enabled = false)), route: 'reject OUTGOING_CALL_BARRED' },
  { what: 'the extension\'s own number has outbound calls disabled', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => { ext(acme, '1001').caller_id_number = '+390510510511'; did(acme, '+390510510511').outbound_enabled = false; }, route: 'reject OUTGOING_CALL_BARRED' },
  { what: 'a tenant without numbers cannot call out', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => void (acme.numbers = []), route: 'reject OUTGOING_CALL_BARRED' },
  { what: 'a tenant without active trunks cannot call out', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => acme.trunks.forEach((x) => (x.status = 'inactive')), route: 'reject NO_ROUTE_DESTINATION' },
  { what: 'another tenant\'s phones use its own trunk and number', context: GLOBEX, destination: '+14155550100', user: '1001', route: 'outbound +14155550100 via globex-main:10 as +15551234567/Globex 1001' },
  // Outbound caller ID and trunk choice (the W3 Suite guide's example 3): each trunk presents a number of its own.
  { what: 'each trunk presents a number of its own', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => onTrunks(acme, { '+390510510510': 'acme-main', '+390510510511': 'acme-backup' }), route: 'outbound +14155550100 via acme-main:2=+390510510510,acme-backup:10=+390510510511 as Mario Rossi' },
  { what: 'the extension\'s caller ID number selects its trunk first', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => { onTrunks(acme, { '+390510510510': 'acme-main', '+390510510511': 'acme-backup' }); ext(acme, '1001').caller_id_number = '+390510510511'; }, route: 'outbound +14155550100 via acme-backup:10=+390510510511,acme-main:2=+390510510510 as Mario Rossi' },
  { what: 'a trunk with no number of its own is not tried', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => onTrunks(acme, { '+390510510510': 'acme-main', '+390510510511': 'acme-main' }), route: 'outbound +14155550100 via acme-main:2 as +390510510510/Mario Rossi' },
  { what: 'a number on no trunk is presented on a trunk without numbers', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => onTrunks(acme, { '+390510510510': 'acme-main' }), route: 'outbound +14155550100 via acme-main:2=+390510510510,acme-backup:10=+390510510511 as Mario Rossi' },
  { what: 'a trunk presents its first outbound-enabled number', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => { onTrunks(acme, { '+390510510510': 'acme-main', '+390510510511': 'acme-main' }); did(acme, '+390510510510').outbound_enabled = false; }, route: 'outbound +14155550100 via acme-main:2 as +390510510511/Mario Rossi' },
  { what: 'a trunk allowing any caller ID presents the extension\'s own, a number the tenant does not own', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => { onTrunks(acme, { '+390510510510': 'acme-main', '+390510510511': 'acme-main' }); acme.trunks[1]!.allow_any_caller_id = true; ext(acme, '1001').caller_id_number = '+1 555 123 4567'; }, route: 'outbound +14155550100 via acme-main:2=+390510510510,acme-backup:10=+15551234567 as Mario Rossi' },
  { what: 'a trunk allowing any caller ID without an extension caller ID presents a number of its own, or is not tried', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => { onTrunks(acme, { '+390510510510': 'acme-main', '+390510510511': 'acme-main' }); acme.trunks[1]!.allow_any_caller_id = true; }, route: 'outbound +14155550100 via acme-main:2 as +390510510510/Mario Rossi' },
  { what: 'no active trunk has a number to present', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => { onTrunks(acme, { '+390510510510': 'acme-backup', '+390510510511': 'acme-backup' }); acme.trunks[1]!.status = 'maintenance'; }, route: 'reject OUTGOING_CALL_BARRED' },
  // Trunk failover (the Welcomedly guide §6.2): a gateway known to be down is skipped, not tried.
  { what: 'a trunk whose registration failed (FAIL_WAIT) is skipped', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => down(acme.trunks[0]!, 'FAIL_WAIT', 'DOWN'), route: 'outbound +14155550100 via acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'a trunk whose gateway was killed (DOWN) is skipped', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => down(acme.trunks[0]!, 'DOWN', null), route: 'outbound +14155550100 via acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'a trunk failing its OPTIONS pings is skipped', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => down(acme.trunks[0]!, 'NOREG', 'DOWN'), route: 'outbound +14155550100 via acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'a trunk registered again (REGED) is tried again', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => down(acme.trunks[0]!, 'REGED', 'UP'), route: 'outbound +14155550100 via acme-main:2,acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'the trunk of the extension\'s number is down: the next trunk with its own number', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => { onTrunks(acme, { '+390510510510': 'acme-main', '+390510510511': 'acme-backup' }); ext(acme, '1001').caller_id_number = '+390510510511'; down(acme.trunks[1]!, 'FAIL_WAIT', 'DOWN'); }, route: 'outbound +14155550100 via acme-main:2 as +390510510510/Mario Rossi' },
  { what: 'every trunk down: all are tried, in order', context: ACME, destination: '+14155550100', user: '1001', records: ({ acme }) => acme.trunks.forEach((x) => down(x, 'FAIL_WAIT', 'DOWN')), route: 'outbound +14155550100 via acme-main:2,acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'a forward skips a trunk known down', context: 'public', destination: '+390510510511', records: ({ acme }) => { Object.assign(did(acme, '+390510510511'), { route: 'forward', route_target: '+393331112222' }); down(acme.trunks[0]!, 'FAIL_WAIT', 'DOWN'); }, route: 'outbound +393331112222 via acme-backup:10 caller kept' },
  // *98: the caller's own mailbox (the VoIP extensions guide).
  { what: '*98 from an extension with voicemail: its own mailbox', context: ACME, destination: '*98', user: '1001', records: ({ acme }) => void (ext(acme, '1001').voicemail_enabled = true), route: 'voicemail_check 1001' },
  { what: '*98 names the mailbox by the caller\'s SIP username', context: ACME, destination: '*98', user: 'mario', records: ({ acme }) => Object.assign(ext(acme, '1001'), { voicemail_enabled: true, sip_username: 'mario' }), route: 'voicemail_check mario' },
  { what: '*98 from an extension without voicemail', context: ACME, destination: '*98', user: '1001', route: 'reject UNALLOCATED_NUMBER' },
  { what: '*98 from an unauthenticated caller', context: ACME, destination: '*98', records: ({ acme }) => void (ext(acme, '1001').voicemail_enabled = true), route: 'reject UNALLOCATED_NUMBER' },
  // National numbers (the W3 Suite guide's example 1: a carrier presents 0510510510): read in the customer's country.
  { what: 'a DID in national format reaches the number of a customer in IT', context: 'public', destination: '0510510511', records: ({ acme }) => void (acme.tenant.country = 'IT'), route: 'extension 1001' },
  { what: 'the AI number presented in national format, the DID passed on as E.164', context: 'public', destination: '0510510510', caller: '3297626144', records: ({ acme }) => void (acme.tenant.country = 'IT'), route: 'ai_agent customer-care-voice did=+390510510510 caller=3297626144' },
  { what: 'a national DID while the customer has no country', context: 'public', destination: '0510510511', route: 'reject UNALLOCATED_NUMBER' },
  { what: 'a national DID read in another customer\'s country is not theirs', context: 'public', destination: '0510510511', records: ({ acme, globex }) => { acme.tenant.country = 'FR'; globex.tenant.country = 'IT'; }, route: 'reject UNALLOCATED_NUMBER' },
  { what: 'a national DID two customers own in their countries reaches neither', context: 'public', destination: '0510510511', records: ({ acme, globex }) => { acme.tenant.country = 'IT'; globex.tenant.country = 'FR'; globex.numbers.push(number('globex', '+33510510511', { route_target: '1001' })); }, route: 'reject UNALLOCATED_NUMBER' },
  { what: 'a US carrier\'s ten digits reach a customer in US (not +41 415…)', context: 'public', destination: '4155550100', records: ({ globex }) => { globex.tenant.country = 'US'; globex.numbers.push(number('globex', '+14155550100', { route_target: '1001' })); }, route: 'extension 1001' },
  { what: 'a DID as sent wins over a national reading', context: 'public', destination: '390510510511', records: ({ acme, globex }) => { acme.tenant.country = 'IT'; globex.tenant.country = 'US'; }, route: 'extension 1001' },
  { what: 'an extension dials a national number: out as E.164', context: ACME, destination: '0510510512', user: '1001', records: ({ acme }) => void (acme.tenant.country = 'IT'), route: 'outbound +390510510512 via acme-main:2,acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'a national mobile number with separators', context: ACME, destination: '329 762-6144', user: '1001', records: ({ acme }) => void (acme.tenant.country = 'IT'), route: 'outbound +393297626144 via acme-main:2,acme-backup:10 as +390510510510/Mario Rossi' },
  { what: 'a national number while the customer has no country', context: ACME, destination: '0510510512', user: '1001', route: 'reject UNALLOCATED_NUMBER' },
  { what: 'a number invalid in the customer\'s country', context: ACME, destination: '0510', user: '1001', records: ({ acme }) => void (acme.tenant.country = 'IT'), route: 'reject UNALLOCATED_NUMBER' },
  { what: 'an extension is still an extension in a country', context: ACME, destination: '1002', user: '1001', records: ({ acme }) => void (acme.tenant.country = 'IT'), route: 'extension 1002' },
  { what: 'the international prefix of the customer\'s country (011 in US)', context: GLOBEX, destination: '011390510510512', user: '1001', records: ({ globex }) => void (globex.tenant.country = 'US'), route: 'outbound +390510510512 via globex-main:10 as +15551234567/Globex 1001' },
  { what: 'a forward target read in the customer\'s country', context: 'public', destination: '+390510510511', records: ({ acme }) => { acme.tenant.country = 'IT'; Object.assign(did(acme, '+390510510511'), { route: 'forward', route_target: '333 111 2222' }); }, route: 'outbound +393331112222 via acme-main:2,acme-backup:10 caller kept' },
  // Contexts Switchplane does not own are left to FreeSWITCH's own dialplan.
  { what: 'FreeSWITCH\'s `default` context', context: 'default', destination: '1002', user: '1001', route: 'not ours' },
  { what: 'an unknown domain', context: 'nobody.switchplane.test', destination: '1002', route: 'not ours' },
  { what: 'a suspended tenant\'s domain', context: INITECH, destination: '1001', route: 'not ours' },
];

t.test('planCall: the route of each call in the table', async (t) => {
  for (const c of cases) {
    const snapshots = tenants();
    c.records?.({ acme: snapshots[0]!, globex: snapshots[1]! });
    const req: CallRequest = { context: c.context, destination: c.destination, callerNumber: c.caller ?? '+393331112222', authUser: c.user ?? null };
    const plan = await planCall(cacheOf(snapshots), req, new Date(c.at ?? MONDAY_11_ROME));
    t.equal(summary(plan), c.route, `${c.what}: ${c.context} → ${c.destination}`);
  }
});

t.test('the plan names the tenant, the caller and the destination as dialled', async (t) => {
  const plan = await planCall(cacheOf(tenants()), { context: ACME, destination: '0014155550100', callerNumber: '1001', authUser: '1001' }, new Date(MONDAY_11_ROME));
  t.match(plan, { context: ACME, destination: '0014155550100', tenant: { id: 'acme' }, caller: { extension: '1001', id: 'acme-ext-1001', maxConcurrentCalls: 2 } });
  t.notOk(plan && 'direction' in plan, 'no direction before a first pass through the dialplan');
  const inbound = await planCall(cacheOf(tenants()), { context: 'public', destination: '+390510510511', callerNumber: '+393331112222', authUser: null }, new Date(MONDAY_11_ROME));
  t.match(inbound, { tenant: { id: 'acme' }, caller: null });
  const transferred = await planCall(cacheOf(tenants()), { context: ACME, destination: '1002', callerNumber: '+393331112222', authUser: null, direction: 'inbound' }, new Date(MONDAY_11_ROME));
  t.equal(transferred?.direction, 'inbound', 'a transferred call keeps the direction of its first pass');
  const forged = await planCall(cacheOf(tenants()), { context: ACME, destination: '1002', callerNumber: '', authUser: null, direction: 'sideways' }, new Date(MONDAY_11_ROME));
  t.notOk(forged && 'direction' in forged, 'an unknown direction is not kept');
});

t.test(`the table covers every route kind and reject cause (${cases.length} cases)`, async (t) => {
  const kinds = new Set(cases.map((c) => c.route.split(' ')[0]));
  t.same([...kinds].sort(), ['ai_agent', 'extension', 'not', 'outbound', 'reject', 'voicemail_check']);
  const causes = new Set(cases.filter((c) => c.route.startsWith('reject ')).map((c) => c.route.slice(7)));
  t.same([...causes].sort(), ['CALL_REJECTED', 'INCOMING_CALL_BARRED', 'NORMAL_TEMPORARY_FAILURE', 'NO_ROUTE_DESTINATION', 'OUTGOING_CALL_BARRED', 'UNALLOCATED_NUMBER']);
});

t.test('dialledTarget: what a dialled string names among the extensions', async (t) => {
  const extensions = [
    extension('acme', '1001', { sip_username: 'mario' }),
    extension('acme', '1002', { sip_username: 'giulia' }),
    extension('acme', '1003', { status: 'suspended' }),
    extension('acme', '1004', { status: 'inactive' }),
    extension('acme', '2000', { sip_username: '1002' }),
  ];
  const table: Array<[string, string]> = [
    ['1001', 'extension 1001'], // by number
    ['mario', 'extension 1001'], // by SIP username
    ['1002', 'extension 2000'], // a SIP username wins over another extension's number
    ['2000', 'extension 2000'],
    ['giulia', 'extension 1002'],
    ['1003', 'nothing'], // suspended
    ['1004', 'nothing'], // inactive
    ['4444', 'nothing'], // no extension and too short for a number
    ['+14155550100', 'number +14155550100'],
    ['0014155550100', 'number +14155550100'],
    ['14155550100', 'number +14155550100'], // 8 to 15 digits
    ['+1 (415) 555-0100', 'number +14155550100'],
    ['garbage', 'nothing'],
    ['', 'nothing'],
  ];
  for (const [dialled, expected] of table) {
    const got = dialledTarget(extensions, dialled);
    t.equal(got === null ? 'nothing' : got.kind === 'extension' ? `extension ${got.ext.extension}` : `number ${got.e164}`, expected, JSON.stringify(dialled));
  }
  const italian: Array<[string, string]> = [
    ['1001', 'extension 1001'],
    ['0510510512', 'number +390510510512'], // national format
    ['051 051 0512', 'number +390510510512'],
    ['3297626144', 'number +393297626144'], // a mobile, not +32 97…
    ['00390510510512', 'number +390510510512'],
    ['+14155550100', 'number +14155550100'], // E.164 as before
    ['14155550100', 'number +14155550100'], // not valid in IT: 8 to 15 digits as before
    ['0510', 'nothing'], // too short in IT
  ];
  for (const [dialled, expected] of italian) {
    const got = dialledTarget(extensions, dialled, 'IT');
    t.equal(got === null ? 'nothing' : got.kind === 'extension' ? `extension ${got.ext.extension}` : `number ${got.e164}`, expected, `${JSON.stringify(dialled)} in IT`);
  }
});
