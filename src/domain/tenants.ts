/**
 * Tenants (customers). A tenant is reached by FreeSWITCH through its SIP domain (directory
 * lookups, `domain_name`), and its phones' calls are routed in the dialplan context named by
 * `tenantContext()`.
 */
import type { Kysely } from 'kysely';
import type { Database, Tenant, TenantStatus } from '../db/schema.js';

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
