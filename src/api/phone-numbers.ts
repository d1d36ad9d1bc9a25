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
 * Records, checks and audit: src/domain/phone-numbers.ts; schemas: src/api/phone-number-schemas.ts.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DestinationPolicy } from '../domain/destination-policy.js';
import { createNumber, deleteNumber, getNumber, listNumbers, updateNumber } from '../domain/phone-numbers.js';
import { tenantOfPath } from './auth.js';
import type { ApiDeps } from './deps.js';
import { CreateNumber, numberJson, PhoneNumberSchema, UpdateNumber } from './phone-number-schemas.js';
import { bearer, Data, errorResponses, PATH_FORMS } from './schemas.js';

export const phoneNumberRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, secrets, config }) => {
  const writing = { secrets, destinations: new DestinationPolicy(config.destinationAllow) };
  app.addSchema(PhoneNumberSchema);
  const tags = ['phone numbers'];
  const one = { 200: Data(Type.Ref(PhoneNumberSchema)), ...errorResponses };

  for (const form of PATH_FORMS) {
    const collection = `${form.prefix}/phone-numbers`;
    const item = `${collection}/:id`;
    const p = form.collection ? { params: form.collection } : {};
    app.post(collection, {
      schema: { tags, security: bearer, summary: 'Create a phone number', ...p, body: CreateNumber, response: { 201: Data(Type.Ref(PhoneNumberSchema)), ...errorResponses } },
    }, async (req, reply) => {
      const row = await createNumber(store, writing, tenantOfPath(req, 'write'), req.body);
      return reply.code(201).send({ data: numberJson(row) });
    });
    app.get(collection, {
      schema: { tags, security: bearer, summary: 'List phone numbers', ...p, response: { 200: Data(Type.Array(Type.Ref(PhoneNumberSchema))), ...errorResponses } },
    }, async (req) => ({ data: (await listNumbers(store, tenantOfPath(req, 'read').tenantId)).map(numberJson) }));
    app.get(item, {
      schema: { tags, security: bearer, summary: 'Get a phone number', params: form.item, response: one },
    }, async (req) => ({ data: numberJson(await getNumber(store, tenantOfPath(req, 'read').tenantId, req.params.id)) }));
    app.route({
      method: ['PUT', 'PATCH'],
      url: item,
      schema: { tags, security: bearer, summary: 'Update a phone number (the fields sent)', params: form.item, body: UpdateNumber, response: one },
      handler: async (req) => ({ data: numberJson(await updateNumber(store, writing, tenantOfPath(req, 'write'), req.params.id, req.body)) }),
    });
    app.delete(item, {
      schema: { tags, security: bearer, summary: 'Delete a phone number; calls to it are refused from then on', params: form.item, response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses } },
    }, async (req, reply) => {
      await deleteNumber(store, tenantOfPath(req, 'write'), req.params.id);
      return reply.code(204).send(null);
    });
  }
};
