/**
 * Everything FreeSWITCH lookups need to know about one tenant, read in one transaction: the
 * tenant, its extensions, numbers and trunks. Directory and dialplan answers are computed from a
 * snapshot held by `TenantCache`, so a lookup costs no database round trip once its tenant is
 * cached.
 */
import type { Kysely } from 'kysely';
import type { Database, Extension, PhoneNumber, Tenant, Trunk } from '../db/schema.js';
import { toE164 } from './numbers.js';

/**
 * The columns lookups use. Snapshots keep only these (no timestamps, phone registration or call
 * state; of trunks, the gateway state the outbound order needs), which keeps a cache of 100,000
 * extensions small for the garbage collector.
 */
const TENANT_COLUMNS = ['id', 'name', 'slug', 'sip_domain', 'timezone', 'max_concurrent_calls', 'status', 'country'] as const;
const EXTENSION_COLUMNS = [
  'id', 'tenant_id', 'extension', 'sip_username', 'password_enc', 'display_name', 'email', 'caller_id_name',
  'caller_id_number', 'allowed_codecs', 'voicemail_enabled', 'voicemail_pin_enc', 'call_recording',
  'call_forwarding_enabled', 'call_forwarding_number', 'do_not_disturb', 'max_concurrent_calls',
  'registration_expiry', 'reverse_auth', 'encryption_enabled', 'status',
] as const;
const NUMBER_COLUMNS = [
  'id', 'tenant_id', 'number', 'trunk_id', 'incoming_enabled', 'outbound_enabled', 'route', 'route_target',
  'ai_agent_profile', 'business_hours', 'failover_extension',
] as const;
/** With the gateway state (src/domain/outbound-trunks.ts skips a gateway known to be down). */
const TRUNK_COLUMNS = [
  'id', 'tenant_id', 'name', 'priority', 'max_channels', 'status', 'allow_any_caller_id', 'registration_state', 'ping_status',
] as const;

export type LookupTenant = Pick<Tenant, (typeof TENANT_COLUMNS)[number]>;
export type LookupExtension = Pick<Extension, (typeof EXTENSION_COLUMNS)[number]>;
export type LookupNumber = Pick<PhoneNumber, (typeof NUMBER_COLUMNS)[number]>;
export type LookupTrunk = Pick<Trunk, (typeof TRUNK_COLUMNS)[number]>;

export interface TenantSnapshot {
  tenant: LookupTenant;
  extensions: LookupExtension[];
  /** Ordered by number. */
  numbers: LookupNumber[];
  /** Ordered by priority (1 = first), then name. */
  trunks: LookupTrunk[];
  /**
   * Usual directory answers already rendered from this snapshot (src/xmlcurl/directory.ts), as
   * UTF-8 bytes ready to send, by the `user` they were asked for (an active extension's SIP
   * username or extension number: at most two per extension); they go when the snapshot goes.
   */
  rendered: Map<string, Buffer>;
}

/** Reads a tenant's snapshot by SIP domain (case-insensitive) or id; undefined when absent. */
export async function loadTenantSnapshot(db: Kysely<Database>, by: { domain: string } | { id: string }): Promise<TenantSnapshot | undefined> {
  const tenant = await db
    .selectFrom('tenants')
    .select(TENANT_COLUMNS)
    .where((eb) => ('domain' in by ? eb('sip_domain', '=', by.domain.toLowerCase()) : eb('id', '=', by.id)))
    .executeTakeFirst();
  if (!tenant) return undefined;
  const [extensions, numbers, trunks] = await Promise.all([
    db.selectFrom('extensions').select(EXTENSION_COLUMNS).where('tenant_id', '=', tenant.id).execute(),
    db.selectFrom('phone_numbers').select(NUMBER_COLUMNS).where('tenant_id', '=', tenant.id).orderBy('number').execute(),
    db.selectFrom('trunks').select(TRUNK_COLUMNS).where('tenant_id', '=', tenant.id).orderBy('priority').orderBy('name').execute(),
  ]);
  return { tenant, extensions, numbers, trunks, rendered: new Map() };
}

/** Snapshots of up to `limit` active tenants (by name), read with four queries in all. */
export async function loadActiveSnapshots(db: Kysely<Database>, limit: number): Promise<TenantSnapshot[]> {
  const tenants = await db.selectFrom('tenants').select(TENANT_COLUMNS).where('status', '=', 'active').orderBy('name').limit(limit).execute();
  const byId = new Map<string, TenantSnapshot>(tenants.map((tenant) => [tenant.id, { tenant, extensions: [], numbers: [], trunks: [], rendered: new Map() }]));
  const [extensions, numbers, trunks] = await Promise.all([
    db.selectFrom('extensions').select(EXTENSION_COLUMNS).execute(),
    db.selectFrom('phone_numbers').select(NUMBER_COLUMNS).orderBy('number').execute(),
    db.selectFrom('trunks').select(TRUNK_COLUMNS).orderBy('priority').orderBy('name').execute(),
  ]);
  for (const e of extensions) byId.get(e.tenant_id)?.extensions.push(e);
  for (const n of numbers) byId.get(n.tenant_id)?.numbers.push(n);
  for (const t of trunks) byId.get(t.tenant_id)?.trunks.push(t);
  return [...byId.values()];
}

/**
 * The number the tenant's outbound calls present: `preferred` (an extension's caller ID) when it
 * is one of the tenant's numbers, else the first outbound-enabled number, else the first number.
 * The caller checks `outbound_enabled`.
 */
export function outboundCallerNumber(s: TenantSnapshot, preferred: string | null): LookupNumber | undefined {
  const wanted = preferred ? toE164(preferred) : null;
  return s.numbers.find((n) => n.number === wanted) ?? s.numbers.find((n) => n.outbound_enabled) ?? s.numbers[0];
}
