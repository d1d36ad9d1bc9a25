/**
 * Kysely table types of event webhooks (sql/017_event_webhooks.sql), part of `Database` in
 * ./schema.ts and checked with it by test/db/schema-types.test.ts.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** `pending` (due at next_attempt_at), `delivering` (claimed until next_attempt_at), `delivered`, `failed`. */
export type WebhookDeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface WebhookSubscriptionsTable {
  id: Generated<string>;
  tenant_id: string;
  /** http(s) URL the events are POSTed to; held to the destination policy when sent. */
  url: string;
  /** Event types taken, e.g. `['call.ended']`. */
  events: string[];
  description: string | null;
  enabled: Generated<boolean>;
  /** The signing secret, sealed by the SecretBox (src/domain/secrets.ts). */
  secret_sealed: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  tenant_id: string;
  webhook_id: string;
  /** The event's id, the same in every delivery of it (replays included). */
  event_id: string;
  event_type: string;
  event_created_at: RequiredTimestamp;
  data: ColumnType<Record<string, unknown>, string, string>;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  /** When a pending delivery is due, or when a delivering one's claim ends; null once finished. */
  next_attempt_at: NullableTimestamp;
  last_attempt_at: NullableTimestamp;
  /** The HTTP status of the last answer, null when none came. */
  response_status: number | null;
  last_error: string | null;
  delivered_at: NullableTimestamp;
  /** The delivery this one replays. */
  replay_of: string | null;
  created_at: Timestamp;
}

/** The tables of sql/017, part of `Database`. */
export interface WebhookTables {
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
