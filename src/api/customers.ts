/**
 * Customers (tenants): `POST/GET /api/v1/customers`, `GET/PATCH /api/v1/customers/{customerId}`,
 * `POST /api/v1/customers/{customerId}/suspend`. Creating, updating and suspending need an admin
 * key; a tenant key reads its own customer only (another one is a 404).
 * A customer's SIP domain is its registrar realm and dialplan context (src/domain/tenants.ts).
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { Tenant } from '../db/schema.js';
import { createCustomer, getCustomer, listCustomers, listOwnCustomer, suspendCustomer, updateCustomer } from '../domain/customers.js';
import { TENANT_STATUSES } from '../domain/tenants.js';
import { actingTenant, principalOf, requireAdmin } from './auth.js';
import type { ApiDeps } from './deps.js';
import { bearer, CustomerParams, Data, errorResponses } from './schemas.js';

const Status = Type.Union(TENANT_STATUSES.map((s) => Type.Literal(s)));

const Customer = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    slug: Type.String(),
    sipDomain: Type.String({ description: 'SIP domain: registrar realm and dialplan context' }),
    timezone: Type.String({ description: 'IANA time zone' }),
    maxConcurrentCalls: Type.Integer(),
    status: Status,
    crmWebhookUrl: Type.Union([Type.String(), Type.Null()]),
    country: Type.Union([Type.String(), Type.Null()], { description: 'ISO 3166-1 alpha-2 country national numbers are read in; null: E.164 and 00 only' }),
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
  status: Status,
  crmWebhookUrl: Type.Union([Type.String({ format: 'uri', pattern: '^https?://' }), Type.Null()]),
  country: Type.Union([Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. IT: numbers given or dialled in its national format (0510510510) are read as E.164' }), Type.Null()]),
};
const CreateCustomer = Type.Object(
  { ...Writable, slug: Type.Optional(Writable.slug), timezone: Type.Optional(Writable.timezone), maxConcurrentCalls: Type.Optional(Writable.maxConcurrentCalls), status: Type.Optional(Writable.status), crmWebhookUrl: Type.Optional(Writable.crmWebhookUrl), country: Type.Optional(Writable.country) },
  { additionalProperties: false },
);
const UpdateCustomer = Type.Partial(Type.Object(Writable), { additionalProperties: false, minProperties: 1 });

export function customerJson(t: Tenant): Static<typeof Customer> {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    sipDomain: t.sip_domain,
    timezone: t.timezone,
    maxConcurrentCalls: t.max_concurrent_calls,
    status: t.status,
    crmWebhookUrl: t.crm_webhook_url,
    country: t.country,
    createdAt: t.created_at.toISOString(),
    updatedAt: t.updated_at.toISOString(),
  };
}

export const customerRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store }) => {
  app.addSchema(Customer);
  const tags = ['customers'];
  const one = { 200: Data(Type.Ref(Customer)), ...errorResponses };

  app.post('/customers', {
    schema: { tags, security: bearer, summary: 'Create a customer (admin)', body: CreateCustomer, response: { 201: Data(Type.Ref(Customer)), ...errorResponses } },
  }, async (req, reply) => {
    const actor = requireAdmin(req);
    return reply.code(201).send({ data: customerJson(await createCustomer(store, actor, req.body)) });
  });

  app.get('/customers', {
    schema: { tags, security: bearer, summary: 'List customers (admin: all; tenant key: its own)', response: { 200: Data(Type.Array(Type.Ref(Customer))), ...errorResponses } },
  }, async (req) => {
    const p = principalOf(req);
    const rows = p.scopes.has('admin') ? await listCustomers(store) : await listOwnCustomer(store, actingTenant(req, 'read').tenantId);
    return { data: rows.map(customerJson) };
  });

  app.get('/customers/:customerId', {
    schema: { tags, security: bearer, summary: 'Get a customer', params: CustomerParams, response: one },
  }, async (req) => {
    const { tenantId } = actingTenant(req, 'read', req.params.customerId);
    return { data: customerJson(await getCustomer(store, tenantId)) };
  });

  app.patch('/customers/:customerId', {
    schema: { tags, security: bearer, summary: 'Update a customer (admin)', params: CustomerParams, body: UpdateCustomer, response: one },
  }, async (req) => {
    const actor = requireAdmin(req);
    return { data: customerJson(await updateCustomer(store, actor, req.params.customerId, req.body)) };
  });

  app.post('/customers/:customerId/suspend', {
    schema: { tags, security: bearer, summary: 'Suspend a customer (admin): FreeSWITCH stops finding its users, numbers and gateways', params: CustomerParams, response: one },
  }, async (req) => {
    const actor = requireAdmin(req);
    return { data: customerJson(await suspendCustomer(store, actor, req.params.customerId)) };
  });
};
