/**
 * SIP trunks of a customer: `POST/GET /api/v1/trunks`, `GET/PUT/PATCH/DELETE /api/v1/trunks/{id}`,
 * and the same under `/api/v1/customers/{customerId}/trunks` for admin keys. Every active trunk
 * of an active customer is a gateway of the `external` sofia profile, named by its id
 * (src/xmlcurl/sofia.ts); FreeSWITCH reads it at the next sofia.conf fetch. The password is
 * write-only: it is stored sealed and answers only say `passwordSet`.
 * Another customer's trunk answers 404, as if it did not exist (row-level security hides it).
 * A tenant key's host, realm and fromDomain are held to the destination policy
 * (src/domain/destination-policy.ts): a refused one is a 400 `destination_not_allowed` naming it.
 * Records, checks and audit: src/domain/trunks.ts; schemas: src/api/trunk-schemas.ts.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DestinationPolicy } from '../domain/destination-policy.js';
import { createTrunk, deleteTrunk, getTrunk, listTrunks, updateTrunk } from '../domain/trunks.js';
import { tenantOfPath } from './auth.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, errorResponses, PATH_FORMS } from './schemas.js';
import { CreateTrunk, TrunkSchema, trunkJson, UpdateTrunk } from './trunk-schemas.js';

export const trunkRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, secrets, config }) => {
  const writing = { secrets, destinations: new DestinationPolicy(config.destinationAllow) };
  app.addSchema(TrunkSchema);
  const tags = ['trunks'];
  const one = { 200: Data(Type.Ref(TrunkSchema)), ...errorResponses };

  for (const form of PATH_FORMS) {
    const collection = `${form.prefix}/trunks`;
    const item = `${collection}/:id`;
    const p = form.collection ? { params: form.collection } : {};
    app.post(collection, {
      schema: { tags, security: bearer, summary: 'Create a trunk', ...p, body: CreateTrunk, response: { 201: Data(Type.Ref(TrunkSchema)), ...errorResponses } },
    }, async (req, reply) => {
      const row = await createTrunk(store, writing, tenantOfPath(req, 'write'), req.body);
      return reply.code(201).send({ data: trunkJson(row) });
    });
    app.get(collection, {
      schema: { tags, security: bearer, summary: 'List trunks, in priority order', ...p, response: { 200: Data(Type.Array(Type.Ref(TrunkSchema))), ...errorResponses } },
    }, async (req) => ({ data: (await listTrunks(store, tenantOfPath(req, 'read').tenantId)).map(trunkJson) }));
    app.get(item, {
      schema: { tags, security: bearer, summary: 'Get a trunk', params: form.item, response: one },
    }, async (req) => ({ data: trunkJson(await getTrunk(store, tenantOfPath(req, 'read').tenantId, req.params.id)) }));
    app.route({
      method: ['PUT', 'PATCH'],
      url: item,
      schema: { tags, security: bearer, summary: 'Update a trunk (the fields sent; password: null removes it)', params: form.item, body: UpdateTrunk, response: one },
      handler: async (req) => ({ data: trunkJson(await updateTrunk(store, writing, tenantOfPath(req, 'write'), req.params.id, req.body)) }),
    });
    app.delete(item, {
      schema: { tags, security: bearer, summary: 'Delete a trunk; its numbers keep working without it', params: form.item, response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses } },
    }, async (req, reply) => {
      await deleteTrunk(store, tenantOfPath(req, 'write'), req.params.id);
      return reply.code(204).send(null);
    });
  }
};
