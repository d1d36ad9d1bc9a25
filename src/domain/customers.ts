/**
 * Customers (tenants) as an operator changes them: checking the input, the queries and the audit
 * row of every write in the same transaction. Creating, updating and suspending run as the
 * operator (every tenant); reading one customer runs as that tenant (row-level security).
 * The `tenants` table's change notice drops the tenant's cached snapshot (src/domain/tenant-cache.ts),
 * so a suspended customer's users, numbers and gateways stop being found.
 */
import { IANAZone } from 'luxon';
import type { Kysely, Updateable } from 'kysely';
import type { Database, Tenant, TenantsTable } from '../db/schema.js';
import type { Store } from '../db/store.js';
import type { Principal } from './api-keys.js';
import { recordAudit } from './audit.js';
import { FieldError, NotFoundError } from './errors.js';
import { excerpt } from './excerpt.js';
import { isCountryCode } from './numbers.js';
import { TENANT_STATUSES } from './tenants.js';

/**
 * What an operator may set on a customer, in the API's field names. Absent = unchanged (update)
 * or the default (create: slug from the name, the column defaults otherwise).
 */
export interface CustomerInput {
  name?: string;
  slug?: string;
  /** A DNS name; stored lower-case. */
  sipDomain?: string;
  /** IANA time zone. */
  timezone?: string;
  maxConcurrentCalls?: number;
  status?: (typeof TENANT_STATUSES)[number];
  crmWebhookUrl?: string | null;
  /**
   * ISO 3166-1 alpha-2 (any case; stored upper case): the country whose national format the
   * customer's numbers may be given and dialled in (src/domain/numbers.ts toE164). `null`: E.164,
   * `00` and bare international digits only.
   */
  country?: string | null;
}

const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** @throws FieldError (`sipDomain`, `timezone`, `country`) */
function checkInput(input: CustomerInput): void {
  if (input.country != null && !isCountryCode(input.country.toUpperCase())) {
    throw new FieldError('country', `country ${excerpt(input.country)} is not an ISO 3166-1 alpha-2 code with a numbering plan, such as IT or US`);
  }
  if (input.sipDomain !== undefined && !DNS_NAME.test(input.sipDomain.toLowerCase())) {
    throw new FieldError('sipDomain', 'sipDomain must be a DNS name such as acme.example.com');
  }
  if (input.timezone !== undefined && !IANAZone.isValidZone(input.timezone)) {
    throw new FieldError('timezone', `timezone ${excerpt(input.timezone)} is not an IANA time zone`);
  }
}

/** `Acme Corp.` → `acme-corp`: lower-case letters, digits and dashes, at most 63. */
const slugOf = (name: string) =>
  name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'customer';

function columns(input: CustomerInput): Updateable<TenantsTable> {
  return {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.slug !== undefined && { slug: input.slug }),
    ...(input.sipDomain !== undefined && { sip_domain: input.sipDomain.toLowerCase() }),
    ...(input.timezone !== undefined && { timezone: input.timezone }),
    ...(input.maxConcurrentCalls !== undefined && { max_concurrent_calls: input.maxConcurrentCalls }),
    ...(input.status !== undefined && { status: input.status }),
    ...(input.crmWebhookUrl !== undefined && { crm_webhook_url: input.crmWebhookUrl }),
    ...(input.country !== undefined && { country: input.country?.toUpperCase() ?? null }),
  };
}

/**
 * Creates a customer.
 * @throws FieldError; the database error (23505) when the slug or SIP domain is taken
 */
export async function createCustomer(store: Store, actor: Principal, input: CustomerInput & { name: string; sipDomain: string }): Promise<Tenant> {
  checkInput(input);
  return store.withOperator(async (trx) => {
    const created = await trx
      .insertInto('tenants')
      .values({ ...columns(input), name: input.name, sip_domain: input.sipDomain.toLowerCase(), slug: input.slug ?? slugOf(input.name) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, { tenantId: created.id, action: 'create', resourceType: 'customer', resourceId: created.id, after: created });
    return created;
  });
}

/** Every customer, oldest first (as the operator). */
export function listCustomers(store: Store): Promise<Tenant[]> {
  return store.withOperator((trx) => trx.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('id').execute());
}

/** The customers tenant `tenantId` can see: itself. */
export function listOwnCustomer(store: Store, tenantId: string): Promise<Tenant[]> {
  return store.withTenant(tenantId, (trx) => trx.selectFrom('tenants').selectAll().execute());
}

/** @throws NotFoundError `customer` */
export async function getCustomer(store: Store, tenantId: string): Promise<Tenant> {
  const row = await store.withTenant(tenantId, (trx) => trx.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst());
  if (!row) throw new NotFoundError('customer');
  return row;
}

async function change(trx: Kysely<Database>, actor: Principal, customerId: string, changes: Updateable<TenantsTable>, action: 'update' | 'suspend'): Promise<Tenant> {
  const before = await trx.selectFrom('tenants').selectAll().where('id', '=', customerId).forUpdate().executeTakeFirst();
  if (!before) throw new NotFoundError('customer');
  const after = await trx.updateTable('tenants').set({ ...changes, updated_at: new Date() }).where('id', '=', customerId).returningAll().executeTakeFirstOrThrow();
  await recordAudit(trx, actor, { tenantId: customerId, action, resourceType: 'customer', resourceId: customerId, before, after });
  return after;
}

/** @throws FieldError; NotFoundError `customer`; the database error (23505) for a taken slug or domain */
export async function updateCustomer(store: Store, actor: Principal, customerId: string, input: CustomerInput): Promise<Tenant> {
  checkInput(input);
  const changes = columns(input);
  return store.withOperator((trx) => change(trx, actor, customerId, changes, 'update'));
}

/** Sets the customer's status to `suspended`. @throws NotFoundError `customer` */
export function suspendCustomer(store: Store, actor: Principal, customerId: string): Promise<Tenant> {
  return store.withOperator((trx) => change(trx, actor, customerId, { status: 'suspended' }, 'suspend'));
}
