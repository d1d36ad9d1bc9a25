/**
 * What the AI agent needs to know about a call to one of a tenant's AI numbers, read as the
 * tenant (`withTenant`, row-level security): the tenant's name, time zone and dialplan context,
 * the number's failover extension, business hours and CRM webhook (its secret opened), and the
 * tenant's active extensions, which are the only ones a call may be transferred to.
 */
import type { BusinessHours } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { crmWebhookOf } from './number-records.js';
import type { SecretBox } from './secrets.js';
import { tenantContext } from './tenants.js';

export interface AgentCallContext {
  tenantName: string;
  /** IANA time zone. */
  timezone: string;
  /** The tenant's dialplan context (its SIP domain). */
  context: string;
  failoverExtension: string | null;
  businessHours: BusinessHours | null;
  crm: { url: string; secret: string } | null;
  /** Active extensions, by number. */
  extensions: Array<{ extension: string; name: string | null }>;
}

/**
 * The context of a call from `did` (E.164) of `tenantId`. A number the tenant no longer has
 * gives no failover extension, business hours or CRM.
 * @throws the database's error, or kysely's NoResultError when the tenant does not exist
 */
export async function agentCallContext(store: Store, secrets: SecretBox, tenantId: string, did: string): Promise<AgentCallContext> {
  return store.withTenant(tenantId, async (trx) => {
    const tenant = await trx.selectFrom('tenants').select(['name', 'timezone', 'sip_domain']).where('id', '=', tenantId).executeTakeFirstOrThrow();
    const number = await trx
      .selectFrom('phone_numbers')
      .select(['failover_extension', 'business_hours', 'crm_webhook_url', 'crm_webhook_secret_sealed'])
      .where('number', '=', did)
      .executeTakeFirst();
    const extensions = await trx
      .selectFrom('extensions')
      .select(['extension', 'display_name'])
      .where('status', '=', 'active')
      .orderBy('extension')
      .execute();
    return {
      tenantName: tenant.name,
      timezone: tenant.timezone,
      context: tenantContext(tenant),
      failoverExtension: number?.failover_extension ?? null,
      businessHours: number?.business_hours ?? null,
      crm: number ? crmWebhookOf(number, secrets) : null,
      extensions: extensions.map((e) => ({ extension: e.extension, name: e.display_name })),
    };
  });
}
