/**
 * A customer's event webhooks as the API changes them (sql/017_event_webhooks.sql): a URL, the
 * event types it takes (src/domain/event-webhooks.ts), a description and whether it is enabled,
 * and the signing secret, made here (`whsec_` and 32 random bytes, base64url), sealed at rest
 * (src/domain/secrets.ts) and answered once, by `createWebhook`. Every function runs in
 * `store.withTenant`, so another tenant's webhook is a NotFoundError; writes record audit rows
 * (`resource_type` `webhook`, the secret masked) in the same transaction.
 *
 * A tenant key's URL is held to the destination policy on saving (src/domain/destination-policy.ts,
 * `checkDestination`); the delivery worker holds every delivery to it again when connecting.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { WebhookDeliveriesTable, WebhookSubscriptionsTable } from '../db/schema-webhooks.js';
import type { Store } from '../db/store.js';
import type { Principal } from './api-keys.js';
import { recordAudit } from './audit.js';
import { checkDestination, policyFor, type DestinationPolicy } from './destination-policy.js';
import { FieldError, NotFoundError } from './errors.js';
import type { WebhookEventType } from './event-webhooks.js';
import type { SecretBox } from './secrets.js';

export type WebhookSubscription = Selectable<WebhookSubscriptionsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;

/** Who writes, for which tenant. */
export interface WebhookWriter {
  store: Store;
  principal: Principal;
  tenantId: string;
  secrets: SecretBox;
  destinations: DestinationPolicy;
  clock: () => Date;
}

export interface WebhookInput {
  url: string;
  events: WebhookEventType[];
  description?: string | null;
  enabled?: boolean;
}

/** The URL, parsed and held to the policy. @throws FieldError `url` (`validation_failed`, `destination_not_allowed`) */
async function checkedUrl(url: string, destinations: DestinationPolicy | null): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FieldError('url', 'url must be an absolute http:// or https:// URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new FieldError('url', 'url must be an absolute http:// or https:// URL');
  if (parsed.username || parsed.password) throw new FieldError('url', 'url must not hold a user name or password');
  await checkDestination('url', parsed.hostname, destinations);
  return url;
}

/** Each event type once, in the order given. */
const distinct = (events: readonly string[]) => [...new Set(events)];

/** @throws NotFoundError `webhook` */
async function webhookOf(trx: Kysely<Database>, id: string, lock = false): Promise<WebhookSubscription> {
  const q = trx.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id);
  const row = await (lock ? q.forUpdate() : q).executeTakeFirst();
  if (!row) throw new NotFoundError('webhook');
  return row;
}

/**
 * Subscribes `input.url` to `input.events`.
 * @returns the subscription and its signing secret (the only time it is answered)
 * @throws FieldError `url`
 */
export async function createWebhook(w: WebhookWriter, input: WebhookInput): Promise<{ webhook: WebhookSubscription; secret: string }> {
  const url = await checkedUrl(input.url, policyFor(w.principal, w.destinations));
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  const webhook = await w.store.withTenant(w.tenantId, async (trx) => {
    const created = await trx
      .insertInto('webhook_subscriptions')
      .values({ tenant_id: w.tenantId, url, events: distinct(input.events), description: input.description ?? null, enabled: input.enabled ?? true, secret_sealed: w.secrets.seal(secret) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, w.principal, { tenantId: w.tenantId, action: 'create', resourceType: 'webhook', resourceId: created.id, after: created });
    return created;
  });
  return { webhook, secret };
}

/** The tenant's webhooks, oldest first. */
export function listWebhooks(store: Store, tenantId: string): Promise<WebhookSubscription[]> {
  return store.withTenant(tenantId, (trx) => trx.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at').orderBy('id').execute());
}

/** @throws NotFoundError `webhook` */
export function getWebhook(store: Store, tenantId: string, id: string): Promise<WebhookSubscription> {
  return store.withTenant(tenantId, (trx) => webhookOf(trx, id));
}

/** The fields given change. @throws NotFoundError `webhook`; FieldError `url` */
export async function updateWebhook(w: WebhookWriter, id: string, input: Partial<WebhookInput>): Promise<WebhookSubscription> {
  const url = input.url === undefined ? undefined : await checkedUrl(input.url, policyFor(w.principal, w.destinations));
  return w.store.withTenant(w.tenantId, async (trx) => {
    const before = await webhookOf(trx, id, true);
    const after = await trx
      .updateTable('webhook_subscriptions')
      .set({
        ...(url !== undefined && { url }),
        ...(input.events !== undefined && { events: distinct(input.events) }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        updated_at: w.clock(),
      })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, w.principal, { tenantId: w.tenantId, action: 'update', resourceType: 'webhook', resourceId: id, before, after });
    return after;
  });
}

/** Deletes a webhook and its delivery log. @throws NotFoundError `webhook` */
export async function deleteWebhook(w: Omit<WebhookWriter, 'secrets' | 'destinations' | 'clock'>, id: string): Promise<void> {
  await w.store.withTenant(w.tenantId, async (trx) => {
    const before = await trx.deleteFrom('webhook_subscriptions').where('id', '=', id).returningAll().executeTakeFirst();
    if (!before) throw new NotFoundError('webhook');
    await recordAudit(trx, w.principal, { tenantId: w.tenantId, action: 'delete', resourceType: 'webhook', resourceId: id, before });
  });
}

/**
 * The webhook's delivery log, newest first: at most `limit`, of one `status` when given.
 * @throws NotFoundError `webhook`
 */
export function listDeliveries(store: Store, tenantId: string, webhookId: string, opts: { limit: number; status?: WebhookDelivery['status'] }): Promise<WebhookDelivery[]> {
  return store.withTenant(tenantId, async (trx) => {
    const webhook = await webhookOf(trx, webhookId);
    let q = trx.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhook.id);
    if (opts.status) q = q.where('status', '=', opts.status);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  });
}

/**
 * Queues the event of delivery `deliveryId` again for its webhook, as a new pending delivery (the
 * same event id and body, `replay_of` naming the one replayed), whatever became of the first.
 * @throws NotFoundError `webhook` or `delivery`
 */
export function replayDelivery(w: Omit<WebhookWriter, 'secrets' | 'destinations'>, webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
  return w.store.withTenant(w.tenantId, async (trx) => {
    const webhook = await webhookOf(trx, webhookId);
    const original = await trx.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).where('webhook_id', '=', webhook.id).executeTakeFirst();
    if (!original) throw new NotFoundError('delivery');
    const replay = await trx
      .insertInto('webhook_deliveries')
      .values({
        tenant_id: w.tenantId, webhook_id: webhook.id, event_id: original.event_id, event_type: original.event_type, event_created_at: original.event_created_at,
        data: JSON.stringify(original.data), next_attempt_at: sql<Date>`now()`, replay_of: original.id,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, w.principal, { tenantId: w.tenantId, action: 'create', resourceType: 'webhook_delivery', resourceId: replay.id, after: { id: replay.id, webhook_id: webhook.id, event_id: replay.event_id, replay_of: original.id } });
    return replay;
  });
}
