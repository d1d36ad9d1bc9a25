/**
 * Event webhooks, as the W3 Suite guide syncs with signed requests: a customer subscribes URLs to
 * events and Switchplane POSTs each event, signed, retried and logged (src/http/webhook-worker.ts).
 * - `POST /api/v1/webhooks` `{ url, events: [type], description?, enabled? }`: 201
 *   `{ data: Webhook & { secret } }`; the signing secret (`whsec_...`) is answered this once only;
 * - `GET /api/v1/webhooks`: `{ data: [Webhook] }`, oldest first;
 * - `GET|PATCH|DELETE /api/v1/webhooks/{id}` (PATCH: the fields given change; DELETE 204 removes
 *   its delivery log too);
 * - `GET /api/v1/webhooks/{id}/deliveries?status=&limit=`: the delivery log, newest first;
 * - `POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/replay`: 202 `{ data: Delivery }`, a new
 *   delivery of the same event (same event id), queued at once;
 * and the same under `/api/v1/customers/{customerId}/...` for admin keys (or X-Tenant-ID).
 *
 * Event types: call.started, call.answered, call.ended (with the CDR), registration.changed,
 * gateway.changed, ai_session.completed, recurring_call.executed, recording.saved,
 * recording.failed. A tenant key's `url` is held to the destination policy (400
 * `destination_not_allowed` naming `url`), and every delivery is held to it again when sent.
 * Another customer's webhook answers 404. Writes record audit rows (`resource_type` `webhook`).
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { DestinationPolicy } from '../domain/destination-policy.js';
import { WEBHOOK_EVENT_TYPES } from '../domain/event-webhooks.js';
import {
  createWebhook, deleteWebhook, getWebhook, listDeliveries, listWebhooks, replayDelivery, updateWebhook, type WebhookDelivery, type WebhookSubscription,
} from '../domain/webhook-subscriptions.js';
import { tenantOfPath } from './auth.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, errorResponses, Nullable, PATH_FORMS, StringEnum, Uuid } from './schemas.js';
import { rejectUnknownFields } from './unknown-fields.js';

const DateTime = Type.String({ format: 'date-time' });
const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed'] as const;

const WebhookSchema = Type.Object(
  {
    id: Uuid,
    url: Type.String(),
    events: Type.Array(StringEnum(WEBHOOK_EVENT_TYPES)),
    description: Nullable(Type.String()),
    enabled: Type.Boolean(),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'Webhook', title: 'Webhook' },
);
const CreatedWebhook = Type.Intersect([Type.Ref(WebhookSchema), Type.Object({ secret: Type.String({ description: 'HMAC-SHA256 key of X-Switchplane-Signature; answered only here' }) })]);

const DeliverySchema = Type.Object(
  {
    id: Uuid,
    webhookId: Uuid,
    eventId: Type.String({ format: 'uuid', description: 'X-Switchplane-Event-Id: the same in every attempt and replay' }),
    eventType: StringEnum(WEBHOOK_EVENT_TYPES),
    status: StringEnum(DELIVERY_STATUSES, { description: 'pending: waiting for its next attempt; delivering: being sent; delivered: a 2xx answer; failed: attempts exhausted or destination refused' }),
    attempts: Type.Integer(),
    responseStatus: Nullable(Type.Integer({ description: 'the HTTP status of the last answer' })),
    lastError: Nullable(Type.String()),
    nextAttemptAt: Nullable(DateTime),
    lastAttemptAt: Nullable(DateTime),
    deliveredAt: Nullable(DateTime),
    replayOf: Nullable(Uuid),
    createdAt: DateTime,
    payload: Type.Object({}, { additionalProperties: true, description: 'the body POSTed: { id, type, createdAt, tenantId, data }' }),
  },
  { $id: 'WebhookDelivery', title: 'WebhookDelivery' },
);

const fields = {
  url: Type.String({ minLength: 8, maxLength: 2048, pattern: '^https?://', description: 'absolute http:// or https:// URL the events are POSTed to' }),
  events: Type.Array(StringEnum(WEBHOOK_EVENT_TYPES), { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length * 2 }),
  description: Nullable(Type.String({ maxLength: 500 })),
  enabled: Type.Boolean(),
};
const Create = Type.Object(
  { url: fields.url, events: fields.events, description: Type.Optional(fields.description), enabled: Type.Optional(fields.enabled) },
  { additionalProperties: false },
);
const Update = Type.Partial(Type.Object(fields), { additionalProperties: false, minProperties: 1 });
const DeliveriesQuery = Type.Object({
  status: Type.Optional(StringEnum(DELIVERY_STATUSES)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
const ALIASES: Record<string, string> = { endpoint: 'url', eventTypes: 'events', enabledEvents: 'events', active: 'enabled' };
const noUnknownCreateFields = rejectUnknownFields(Create, ALIASES);
const noUnknownUpdateFields = rejectUnknownFields(Update, ALIASES);

function webhookJson(w: WebhookSubscription): Static<typeof WebhookSchema> {
  return {
    id: w.id, url: w.url, events: w.events as Static<typeof WebhookSchema>['events'], description: w.description, enabled: w.enabled,
    createdAt: w.created_at.toISOString(), updatedAt: w.updated_at.toISOString(),
  };
}

function deliveryJson(d: WebhookDelivery): Static<typeof DeliverySchema> {
  const iso = (x: Date | null) => x?.toISOString() ?? null;
  return {
    id: d.id, webhookId: d.webhook_id, eventId: d.event_id, eventType: d.event_type as Static<typeof DeliverySchema>['eventType'], status: d.status,
    attempts: d.attempts, responseStatus: d.response_status, lastError: d.last_error, nextAttemptAt: iso(d.next_attempt_at), lastAttemptAt: iso(d.last_attempt_at),
    deliveredAt: iso(d.delivered_at), replayOf: d.replay_of, createdAt: d.created_at.toISOString(),
    payload: { id: d.event_id, type: d.event_type, createdAt: d.event_created_at.toISOString(), tenantId: d.tenant_id, data: d.data },
  };
}

export const webhookRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, secrets, config, clock }) => {
  app.addSchema(WebhookSchema);
  app.addSchema(DeliverySchema);
  const destinations = new DestinationPolicy(config.destinationAllow);
  const tags = ['webhooks'];
  const one = { 200: Data(Type.Ref(WebhookSchema)), ...errorResponses };

  for (const form of PATH_FORMS) {
    const collection = `${form.prefix}/webhooks`;
    const item = `${collection}/:id`;
    const params = form.item;
    const replayParams = Type.Composite([form.item, Type.Object({ deliveryId: Uuid })]);
    const writer = (req: Parameters<typeof tenantOfPath>[0]) => ({ ...tenantOfPath(req, 'write'), store, secrets, destinations, clock });

    app.post(collection, {
      preValidation: noUnknownCreateFields,
      schema: { tags, security: bearer, summary: 'Subscribe a URL to events; answers its signing secret once', ...(form.collection && { params: form.collection }), body: Create, response: { 201: Data(CreatedWebhook), ...errorResponses } },
    }, async (req, reply) => {
      const { webhook, secret } = await createWebhook(writer(req), req.body);
      return reply.code(201).send({ data: { ...webhookJson(webhook), secret } });
    });
    app.get(collection, {
      schema: { tags, security: bearer, summary: 'List webhooks', ...(form.collection && { params: form.collection }), response: { 200: Data(Type.Array(Type.Ref(WebhookSchema))), ...errorResponses } },
    }, async (req) => ({ data: (await listWebhooks(store, tenantOfPath(req, 'read').tenantId)).map(webhookJson) }));
    app.get(item, {
      schema: { tags, security: bearer, summary: 'Get a webhook', params, response: one },
    }, async (req) => ({ data: webhookJson(await getWebhook(store, tenantOfPath(req, 'read').tenantId, req.params.id)) }));
    app.patch(item, {
      preValidation: noUnknownUpdateFields,
      schema: { tags, security: bearer, summary: 'Update a webhook: the fields given change', params, body: Update, response: one },
    }, async (req) => ({ data: webhookJson(await updateWebhook(writer(req), req.params.id, req.body)) }));
    app.delete(item, {
      schema: { tags, security: bearer, summary: 'Delete a webhook and its delivery log', params, response: { 204: Type.Null(), ...errorResponses } },
    }, async (req, reply) => {
      await deleteWebhook(writer(req), req.params.id);
      return reply.code(204).send(null);
    });
    app.get(`${item}/deliveries`, {
      schema: { tags, security: bearer, summary: 'The delivery log of a webhook, newest first', params, querystring: DeliveriesQuery, response: { 200: Data(Type.Array(Type.Ref(DeliverySchema))), ...errorResponses } },
    }, async (req) => ({
      data: (await listDeliveries(store, tenantOfPath(req, 'read').tenantId, req.params.id, { limit: req.query.limit ?? 50, status: req.query.status })).map(deliveryJson),
    }));
    app.post(`${item}/deliveries/:deliveryId/replay`, {
      schema: { tags, security: bearer, summary: 'Send a delivery\'s event again, as a new delivery', params: replayParams, response: { 202: Data(Type.Ref(DeliverySchema)), ...errorResponses } },
    }, async (req, reply) => {
      const params = req.params as { id: string; deliveryId: string };
      return reply.code(202).send({ data: deliveryJson(await replayDelivery(writer(req), params.id, params.deliveryId)) });
    });
  }
};
