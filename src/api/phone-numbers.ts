/**
 * Phone numbers (DIDs) of a customer: `POST/GET /api/v1/phone-numbers`,
 * `GET/PUT/PATCH/DELETE /api/v1/phone-numbers/{id}`, and the same under
 * `/api/v1/customers/{customerId}/phone-numbers` for admin keys. A number routes inbound calls
 * to an extension, the AI agent (inside business hours, else the failover extension) or an
 * external number (src/domain/call-routing.ts); FreeSWITCH sees a change once the change notice
 * has reached the lookup cache (sql/003_change_notify.sql).
 * Numbers are unique across all customers: taking one another customer holds answers 409 on
 * `number`, which tells only that the number is taken. Another customer's number id answers 404.
 * The CRM webhook secret (`crmWebhookSecret`, signing the AI agent's tickets) is write-only:
 * stored sealed, answered only as `crmWebhookSecretSet`, and masked in the audit log. A tenant
 * key's `crmWebhookUrl` is held to the destination policy (src/domain/destination-policy.ts): a
 * refused host is a 400 `destination_not_allowed` naming `crmWebhookUrl`.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { recordAudit } from '../domain/audit.js';
import { requireCustomer } from '../domain/customer-exists.js';
import { DestinationPolicy, policyFor } from '../domain/destination-policy.js';
import {
  CRM_WEBHOOK_SECRET_MAX, CRM_WEBHOOK_SECRET_MIN, CRM_WEBHOOK_URL_MAX, CRM_WEBHOOK_URL_START, HHMM, isTenantTrunk,
  NUMBER_ROUTES, numberChanges, numberColumns, numberJson,
} from '../domain/number-records.js';
import { actingTenant } from './auth.js';
import { ApiError, notFound } from './errors.js';
import type { ApiDeps } from './deps.js';
import { deleteAudited } from './tenant-records.js';
import { bearer, Data, errorResponses, Nullable, PATH_FORMS, PhoneNumberText, StringEnum, type ItemParams } from './schemas.js';

const Hhmm = Type.String({ pattern: HHMM.source, description: 'HH:MM, 00:00–23:59' });
const DayHours = Nullable(Type.Object({ start: Hhmm, end: Hhmm }, { description: 'start inclusive, end exclusive; end before start spans midnight; null = closed' }));
/** W3 Suite `aiTimePolicy`: unknown weekday names are refused by the record check, not dropped. */
const BusinessHoursSchema = Type.Object(
  {
    monday: Type.Optional(DayHours),
    tuesday: Type.Optional(DayHours),
    wednesday: Type.Optional(DayHours),
    thursday: Type.Optional(DayHours),
    friday: Type.Optional(DayHours),
    saturday: Type.Optional(DayHours),
    sunday: Type.Optional(DayHours),
  },
  { description: 'per weekday, in the customer time zone; a day absent or null is closed' },
);

const PhoneNumberSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    customerId: Type.String({ format: 'uuid' }),
    number: Type.String({ description: 'E.164' }),
    trunkId: Nullable(Type.String({ format: 'uuid' })),
    description: Nullable(Type.String()),
    incomingEnabled: Type.Boolean(),
    outboundEnabled: Type.Boolean(),
    route: StringEnum(NUMBER_ROUTES),
    routeTarget: Nullable(Type.String()),
    aiAgentProfile: Nullable(Type.String()),
    businessHours: Nullable(BusinessHoursSchema),
    failoverExtension: Nullable(Type.String()),
    crmWebhookUrl: Nullable(Type.String({ format: 'uri', description: "where the AI agent's create_ticket tool POSTs tickets" })),
    crmWebhookSecretSet: Type.Boolean({ description: 'whether a CRM webhook signing secret is stored; the secret itself is never answered' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'PhoneNumber', title: 'PhoneNumber' },
);

const Writable = {
  number: PhoneNumberText,
  trunkId: Nullable(Type.String({ format: 'uuid', description: 'a trunk of the same customer' })),
  description: Nullable(Type.String({ maxLength: 500 })),
  incomingEnabled: Type.Boolean({ description: 'default true' }),
  outboundEnabled: Type.Boolean({ description: 'default true' }),
  route: StringEnum(NUMBER_ROUTES, { description: 'extension (default) | ai_agent | forward' }),
  routeTarget: Nullable(Type.String({ minLength: 1, maxLength: 32, description: 'extension number (route extension) or E.164 (route forward)' })),
  aiAgentProfile: Nullable(Type.String({ pattern: '^[a-z0-9-]{1,64}$', description: 'required by route ai_agent' })),
  businessHours: Nullable(BusinessHoursSchema),
  failoverExtension: Nullable(Type.String({ pattern: '^[0-9]{2,10}$', description: 'takes the calls the route cannot' })),
  crmWebhookUrl: Nullable(Type.String({
    format: 'uri', pattern: CRM_WEBHOOK_URL_START.source, maxLength: CRM_WEBHOOK_URL_MAX,
    description: "absolute http:// or https:// URL the AI agent's create_ticket tool POSTs tickets to (JSON, signed with X-Switchplane-Signature); needs crmWebhookSecret; null removes it",
  })),
  crmWebhookSecret: Nullable(Type.String({
    minLength: CRM_WEBHOOK_SECRET_MIN, maxLength: CRM_WEBHOOK_SECRET_MAX, writeOnly: true,
    description: 'HMAC-SHA256 key of the X-Switchplane-Signature header, write-only; null removes it (and needs crmWebhookUrl removed too)',
  })),
};
const CreateNumber = Type.Object({ ...Type.Partial(Type.Object(Writable)).properties, number: Writable.number }, { additionalProperties: false });
const UpdateNumber = Type.Partial(Type.Object(Writable), { additionalProperties: false, minProperties: 1 });

type Params = ItemParams;


/** 404 naming `trunkId` unless it is a trunk of the tenant (another tenant's is as unknown as a made-up one). */
async function checkTrunk(trx: Kysely<Database>, tenantId: string, trunkId: string | null | undefined): Promise<void> {
  if (trunkId && !(await isTenantTrunk(trx, tenantId, trunkId))) {
    throw new ApiError(404, 'not_found', 'trunkId: no such trunk for this customer', 'trunkId');
  }
}

export const phoneNumberRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, secrets, config }) => {
  const destinations = new DestinationPolicy(config.destinationAllow);
  app.addSchema(PhoneNumberSchema);
  const tags = ['phone numbers'];
  const one = { 200: Data(Type.Ref(PhoneNumberSchema)), ...errorResponses };

  const create = async (req: FastifyRequest<{ Params: { customerId?: string }; Body: Static<typeof CreateNumber> }>, reply: FastifyReply) => {
    const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
    const columns = await numberColumns(req.body, secrets, policyFor(principal, destinations));
    const row = await store.withTenant(tenantId, async (trx) => {
      await requireCustomer(trx, tenantId);
      await checkTrunk(trx, tenantId, columns.trunk_id);
      const created = await trx.insertInto('phone_numbers').values({ ...columns, tenant_id: tenantId }).returningAll().executeTakeFirstOrThrow();
      await recordAudit(trx, principal, { tenantId, action: 'create', resourceType: 'phone_number', resourceId: created.id, after: created });
      return created;
    });
    return reply.code(201).send({ data: numberJson(row) });
  };

  const list = async (req: FastifyRequest<{ Params: { customerId?: string } }>) => {
    const { tenantId } = actingTenant(req, 'read', req.params.customerId);
    const rows = await store.withTenant(tenantId, async (trx) => {
      await requireCustomer(trx, tenantId);
      return trx.selectFrom('phone_numbers').selectAll().where('tenant_id', '=', tenantId).orderBy('number').execute();
    });
    return { data: rows.map(numberJson) };
  };

  const get = async (req: FastifyRequest<{ Params: Params }>) => {
    const { tenantId } = actingTenant(req, 'read', req.params.customerId);
    const row = await store.withTenant(tenantId, (trx) =>
      trx.selectFrom('phone_numbers').selectAll().where('id', '=', req.params.id).where('tenant_id', '=', tenantId).executeTakeFirst(),
    );
    if (!row) throw notFound('phone number');
    return { data: numberJson(row) };
  };

  const update = async (req: FastifyRequest<{ Params: Params; Body: Static<typeof UpdateNumber> }>) => {
    const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
    const row = await store.withTenant(tenantId, async (trx) => {
      const before = await trx.selectFrom('phone_numbers').selectAll().where('id', '=', req.params.id).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
      if (!before) throw notFound('phone number');
      const changes = await numberChanges(req.body, secrets, before, policyFor(principal, destinations));
      await checkTrunk(trx, tenantId, changes.trunk_id);
      const after = await trx.updateTable('phone_numbers').set({ ...changes, updated_at: new Date() }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
      await recordAudit(trx, principal, { tenantId, action: 'update', resourceType: 'phone_number', resourceId: before.id, before, after });
      return after;
    });
    return { data: numberJson(row) };
  };

  const remove = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
    await store.withTenant(tenantId, (trx) => deleteAudited(trx, principal, { tenantId, table: 'phone_numbers', id: req.params.id, resourceType: 'phone_number', what: 'phone number' }));
    return reply.code(204).send();
  };

  for (const form of PATH_FORMS) {
    const collection = `${form.prefix}/phone-numbers`;
    const item = `${collection}/:id`;
    const p = form.collection ? { params: form.collection } : {};
    app.post(collection, {
      schema: { tags, security: bearer, summary: 'Create a phone number', ...p, body: CreateNumber, response: { 201: Data(Type.Ref(PhoneNumberSchema)), ...errorResponses } },
    }, create);
    app.get(collection, {
      schema: { tags, security: bearer, summary: 'List phone numbers', ...p, response: { 200: Data(Type.Array(Type.Ref(PhoneNumberSchema))), ...errorResponses } },
    }, list);
    app.get(item, { schema: { tags, security: bearer, summary: 'Get a phone number', params: form.item, response: one } }, get);
    app.route({
      method: ['PUT', 'PATCH'],
      url: item,
      schema: { tags, security: bearer, summary: 'Update a phone number (the fields sent)', params: form.item, body: UpdateNumber, response: one },
      handler: update,
    });
    app.delete(item, {
      schema: { tags, security: bearer, summary: 'Delete a phone number; calls to it are refused from then on', params: form.item, response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses } },
    }, remove);
  }
};
