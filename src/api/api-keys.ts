/**
 * API keys (admin): `POST /api/v1/api-keys` creates one and shows the key once,
 * `GET /api/v1/api-keys` lists them (never a key or its hash), `DELETE /api/v1/api-keys/{id}`
 * revokes one at once. A key without `customerId` is platform-wide and must have `admin`;
 * a key with one acts on that customer only.
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../domain/api-key-store.js';
import { SCOPES, type Scope } from '../domain/api-keys.js';
import { requireAdmin } from './auth.js';
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

const keyJson = (k: ApiKeyRow): Static<typeof ApiKey> => ({
  id: k.id,
  customerId: k.tenant_id,
  name: k.name,
  prefix: k.key_prefix,
  scopes: k.scopes as Scope[],
  createdAt: k.created_at.toISOString(),
  lastUsedAt: k.last_used_at?.toISOString() ?? null,
  revokedAt: k.revoked_at?.toISOString() ?? null,
});

export const apiKeyRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store }) => {
  app.addSchema(ApiKey);
  const tags = ['api keys'];

  app.post('/api-keys', {
    schema: {
      tags, security: bearer, summary: 'Create an API key (admin); the key is in the answer and nowhere else',
      body: CreateApiKey,
      response: { 201: Data(Type.Intersect([Type.Ref(ApiKey), Type.Object({ key: Type.String() })])), ...errorResponses },
    },
  }, async (req, reply) => {
    const { row, key } = await createApiKey(store, requireAdmin(req), req.body);
    return reply.code(201).send({ data: { ...keyJson(row), key } });
  });

  app.get('/api-keys', {
    schema: {
      tags, security: bearer, summary: 'List API keys (admin)',
      querystring: Type.Object({ customerId: Type.Optional(Type.String({ format: 'uuid' })) }),
      response: { 200: Data(Type.Array(Type.Ref(ApiKey))), ...errorResponses },
    },
  }, async (req) => {
    requireAdmin(req);
    const rows = await listApiKeys(store, req.query.customerId);
    return { data: rows.map(keyJson) };
  });

  app.delete('/api-keys/:id', {
    schema: { tags, security: bearer, summary: 'Revoke an API key (admin); it stops working at once', params: IdParams, response: { 200: Data(Type.Ref(ApiKey)), ...errorResponses } },
  }, async (req) => {
    const row = await revokeApiKey(store, requireAdmin(req), req.params.id);
    return { data: keyJson(row) };
  });
};
