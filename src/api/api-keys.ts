/**
 * API keys (admin): `POST /api/v1/api-keys` creates one and shows the key once,
 * `GET /api/v1/api-keys` lists them (never a key or its hash), `DELETE /api/v1/api-keys/{id}`
 * revokes one at once. A key without `customerId` is platform-wide and must have `admin`;
 * a key with one acts on that customer only.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { insertApiKey, KEY_COLUMNS, SCOPES, type Scope } from '../domain/api-keys.js';
import { recordAudit } from '../domain/audit.js';
import { requireAdmin } from './auth.js';
import { invalid, notFound } from './errors.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, errorResponses, IdParams } from './schemas.js';

const ScopeSchema = Type.Union(SCOPES.map((s) => Type.Literal(s)));

const ApiKey = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    customerId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    name: Type.String(),
    prefix: Type.String({ description: 'the first characters of the key, to recognise it' }),
    scopes: Type.Array(ScopeSchema),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'ApiKey', title: 'ApiKey' },
);

const CreateApiKey = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    customerId: Type.Optional(Type.String({ format: 'uuid' })),
    scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true, description: 'admin | tenant | tenant:read | extensions:credentials' }),
  },
  { additionalProperties: false },
);

type KeyRow = { id: string; tenant_id: string | null; name: string; key_prefix: string; scopes: string[]; created_at: Date; last_used_at: Date | null; revoked_at: Date | null };

const keyJson = (k: KeyRow): Static<typeof ApiKey> => ({
  id: k.id,
  customerId: k.tenant_id,
  name: k.name,
  prefix: k.key_prefix,
  scopes: k.scopes as Scope[],
  createdAt: k.created_at.toISOString(),
  lastUsedAt: k.last_used_at?.toISOString() ?? null,
  revokedAt: k.revoked_at?.toISOString() ?? null,
});

export const apiKeyRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store }) => {
  app.addSchema(ApiKey);
  const tags = ['api keys'];

  app.post<{ Body: Static<typeof CreateApiKey> }>('/api-keys', {
    schema: {
      tags, security: bearer, summary: 'Create an API key (admin); the key is in the answer and nowhere else',
      body: CreateApiKey,
      response: { 201: Data(Type.Intersect([Type.Ref(ApiKey), Type.Object({ key: Type.String() })])), ...errorResponses },
    },
  }, async (req, reply) => {
    const actor = requireAdmin(req);
    const { name, scopes, customerId } = req.body;
    if (customerId === undefined && !scopes.includes('admin')) throw invalid('customerId', 'a key without customerId is platform-wide and needs the admin scope');
    if (customerId !== undefined && scopes.includes('admin')) throw invalid('scopes', 'a customer key cannot have the admin scope');
    if (customerId !== undefined && !scopes.some((s) => s === 'tenant' || s === 'tenant:read')) throw invalid('scopes', 'a customer key needs tenant or tenant:read');
    const { row, key } = await store.withOperator(async (trx) => {
      if (customerId && !(await trx.selectFrom('tenants').select('id').where('id', '=', customerId).executeTakeFirst())) throw notFound('customer');
      const created = await insertApiKey(trx, { tenantId: customerId ?? null, name, scopes });
      await recordAudit(trx, actor, { tenantId: customerId ?? null, action: 'create', resourceType: 'api_key', resourceId: created.row.id, after: created.row });
      return created;
    });
    return reply.code(201).send({ data: { ...keyJson(row), key } });
  });

  app.get<{ Querystring: { customerId?: string } }>('/api-keys', {
    schema: {
      tags, security: bearer, summary: 'List API keys (admin)',
      querystring: Type.Object({ customerId: Type.Optional(Type.String({ format: 'uuid' })) }),
      response: { 200: Data(Type.Array(Type.Ref(ApiKey))), ...errorResponses },
    },
  }, async (req) => {
    requireAdmin(req);
    const rows = await store.withOperator((trx) => {
      let q = trx.selectFrom('api_keys').select(KEY_COLUMNS).orderBy('created_at');
      if (req.query.customerId) q = q.where('tenant_id', '=', req.query.customerId);
      return q.execute();
    });
    return { data: rows.map(keyJson) };
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api-keys/:id', {
    schema: { tags, security: bearer, summary: 'Revoke an API key (admin); it stops working at once', params: IdParams, response: { 200: Data(Type.Ref(ApiKey)), ...errorResponses } },
  }, async (req) => {
    const actor = requireAdmin(req);
    const row = await store.withOperator(async (trx) => {
      const before = await trx.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', req.params.id).executeTakeFirst();
      if (!before) throw notFound('API key');
      const after = await trx.updateTable('api_keys').set({ revoked_at: before.revoked_at ?? new Date() }).where('id', '=', req.params.id).returning(KEY_COLUMNS).executeTakeFirstOrThrow();
      await recordAudit(trx, actor, { tenantId: after.tenant_id, action: 'revoke', resourceType: 'api_key', resourceId: after.id, before, after });
      return after;
    });
    return { data: keyJson(row) };
  });
};
