/**
 * Executions of recurring calls, the scheduler's side of the database (src/scheduler/ calls
 * these): claiming occurrences of recurring calls, taking over the claims of stopped instances,
 * recording what became of each, and reading outcomes from CDRs. Every function runs in the
 * caller's `store.withScheduler` transaction (switchplane_scheduler, sql/007_recurring_calls.sql).
 *
 * Two clocks, on purpose. Leases are the database's: `lease_expires_at` is written as the
 * database's `now()` (the transaction's start) plus the lease, and a lease is expired only when
 * it is at or before the database's `now()`, so every instance judges every lease by the same
 * clock and an instance whose own clock runs ahead (or behind) never takes over a live claim.
 * What the schedule is about stays on the caller's clock (`Claim.now`, injectable for tests):
 * which occurrences are due, whether one is past its grace period, and the recorded times
 * (`claimed_at`, `started_at`, `finished_at`). A skewed instance clock can make an occurrence due
 * early or late, or a stale claim (one whose lease the database says expired) be failed rather
 * than retried, but it cannot make two instances hold one claim.
 *
 * An execution row is the occurrence (`recurring_call_id`, `scheduled_for`: unique), its call id
 * (the originate's `origination_uuid`, chosen here) and its claim (`claimed_by`, a lease until
 * `lease_expires_at`). It leaves `claimed` exactly once, by a conditional update of the claim's
 * holder (or, once the lease expired, of the instance that locked the row to take it over), and
 * that update writes the `recurring_call_executed` audit row.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, RecurringCallExecution } from '../db/schema.js';
import { recordAudit } from './audit.js';
import { emitEvent } from './event-webhooks.js';
import type { CallExtension, CallTenant } from './calls.js';
import { nextOf } from './recurring-schedule.js';

/** A claimed occurrence with what its originate needs. */
export interface Occurrence {
  executionId: string;
  recurringCallId: string;
  callId: string;
  scheduledFor: Date;
  tenant: CallTenant;
  extension: CallExtension;
  /** E.164 or an extension number of the tenant. */
  destination: string;
}

export interface Claim {
  /** The scheduler instance: `claimed_by`, and the audit actor `scheduler <instanceId>`. */
  instanceId: string;
  now: Date;
  leaseMs: number;
  /** An occurrence is originated at most this long after its time. */
  graceMs: number;
  /** Most rows handled by one call. */
  limit: number;
  /** claimDue: only occurrences due at or before this (default `now`): see src/scheduler/fleet-placement.ts. */
  dueBy?: Date;
}

type Db = Kysely<Database>;

/** The columns of a recurring call, its tenant and extension that an occurrence needs. */
const TARGET = [
  'rc.id as recurring_call_id', 'rc.tenant_id', 'rc.destination_number', 't.sip_domain', 't.status as tenant_status',
  'e.extension', 'e.sip_username', 'e.status as extension_status',
] as const;

interface TargetRow {
  recurring_call_id: string;
  tenant_id: string;
  destination_number: string;
  sip_domain: string;
  tenant_status: CallTenant['status'];
  extension: string;
  sip_username: string;
  extension_status: CallExtension['status'];
}

function occurrence(row: TargetRow, x: Pick<RecurringCallExecution, 'id' | 'call_id' | 'scheduled_for'>): Occurrence {
  return {
    executionId: x.id,
    recurringCallId: row.recurring_call_id,
    callId: x.call_id,
    scheduledFor: x.scheduled_for,
    tenant: { id: row.tenant_id, sip_domain: row.sip_domain, status: row.tenant_status },
    extension: { tenant_id: row.tenant_id, extension: row.extension, sip_username: row.sip_username, status: row.extension_status },
    destination: row.destination_number,
  };
}

const late = (c: Claim, scheduledFor: Date) => c.now.getTime() - scheduledFor.getTime() > c.graceMs;
/** The end of a lease starting now, by the database's clock. */
const leaseEnd = (c: Claim) => sql<Date>`now() + ${c.leaseMs}::double precision * interval '1 millisecond'`;
/** A lease that has run out, by the database's clock. */
const expired = sql<boolean>`x.lease_expires_at <= now()`;

/** The audit row and the `recurring_call.executed` event webhook of an execution that left `claimed` (or was skipped). */
async function recordExecuted(trx: Db, instanceId: string, x: RecurringCallExecution): Promise<void> {
  await recordAudit(trx, `scheduler ${instanceId}`, {
    tenantId: x.tenant_id,
    action: 'recurring_call_executed',
    resourceType: 'recurring_call',
    resourceId: x.recurring_call_id,
    after: { executionId: x.id, scheduledFor: x.scheduled_for, callId: x.call_id, outcome: x.outcome, attempts: x.attempts, error: x.error },
  });
  await emitEvent(trx, {
    tenantId: x.tenant_id, type: 'recurring_call.executed',
    data: { recurringCallId: x.recurring_call_id, executionId: x.id, scheduledFor: x.scheduled_for, callId: x.call_id, outcome: x.outcome, attempts: x.attempts, error: x.error },
  });
}

/**
 * Claims the due occurrences of enabled recurring calls, oldest first: locks their rows
 * `FOR UPDATE SKIP LOCKED` (rows another instance is claiming are left to it), inserts one
 * execution each with a new call id and a lease, and advances `next_execution_at` to the first run
 * after now. An occurrence more than `graceMs` late (no instance ran at its time) is recorded
 * `skipped` instead, and the next run becomes the first one not yet late: missed runs are never
 * replayed in a burst, and one still within the grace period is claimed by the next call. With
 * `dueBy` before `now`, occurrences due after it are left to another instance for now.
 * @returns the occurrences to originate (commit before originating them), and how many due rows were handled
 */
export async function claimDue(trx: Db, c: Claim): Promise<{ occurrences: Occurrence[]; handled: number }> {
  const due = await trx
    .selectFrom('recurring_calls as rc')
    .innerJoin('tenants as t', 't.id', 'rc.tenant_id')
    .innerJoin('extensions as e', 'e.id', 'rc.extension_id')
    .select([...TARGET, 'rc.frequency', 'rc.time_of_day', 'rc.day_of_week', 'rc.day_of_month', 'rc.timezone', 'rc.next_execution_at'])
    .where('rc.enabled', '=', true)
    .where('rc.next_execution_at', '<=', c.dueBy ?? c.now)
    .orderBy('rc.next_execution_at')
    .limit(c.limit)
    .forUpdate(['rc'])
    .skipLocked()
    .execute();
  const claimed: Occurrence[] = [];
  for (const row of due) {
    const scheduledFor = row.next_execution_at!;
    const missed = late(c, scheduledFor);
    const x = await trx
      .insertInto('recurring_call_executions')
      .values({
        tenant_id: row.tenant_id,
        recurring_call_id: row.recurring_call_id,
        scheduled_for: scheduledFor,
        call_id: randomUUID(),
        claimed_by: c.instanceId,
        claimed_at: c.now,
        ...(missed
          ? { outcome: 'skipped', finished_at: c.now, error: `missed: no scheduler was running at ${scheduledFor.toISOString()}; the next run was recomputed at ${c.now.toISOString()}` }
          : { outcome: 'claimed', lease_expires_at: leaseEnd(c) }),
      })
      // The same occurrence twice (a schedule changed back and forth): the first one stands.
      .onConflict((oc) => oc.columns(['recurring_call_id', 'scheduled_for']).doNothing())
      .returningAll()
      .executeTakeFirst();
    await trx
      .updateTable('recurring_calls')
      .set({
        next_execution_at: nextOf(row, missed ? new Date(c.now.getTime() - c.graceMs) : c.now),
        ...(missed || !x ? {} : { last_execution_at: scheduledFor }),
      })
      .where('id', '=', row.recurring_call_id)
      .execute();
    if (x && missed) await recordExecuted(trx, c.instanceId, x);
    else if (x) claimed.push(occurrence(row, x));
  }
  return { occurrences: claimed, handled: due.length };
}

/**
 * Takes over claims whose lease expired (their instance stopped, or gave the claim back): each
 * gets this instance as `claimed_by`, a new lease and one more attempt, keeping its call id. A
 * claim past its occurrence's grace period is not taken: it is recorded `failed` (a CDR of its
 * call id, should one turn up, still sets the outcome).
 * @returns the occurrences taken over; the caller decides whether FreeSWITCH already has them
 */
export async function takeOverExpired(trx: Db, c: Claim): Promise<Occurrence[]> {
  const stale = await trx
    .selectFrom('recurring_call_executions as x')
    .innerJoin('recurring_calls as rc', 'rc.id', 'x.recurring_call_id')
    .innerJoin('tenants as t', 't.id', 'rc.tenant_id')
    .innerJoin('extensions as e', 'e.id', 'rc.extension_id')
    .select([...TARGET, 'x.id', 'x.call_id', 'x.scheduled_for', 'x.claimed_by'])
    .where('x.outcome', '=', 'claimed')
    .where(expired)
    .orderBy('x.scheduled_for')
    .limit(c.limit)
    .forUpdate(['x'])
    .skipLocked()
    .execute();
  const taken: Occurrence[] = [];
  for (const row of stale) {
    const update = trx.updateTable('recurring_call_executions').where('id', '=', row.id);
    if (late(c, row.scheduled_for)) {
      const error = `not originated: ${row.claimed_by} claimed it and stopped, and ${c.graceMs} ms after its time passed`;
      const x = await update.set({ outcome: 'failed', lease_expires_at: null, finished_at: c.now, error }).returningAll().executeTakeFirstOrThrow();
      await recordExecuted(trx, c.instanceId, x);
    } else {
      await update.set((eb) => ({ claimed_by: c.instanceId, lease_expires_at: leaseEnd(c), attempts: eb('attempts', '+', 1) })).execute();
      taken.push(occurrence(row, row));
    }
  }
  return taken;
}

/**
 * The executions among `executionIds` whose claim this instance still holds with a lease that
 * has not run out (by the database's clock): a taken-over call is originated again only while
 * this holds, so a recovery that outlasted its lease leaves the claim to whoever took it next.
 */
export async function stillHeld(trx: Db, instanceId: string, executionIds: string[]): Promise<Set<string>> {
  if (executionIds.length === 0) return new Set();
  const rows = await trx
    .selectFrom('recurring_call_executions as x')
    .select('x.id')
    .where('x.id', 'in', executionIds)
    .where('x.outcome', '=', 'claimed')
    .where('x.claimed_by', '=', instanceId)
    .where(sql<boolean>`x.lease_expires_at > now()`)
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Records what the holder of the claim did: `originated` (FreeSWITCH took the originate, or
 * already had the call) or `failed` (refused before it was sent), ending the lease.
 * @returns false when this instance no longer holds the claim (nothing is written)
 */
export async function settle(
  trx: Db,
  instanceId: string,
  executionId: string,
  result: { outcome: 'originated'; startedAt: Date | null } | { outcome: 'failed'; error: string; now: Date },
): Promise<boolean> {
  const x = await trx
    .updateTable('recurring_call_executions')
    .set(result.outcome === 'originated'
      ? { outcome: 'originated', started_at: result.startedAt, lease_expires_at: null, error: null }
      : { outcome: 'failed', finished_at: result.now, lease_expires_at: null, error: result.error })
    .where('id', '=', executionId)
    .where('outcome', '=', 'claimed')
    .where('claimed_by', '=', instanceId)
    .returningAll()
    .executeTakeFirst();
  if (x) await recordExecuted(trx, instanceId, x);
  return x !== undefined;
}

/**
 * Gives a claim back at once (its lease ends now, by the database's clock) when the originate may or may not have reached
 * FreeSWITCH (no node connected, or the link failed while sending): the next pass decides, as for
 * a stopped instance.
 */
export async function release(trx: Db, instanceId: string, executionId: string, error: string): Promise<void> {
  await trx
    .updateTable('recurring_call_executions')
    .set({ lease_expires_at: sql<Date>`now()`, error })
    .where('id', '=', executionId)
    .where('outcome', '=', 'claimed')
    .where('claimed_by', '=', instanceId)
    .execute();
}

/** The call ids among `callIds` that have a CDR. */
export async function withCdr(trx: Db, callIds: string[]): Promise<Set<string>> {
  if (callIds.length === 0) return new Set();
  const rows = await trx.selectFrom('cdrs').select('unique_id').where('unique_id', 'in', callIds).execute();
  return new Set(rows.map((r) => r.unique_id));
}

/** An originated call that failed before a channel existed (e.g. USER_NOT_REGISTERED), so no CDR will come. */
export async function recordFailedCall(trx: Db, callId: string, hangupCause: string | null, now: Date): Promise<void> {
  await trx
    .updateTable('recurring_call_executions')
    .set({ outcome: 'failed', hangup_cause: hangupCause, finished_at: now })
    .where('call_id', '=', callId)
    .where('outcome', '=', 'originated')
    .where('cdr_id', 'is', null)
    .execute();
}

/**
 * Sets the outcome of executions claimed since `since` from their A leg's CDR (`cdrs.unique_id` =
 * call id): its disposition (ANSWERED → answered, NO ANSWER → no_answer, BUSY → busy,
 * CANCELLED → cancelled, FAILED → failed), hangup cause, end time and the CDR's id.
 * @returns how many executions got their outcome
 */
export async function outcomesFromCdrs(trx: Db, since: Date): Promise<number> {
  const result = await sql`
    update recurring_call_executions x
    set outcome = case c.disposition when 'ANSWERED' then 'answered' when 'NO ANSWER' then 'no_answer'
                    when 'BUSY' then 'busy' when 'CANCELLED' then 'cancelled' else 'failed' end,
        hangup_cause = c.hangup_cause, finished_at = c.end_at, cdr_id = c.id
    from cdrs c
    where c.unique_id = x.call_id::text and c.tenant_id = x.tenant_id
      and x.cdr_id is null and x.outcome in ('originated', 'failed') and x.claimed_at >= ${since}`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}
