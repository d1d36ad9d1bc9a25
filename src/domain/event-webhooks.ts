/**
 * Emitting events to a customer's webhooks (sql/017_event_webhooks.sql): `emitEvent` queues one
 * delivery per enabled subscription of the tenant that takes the event's type, in the caller's
 * transaction, so the event is queued exactly when what it reports commits. Nothing is sent
 * here: the delivery worker (src/http/webhook-worker.ts) POSTs queued deliveries in the
 * background, so an emitter never waits for a customer's endpoint.
 *
 * What a subscriber receives (the POST body, `data` as the emitter gave it):
 *
 *     {"id":"<event uuid>","type":"call.ended","createdAt":"2026-12-05T07:00:00.000Z","tenantId":"<uuid>","data":{...}}
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** The events a subscription may take. */
export const WEBHOOK_EVENT_TYPES = [
  'call.started',
  'call.answered',
  'call.ended',
  'registration.changed',
  'gateway.changed',
  'ai_session.completed',
  'recurring_call.executed',
  'recording.saved',
  'recording.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEvent {
  tenantId: string;
  type: WebhookEventType;
  /** The event's own fields; serialised as JSON (Dates become ISO strings). */
  data: Record<string, unknown>;
}

/**
 * Queues `event` for every enabled subscription of its tenant that takes its type, in `trx`
 * (a transaction of any role: `withTenant` of that tenant, `withIngest`, `withScheduler`,
 * `withOperator`), through `switchplane_emit_event` (sql/017). One event id is shared by its
 * deliveries.
 * @returns the number of deliveries queued (0 when no subscription takes the event)
 * @throws the database's error (in a tenant transaction, SQLSTATE 42501 for another tenant's event)
 */
export async function emitEvent(trx: Kysely<Database>, event: WebhookEvent): Promise<number> {
  const data = JSON.stringify(event.data);
  const { rows } = await sql<{ n: number }>`select switchplane_emit_event(${event.tenantId}::uuid, ${event.type}, ${data}::jsonb) as n`.execute(trx);
  return Number(rows[0]?.n ?? 0);
}
