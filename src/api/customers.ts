/**
 * Customers (tenants): `POST/GET /api/v1/customers`, `GET/PATCH /api/v1/customers/{customerId}`,
 * `POST /api/v1/customers/{customerId}/suspend`. Creating, updating and suspending need an admin
 * key; a tenant key reads its own customer only (another one is a 404).
 * A customer's SIP domain is its registrar realm and dialplan context (src/domain/tenants.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { IANAZone } from 'luxon';
import type { Selectable } from 'kysely';
import type { TenantsTable } from '../db/schema.js';
import { recordAudit } from '../domain/audit.js';
import { excerpt } from '../domain/excerpt.js';
import { actingTenant, principalOf, requireAdmin } from './auth.js';
import { invalid, notFound } from './errors.js';
import type { ApiDeps } from './deps.js';
import { bearer, CustomerParams, Data, errorResponses } from './schemas.js';

const Customer = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    slug: Type.String(),
    sipDomain: Type.String({ description: 'SIP domain: registrar realm and dialplan context' }),
    timezone: Type.String({ description: 'IANA time zone' }),
    maxConcurrentCalls: Type.Integer(),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('inactive')]),
    crmWebhookUrl: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Customer', title: 'Customer' },
);

const Writable = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  slug: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
  sipDomain: Type.String({ minLength: 3, maxLength: 253, description: 'a DNS name, e.g. acme.example.com' }),
  timezone: Type.String({ description: 'IANA time zone, e.g. Europe/Rome' }),
  maxConcurrentCalls: Type.Integer({ minimum: 1, maximum: 100000 }),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('inactive')]),
  crmWebhookUrl: Type.Union([Type.String({ format: 'uri', pattern: '^https?://' }), Type.Null()]),
};
const CreateCustomer = Type.Object(
  { ...Writable, slug: Type.Optional(Writable.slug), timezone: Type.Optional(Writable.timezone), maxConcurrentCalls: Type.Optional(Writable.maxConcurrentCalls), status: Type.Optional(Writable.status), crmWebhookUrl: Type.Optional(Writable.crmWebhookUrl) },
  { additionalProperties: false },
);
const UpdateCustomer = Type.Partial(Type.Object(Writable), { additionalProperties: false, minProperties: 1 });

const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

function checkValues(body: Partial<Static<typeof CreateCustomer>>): void {
  if (body.sipDomain !== undefined && !DNS_NAME.test(body.sipDomain.toLowerCase())) {
    throw invalid('sipDomain', 'sipDomain must be a DNS name such as acme.example.com');
  }
  if (body.timezone !== undefined && !IANAZone.isValidZone(body.timezone)) {
    throw invalid('timezone', `timezone ${excerpt(body.timezone)} is not an IANA time zone`);
  }
}

const slugOf = (name: string) =>
  name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'customer';

export function customerJson(t: Selectable<TenantsTable>): Static<typeof Customer> {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    sipDomain: t.sip_domain,
    timezone: t.timezone,
    maxConcurrentCalls: t.max_concurrent_calls,
    status: t.status,
    crmWebhookUrl: t.crm_webhook_url,
    createdAt: t.created_at.toISOString(),
    updatedAt: t.updated_at.toISOString(),
  };
}

function columns(body: Partial<Static<typeof CreateCustomer>>) {
  return {
    ...(body.name !== undefined && { name: body.name }),
    ...(body.slug !== undefined && { slug: body.slug }),
    ...(body.sipDomain !== undefined && { sip_domain: body.sipDomain.toLowerCase() }),
    ...(body.timezone !== undefined && { timezone: body.timezone }),
    ...(body.maxConcurrentCalls !== undefined && { max_concurrent_calls: body.maxConcurrentCalls }),
    ...(body.status !== undefined && { status: body.status }),
    ...(body.crmWebhookUrl !== undefined && { crm_webhook_url: body.crmWebhookUrl }),
  };
}

export const customerRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store }) => {
  app.addSchema(Customer);
  const tags = ['customers'];
  const one = { 200: Data(Type.Ref(Customer)), ...errorResponses };

  app.post<{ Body: Static<typeof CreateCustomer> }>('/customers', {
    schema: { tags, security: bearer, summary: 'Create a customer (admin)', body: CreateCustomer, response: { 201: Data(Type.Ref(Customer)), ...errorResponses } },
  }, async (req, reply) => {
    const actor = requireAdmin(req);
    checkValues(req.body);
    const row = await store.withOperator(async (trx) => {
      const created = await trx
        .insertInto('tenants')
        .values({ ...columns(req.body), name: req.body.name, sip_domain: req.body.sipDomain.toLowerCase(), slug: req.body.slug ?? slugOf(req.body.name) })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(trx, actor, { tenantId: created.id, action: 'create', resourceType: 'customer', resourceId: created.id, after: created });
      return created;
    });
    return reply.code(201).send({ data: customerJson(row) });
  });

  app.get('/customers', {
    schema: { tags, security: bearer, summary: 'List customers (admin: all; tenant key: its own)', response: { 200: Data(Type.Array(Type.Ref(Customer))), ...errorResponses } },
  }, async (req) => {
    const p = principalOf(req);
    const rows = p.scopes.has('admin')
      ? await store.withOperator((trx) => trx.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('id').execute())
      : await store.withTenant(actingTenant(req, 'read').tenantId, (trx) => trx.selectFrom('tenants').selectAll().execute());
    return { data: rows.map(customerJson) };
  });

  app.get<{ Params: Static<typeof CustomerParams> }>('/customers/:customerId', {
    schema: { tags, security: bearer, summary: 'Get a customer', params: CustomerParams, response: one },
  }, async (req) => {
    const { tenantId } = actingTenant(req, 'read', req.params.customerId);
    const row = await store.withTenant(tenantId, (trx) => trx.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst());
    if (!row) throw notFound('customer');
    return { data: customerJson(row) };
  });

  const update = async (customerId: string, changes: ReturnType<typeof columns>, actor: ReturnType<typeof requireAdmin>, action: 'update' | 'suspend') =>
    store.withOperator(async (trx) => {
      const before = await trx.selectFrom('tenants').selectAll().where('id', '=', customerId).forUpdate().executeTakeFirst();
      if (!before) throw notFound('customer');
      const after = await trx.updateTable('tenants').set({ ...changes, updated_at: new Date() }).where('id', '=', customerId).returningAll().executeTakeFirstOrThrow();
      await recordAudit(trx, actor, { tenantId: customerId, action, resourceType: 'customer', resourceId: customerId, before, after });
      return after;
    });

  app.patch<{ Params: Static<typeof CustomerParams>; Body: Static<typeof UpdateCustomer> }>('/customers/:customerId', {
    schema: { tags, security: bearer, summary: 'Update a customer (admin)', params: CustomerParams, body: UpdateCustomer, response: one },
  }, async (req) => {
    const actor = requireAdmin(req);
    checkValues(req.body);
    return { data: customerJson(await update(req.params.customerId, columns(req.body), actor, 'update')) };
  });

  app.post<{ Params: Static<typeof CustomerParams> }>('/customers/:customerId/suspend', {
    schema: { tags, security: bearer, summary: 'Suspend a customer (admin): FreeSWITCH stops finding its users, numbers and gateways', params: CustomerParams, response: one },
  }, async (req) => {
    const actor = requireAdmin(req);
    return { data: customerJson(await update(req.params.customerId, { status: 'suspended' }, actor, 'suspend')) };
  });
};
