/**
 * The delivery queue of event webhooks (sql/017_event_webhooks.sql) as the delivery worker
 * (src/http/webhook-worker.ts) works it, as `switchplane_operator` (every tenant):
 * - `claimDeliveries` takes due deliveries of enabled webhooks (`pending` whose next attempt has
 *   come, or `delivering` whose claim ended: the instance holding it stopped) with
 *   `FOR UPDATE SKIP LOCKED`, so instances sharing the database never take the same one, counts
 *   the attempt and holds the claim for `claimMs`;
 * - `finishDelivery` records the attempt's outcome, unless the claim was taken over meanwhile.
 * Times are the database's (`now()`), so instances' clocks do not matter.
 */
import { sql } from 'kysely';
import type { Store } from '../db/store.js';

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  webhookId: string;
  url: string;
  /** The webhook's signing secret, sealed (src/domain/secrets.ts). */
  secretSealed: string;
  eventId: string;
  eventType: string;
  eventCreatedAt: Date;
  data: Record<string, unknown>;
  /** Attempts so far, this one included. */
  attempts: number;
}

/** What became of an attempt: `delivered`; `retry` after `delayMs`; `failed` for good. */
export type AttemptOutcome =
  | { kind: 'delivered'; responseStatus: number }
  | { kind: 'retry'; delayMs: number; responseStatus: number | null; error: string }
  | { kind: 'failed'; responseStatus: number | null; error: string };

interface ClaimRow {
  id: string;
  tenant_id: string;
  webhook_id: string;
  url: string;
  secret_sealed: string;
  event_id: string;
  event_type: string;
  event_created_at: Date;
  data: Record<string, unknown>;
  attempts: number;
}

/** Claims up to `limit` due deliveries, oldest due first, for `claimMs` milliseconds. */
export async function claimDeliveries(store: Store, limit: number, claimMs: number): Promise<ClaimedDelivery[]> {
  const { rows } = await store.withOperator((trx) =>
    sql<ClaimRow>`
      with due as (
        select d.id from webhook_deliveries d join webhook_subscriptions s on s.id = d.webhook_id
        where d.status in ('pending', 'delivering') and d.next_attempt_at <= now() and s.enabled
        order by d.next_attempt_at
        limit ${limit}
        for update of d skip locked
      )
      update webhook_deliveries d
        set status = 'delivering', attempts = d.attempts + 1, last_attempt_at = now(),
            next_attempt_at = now() + make_interval(secs => ${claimMs / 1000})
        from due, webhook_subscriptions s
        where d.id = due.id and s.id = d.webhook_id
        returning d.id, d.tenant_id, d.webhook_id, s.url, s.secret_sealed, d.event_id, d.event_type, d.event_created_at, d.data, d.attempts`.execute(trx),
  );
  return rows.map((r) => ({
    id: r.id, tenantId: r.tenant_id, webhookId: r.webhook_id, url: r.url, secretSealed: r.secret_sealed, eventId: r.event_id,
    eventType: r.event_type, eventCreatedAt: new Date(r.event_created_at), data: r.data, attempts: r.attempts,
  }));
}

/**
 * Records the outcome of attempt `delivery.attempts`.
 * @returns false when the claim had been taken over (the outcome is then not recorded)
 */
export async function finishDelivery(store: Store, delivery: Pick<ClaimedDelivery, 'id' | 'attempts'>, outcome: AttemptOutcome): Promise<boolean> {
  const set =
    outcome.kind === 'delivered'
      ? sql`status = 'delivered', delivered_at = now(), next_attempt_at = null, response_status = ${outcome.responseStatus}, last_error = null`
      : outcome.kind === 'retry'
        ? sql`status = 'pending', next_attempt_at = now() + make_interval(secs => ${outcome.delayMs / 1000}), response_status = ${outcome.responseStatus}, last_error = ${outcome.error}`
        : sql`status = 'failed', next_attempt_at = null, response_status = ${outcome.responseStatus}, last_error = ${outcome.error}`;
  const result = await store.withOperator((trx) =>
    sql`update webhook_deliveries set ${set} where id = ${delivery.id} and status = 'delivering' and attempts = ${delivery.attempts}`.execute(trx),
  );
  return Number(result.numAffectedRows ?? 0) > 0;
}
