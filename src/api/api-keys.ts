/**
 * API keys: `POST /api/v1/api-keys` creates one and shows the key once,
 * `GET /api/v1/api-keys` lists them (never a key or its hash), `DELETE /api/v1/api-keys/{id}`
 * revokes one at once. A key without `customerId` is platform-wide and must have `admin`;
 * a key with one acts on that customer only. Admin keys and operators manage every key; a
 * customer's admin (logged in) manages its own customer's keys only, whatever `customerId` says
 * (another customer's answers 404); everyone else gets 403.
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../domain/api-key-store.js';
import { SCOPES, type Principal, type Scope } from '../domain/api-keys.js';
import { principalOf } from './auth.js';
import { apiError, notFound } from './errors.js';
import type { FastifyRequest } from 'fastify';
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

/**
 * Who manages keys on this request, and the customer it is held to (undefined: every customer).
 * @throws ApiError 403 unless an admin key, an operator or a customer admin; 404 `customer` for a
 *   customer admin naming another customer
 */
function keyManager(req: FastifyRequest, named?: string): { principal: Principal; customerId: string | undefined } {
  const principal = principalOf(req);
  if (principal.scopes.has('admin')) return { principal, customerId: named };
  if (principal.user?.role === 'admin' && principal.tenantId) {
    if (named !== undefined && named.toLowerCase() !== principal.tenantId) throw notFound('customer');
    return { principal, customerId: principal.tenantId };
  }
  throw apiError('forbidden', 'managing API keys needs an admin key or a customer admin login');
}

export const apiKeyRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store }) => {
  app.addSchema(ApiKey);
  const tags = ['api keys'];

  app.post('/api-keys', {
    schema: {
      tags, security: bearer, summary: 'Create an API key (admin key, operator, or a customer admin for its own customer); the key is in the answer and nowhere else',
      body: CreateApiKey,
      response: { 201: Data(Type.Intersect([Type.Ref(ApiKey), Type.Object({ key: Type.String() })])), ...errorResponses },
    },
  }, async (req, reply) => {
    const { principal, customerId } = keyManager(req, req.body.customerId);
    const { row, key } = await createApiKey(store, principal, { ...req.body, customerId });
    return reply.code(201).send({ data: { ...keyJson(row), key } });
  });

  app.get('/api-keys', {
    schema: {
      tags, security: bearer, summary: 'List API keys (admin key and operator: all or one customer\'s; a customer admin: its own customer\'s)',
      querystring: Type.Object({ customerId: Type.Optional(Type.String({ format: 'uuid' })) }),
      response: { 200: Data(Type.Array(Type.Ref(ApiKey))), ...errorResponses },
    },
  }, async (req) => {
    const { customerId } = keyManager(req, req.query.customerId);
    const rows = await listApiKeys(store, customerId);
    return { data: rows.map(keyJson) };
  });

  app.delete('/api-keys/:id', {
    schema: { tags, security: bearer, summary: 'Revoke an API key (a customer admin: only its own customer\'s); it stops working at once', params: IdParams, response: { 200: Data(Type.Ref(ApiKey)), ...errorResponses } },
  }, async (req) => {
    const manager = keyManager(req);
    const row = await revokeApiKey(store, manager.principal, req.params.id, manager.customerId);
    return { data: keyJson(row) };
  });
};
