/**
 * SIP trunks of a customer: `POST/GET /api/v1/trunks`, `GET/PUT/PATCH/DELETE /api/v1/trunks/{id}`,
 * and the same under `/api/v1/customers/{customerId}/trunks` for admin keys. Every active trunk
 * of an active customer is a gateway of the `external` sofia profile, named by its id
 * (src/xmlcurl/sofia.ts); FreeSWITCH reads it at the next sofia.conf fetch. The password is
 * write-only: it is stored sealed and answers only say `passwordSet`.
 * Another customer's trunk answers 404, as if it did not exist (row-level security hides it).
 * A tenant key's host, realm and fromDomain are held to the destination policy
 * (src/domain/destination-policy.ts): a refused one is a 400 `destination_not_allowed` naming it.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../domain/audit.js';
import { requireCustomer } from '../domain/customer-exists.js';
import { DestinationPolicy, policyFor } from '../domain/destination-policy.js';
import { TRANSPORTS, TRUNK_STATUSES, trunkChanges, trunkColumns, trunkJson } from '../domain/trunk-records.js';
import { actingTenant } from './auth.js';
import type { ApiDeps } from './deps.js';
import { notFound } from './errors.js';
import { bearer, Data, errorResponses, Nullable, PATH_FORMS, StringEnum, type ItemParams } from './schemas.js';
import { deleteAudited } from './tenant-records.js';

const TrunkSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    customerId: Type.String({ format: 'uuid' }),
    name: Type.String(),
    provider: Nullable(Type.String()),
    host: Type.String({ description: 'hostname or IP address; IPv6 as [addr]' }),
    port: Type.Integer(),
    transport: StringEnum(TRANSPORTS),
    username: Nullable(Type.String()),
    passwordSet: Type.Boolean({ description: 'whether a password is stored; the password itself is never answered' }),
    realm: Nullable(Type.String()),
    fromUser: Nullable(Type.String()),
    fromDomain: Nullable(Type.String()),
    register: Type.Boolean(),
    expireSeconds: Type.Integer(),
    retrySeconds: Type.Integer(),
    pingSeconds: Nullable(Type.Integer()),
    callerIdInFrom: Type.Boolean(),
    priority: Type.Integer(),
    maxChannels: Type.Integer(),
    status: StringEnum(TRUNK_STATUSES),
    gatewayName: Type.String({ description: 'the sofia gateway name: sofia/gateway/<gatewayName>/<number>' }),
    stats: Type.Object({
      totalCalls: Type.Integer(),
      successfulCalls: Type.Integer(),
      failedCalls: Type.Integer(),
      currentChannels: Type.Integer(),
      registrationState: Type.String({ description: 'sofia gateway state, e.g. REGED, NOREG, FAIL_WAIT; unknown until reported' }),
      pingStatus: Nullable(Type.String()),
      lastError: Nullable(Type.String()),
      lastRegisteredAt: Nullable(Type.String({ format: 'date-time' })),
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Trunk', title: 'Trunk' },
);

const Writable = {
  name: Type.String({ minLength: 1, maxLength: 100, description: 'unique within the customer' }),
  provider: Nullable(Type.String({ maxLength: 100 })),
  host: Type.String({ minLength: 1, maxLength: 255, description: 'the carrier SIP server: hostname (RFC 1123) or IP address' }),
  port: Type.Integer({ minimum: 1, maximum: 65535, description: 'default 5060' }),
  transport: StringEnum(TRANSPORTS, { description: 'default udp' }),
  username: Nullable(Type.String({ minLength: 1, maxLength: 128, description: 'SIP auth username; required with register' })),
  password: Nullable(Type.String({ minLength: 1, maxLength: 128, writeOnly: true, description: 'SIP auth password, write-only; no $, { or }; null removes it' })),
  realm: Nullable(Type.String({ minLength: 1, maxLength: 260, description: 'host[:port]; default: host' })),
  fromUser: Nullable(Type.String({ minLength: 1, maxLength: 128 })),
  fromDomain: Nullable(Type.String({ minLength: 1, maxLength: 260, description: 'host[:port]' })),
  register: Type.Boolean({ description: 'register to the carrier (default false)' }),
  expireSeconds: Type.Integer({ minimum: 5, maximum: 31_536_000, description: 'registration expiry, seconds (default 3600)' }),
  retrySeconds: Type.Integer({ minimum: 5, maximum: 86_400, description: 'wait after a failed registration, seconds (default 30)' }),
  pingSeconds: Nullable(Type.Integer({ minimum: 5, maximum: 86_400, description: 'OPTIONS keep-alive interval, seconds; null for none' })),
  callerIdInFrom: Type.Boolean({ description: "the caller's number as From user (default false)" }),
  priority: Type.Integer({ minimum: 1, maximum: 100, description: 'outbound order, 1 first (default 1)' }),
  maxChannels: Type.Integer({ minimum: 1, maximum: 100_000, description: 'concurrent calls (default 10)' }),
  status: StringEnum(TRUNK_STATUSES, { description: 'only active trunks are gateways (default active)' }),
};
const CreateTrunk = Type.Object(
  { ...Type.Partial(Type.Object(Writable)).properties, name: Writable.name, host: Writable.host },
  { additionalProperties: false },
);
type CreateBody = Static<typeof CreateTrunk>;
const UpdateTrunk = Type.Partial(Type.Object(Writable), { additionalProperties: false, minProperties: 1 });
type UpdateBody = Static<typeof UpdateTrunk>;

type Params = ItemParams;


export const trunkRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, secrets, config }) => {
  const destinations = new DestinationPolicy(config.destinationAllow);
  app.addSchema(TrunkSchema);
  const tags = ['trunks'];
  const one = { 200: Data(Type.Ref(TrunkSchema)), ...errorResponses };

  const create = async (req: FastifyRequest<{ Params: { customerId?: string }; Body: CreateBody }>, reply: FastifyReply) => {
    const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
    const columns = await trunkColumns(req.body, secrets, policyFor(principal, destinations));
    const row = await store.withTenant(tenantId, async (trx) => {
      await requireCustomer(trx, tenantId);
      const created = await trx.insertInto('trunks').values({ ...columns, tenant_id: tenantId }).returningAll().executeTakeFirstOrThrow();
      await recordAudit(trx, principal, { tenantId, action: 'create', resourceType: 'trunk', resourceId: created.id, after: created });
      return created;
    });
    return reply.code(201).send({ data: trunkJson(row) });
  };

  const list = async (req: FastifyRequest<{ Params: { customerId?: string } }>) => {
    const { tenantId } = actingTenant(req, 'read', req.params.customerId);
    const rows = await store.withTenant(tenantId, async (trx) => {
      await requireCustomer(trx, tenantId);
      return trx.selectFrom('trunks').selectAll().where('tenant_id', '=', tenantId).orderBy('priority').orderBy('name').execute();
    });
    return { data: rows.map(trunkJson) };
  };

  const get = async (req: FastifyRequest<{ Params: Params }>) => {
    const { tenantId } = actingTenant(req, 'read', req.params.customerId);
    const row = await store.withTenant(tenantId, (trx) => trx.selectFrom('trunks').selectAll().where('id', '=', req.params.id).where('tenant_id', '=', tenantId).executeTakeFirst());
    if (!row) throw notFound('trunk');
    return { data: trunkJson(row) };
  };

  const update = async (req: FastifyRequest<{ Params: Params; Body: UpdateBody }>) => {
    const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
    const row = await store.withTenant(tenantId, async (trx) => {
      const before = await trx.selectFrom('trunks').selectAll().where('id', '=', req.params.id).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
      if (!before) throw notFound('trunk');
      const changes = await trunkChanges(req.body, secrets, before, policyFor(principal, destinations));
      const after = await trx.updateTable('trunks').set({ ...changes, updated_at: new Date() }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
      await recordAudit(trx, principal, { tenantId, action: 'update', resourceType: 'trunk', resourceId: before.id, before, after });
      return after;
    });
    return { data: trunkJson(row) };
  };

  const remove = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
    await store.withTenant(tenantId, (trx) => deleteAudited(trx, principal, { tenantId, table: 'trunks', id: req.params.id, resourceType: 'trunk', what: 'trunk' }));
    return reply.code(204).send();
  };

  for (const form of PATH_FORMS) {
    const collection = `${form.prefix}/trunks`;
    const item = `${collection}/:id`;
    const p = form.collection ? { params: form.collection } : {};
    app.post(collection, {
      schema: { tags, security: bearer, summary: 'Create a trunk', ...p, body: CreateTrunk, response: { 201: Data(Type.Ref(TrunkSchema)), ...errorResponses } },
    }, create);
    app.get(collection, {
      schema: { tags, security: bearer, summary: 'List trunks, in priority order', ...p, response: { 200: Data(Type.Array(Type.Ref(TrunkSchema))), ...errorResponses } },
    }, list);
    app.get(item, { schema: { tags, security: bearer, summary: 'Get a trunk', params: form.item, response: one } }, get);
    app.route({
      method: ['PUT', 'PATCH'],
      url: item,
      schema: { tags, security: bearer, summary: 'Update a trunk (the fields sent; password: null removes it)', params: form.item, body: UpdateTrunk, response: one },
      handler: update,
    });
    app.delete(item, {
      schema: { tags, security: bearer, summary: 'Delete a trunk; its numbers keep working without it', params: form.item, response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses } },
    }, remove);
  }
};
