/**
 * Kysely table types of recurring calls and their occurrences (sql/007_recurring_calls.sql), part of
 * `Database` in ./schema.ts and checked with it by test/db/schema-types.test.ts.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface RecurringCallsTable {
  id: Generated<string>;
  tenant_id: string;
  extension_id: string;
  destination_number: string;
  frequency: 'daily' | 'weekly' | 'monthly';
  time_of_day: string;
  day_of_week: number | null;
  day_of_month: number | null;
  timezone: string;
  enabled: Generated<boolean>;
  next_execution_at: NullableTimestamp;
  last_execution_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** What became of an occurrence of a recurring call (sql/007_recurring_calls.sql). */
export type ExecutionOutcome = 'claimed' | 'originated' | 'answered' | 'no_answer' | 'busy' | 'cancelled' | 'failed' | 'skipped';

/** One occurrence of a recurring call, claimed by one scheduler instance (sql/007). */
export interface RecurringCallExecutionsTable {
  id: Generated<string>;
  tenant_id: string;
  recurring_call_id: string;
  scheduled_for: RequiredTimestamp;
  /** The originate's origination_uuid: the A leg's Unique-ID, `cdrs.unique_id`. */
  call_id: string;
  /** The scheduler instance holding (or last holding) the claim. */
  claimed_by: string;
  claimed_at: RequiredTimestamp;
  lease_expires_at: NullableTimestamp;
  attempts: Generated<number>;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  outcome: ExecutionOutcome;
  hangup_cause: string | null;
  error: string | null;
  cdr_id: string | null;
}

export type RecurringCall = Selectable<RecurringCallsTable>;
export type RecurringCallExecution = Selectable<RecurringCallExecutionsTable>;
