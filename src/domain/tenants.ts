/**
 * Tenants (customers). A tenant is reached by FreeSWITCH through its SIP domain (directory
 * lookups, `domain_name`), and its phones' calls are routed in the dialplan context named by
 * `tenantContext()`.
 */
import type { Kysely } from 'kysely';
import type { Database, Tenant, TenantStatus } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { NotFoundError } from './errors.js';

/** `tenants.status`: only an `active` tenant's users register and its calls are routed. */
export const TENANT_STATUSES = ['active', 'suspended', 'inactive'] as const satisfies readonly TenantStatus[];

/** Dialplan context of calls arriving from trunks (the sofia `external` profile's `context`). */
export const INBOUND_CONTEXT = 'public';

/**
 * The dialplan context of a tenant's authenticated phones: its SIP domain, the multi-tenant
 * FreeSWITCH convention. Directory `user_context` and the dialplan renderer both use this.
 */
export function tenantContext(tenant: Pick<Tenant, 'sip_domain'>): string {
  return tenant.sip_domain;
}

/** SIP domains of every active tenant, sorted. */
export async function listActiveDomains(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('tenants').select('sip_domain').where('status', '=', 'active').orderBy('sip_domain').execute();
  return rows.map((r) => r.sip_domain);
}

/**
 * What FreeSWITCH's configuration holds of one tenant, read in one tenant transaction: its SIP
 * domain, the SIP usernames of its active extensions (by extension number) and its numbers (in order).
 * @throws NotFoundError `customer`
 */
export async function configurationScope(store: Store, tenantId: string): Promise<{ domain: string; users: string[]; numbers: string[] }> {
  const { tenant, extensions, numbers } = await store.withTenant(tenantId, async (trx) => ({
    tenant: await trx.selectFrom('tenants').select(['sip_domain', 'status']).where('id', '=', tenantId).executeTakeFirst(),
    extensions: await trx.selectFrom('extensions').select('sip_username').where('status', '=', 'active').orderBy('extension').execute(),
    numbers: await trx.selectFrom('phone_numbers').select('number').orderBy('number').execute(),
  }));
  if (!tenant) throw new NotFoundError('customer');
  return { domain: tenant.sip_domain, users: extensions.map((e) => e.sip_username), numbers: numbers.map((n) => n.number) };
}
