/**
 * Recurring calls as a customer changes them: an extension calls a destination every day, week
 * or month at a local time in a time zone (src/domain/recurring-schedule.ts computes the runs;
 * src/scheduler/ places the calls). Every function runs in `store.withTenant`, so another
 * tenant's extension or recurring call is a NotFoundError; writes record
 * `recurring_call_created|updated|deleted` audit rows in the same transaction.
 *
 * `destinationNumber` is an extension number of the customer (not the calling one) or a number
 * toE164 reads (E.164, a national number of the customer's country, `00...`, 8 to 15 digits),
 * stored as E.164. A schedule without a time zone
 * takes the customer's; the zone is stored in its own spelling (`europe/madrid` → `Europe/Madrid`).
 * `next_execution_at` is the next run after the clock's now, null while disabled.
 */
import type { Kysely } from 'kysely';
import type { Database, ExecutionOutcome, RecurringCall, RecurringCallExecution } from '../db/schema.js';
import type { Store } from '../db/store.js';
import type { Principal } from './api-keys.js';
import { recordAudit } from './audit.js';
import { FieldError, NotFoundError } from './errors.js';
import { customerCountry } from './customer-country.js';
import { toE164 } from './numbers.js';
import { checkSchedule, nextRun, scheduleOf, ScheduleError, type Schedule } from './recurring-schedule.js';

/** What became of an occurrence (`recurring_call_executions.outcome`). */
export const EXECUTION_OUTCOMES = ['claimed', 'originated', 'answered', 'no_answer', 'busy', 'cancelled', 'failed', 'skipped'] as const satisfies readonly ExecutionOutcome[];

/** A schedule as a client gives it: all fields on create (timezone optional), some on update. */
export type ScheduleInput = Omit<Schedule, 'timezone'> & { timezone?: string };

/** Who writes, for which tenant, on which clock. */
export interface Writer {
  store: Store;
  principal: Principal;
  tenantId: string;
  clock: () => Date;
}

/** The schedule, checked, with the zone's own spelling. @throws FieldError naming `schedule.<field>` */
function checked(schedule: Schedule): Schedule {
  try {
    checkSchedule(schedule);
  } catch (err) {
    if (err instanceof ScheduleError) throw new FieldError(`schedule.${err.field}`, err.message);
    throw err;
  }
  return { ...schedule, timezone: new Intl.DateTimeFormat('en-US', { timeZone: schedule.timezone }).resolvedOptions().timeZone };
}

const scheduleColumns = (s: Schedule) => ({ frequency: s.frequency, time_of_day: s.time, day_of_week: s.dayOfWeek ?? null, day_of_month: s.dayOfMonth ?? null, timezone: s.timezone });

/** An extension number of the tenant (not the calling one), else the number as E.164. @throws FieldError `destinationNumber` */
async function destinationOf(trx: Kysely<Database>, tenantId: string, raw: string, caller: { extension: string }): Promise<string> {
  const dialled = raw.replace(/[\s().-]/g, '');
  if (dialled === caller.extension) throw new FieldError('destinationNumber', `destinationNumber is the calling extension ${caller.extension}`);
  const ext = await trx.selectFrom('extensions').select('extension').where('tenant_id', '=', tenantId).where('extension', '=', dialled).executeTakeFirst();
  if (ext) return ext.extension;
  const country = await customerCountry(trx, tenantId);
  const e164 = toE164(dialled, country);
  if (!e164) throw new FieldError('destinationNumber', `destinationNumber must be an E.164 number such as +12125551234${country ? `, a valid national number of ${country}` : ''} or an extension number of this customer`);
  return e164;
}

/** The schedule after an update: the named fields change; a new frequency drops the day fields not given. */
function updatedSchedule(before: Schedule, given: Partial<Schedule>): Schedule {
  const after: Schedule = { ...before, ...given };
  if (given.frequency !== undefined && given.frequency !== before.frequency) {
    after.dayOfWeek = given.dayOfWeek ?? null;
    after.dayOfMonth = given.dayOfMonth ?? null;
  }
  return checked(after);
}

/** @throws NotFoundError `extension` */
async function extensionOf(trx: Kysely<Database>, id: string): Promise<{ id: string; extension: string }> {
  const ext = await trx.selectFrom('extensions').select(['id', 'extension']).where('id', '=', id).executeTakeFirst();
  if (!ext) throw new NotFoundError('extension');
  return ext;
}

/** @throws NotFoundError `recurring call` */
async function recurringCallOf(trx: Kysely<Database>, id: string, lock = false): Promise<RecurringCall> {
  const q = trx.selectFrom('recurring_calls').selectAll().where('id', '=', id);
  const row = await (lock ? q.forUpdate() : q).executeTakeFirst();
  if (!row) throw new NotFoundError('recurring call');
  return row;
}

/**
 * Schedules a recurring call from extension `extensionId`.
 * @throws NotFoundError `customer` or `extension`; FieldError (`schedule.<field>`, `destinationNumber`)
 */
export function createRecurringCall(
  w: Writer,
  extensionId: string,
  input: { destinationNumber: string; schedule: ScheduleInput; enabled?: boolean },
): Promise<RecurringCall> {
  return w.store.withTenant(w.tenantId, async (trx) => {
    const tenant = await trx.selectFrom('tenants').select('timezone').where('id', '=', w.tenantId).executeTakeFirst();
    if (!tenant) throw new NotFoundError('customer');
    const ext = await extensionOf(trx, extensionId);
    const schedule = checked({ ...input.schedule, timezone: input.schedule.timezone ?? tenant.timezone });
    const enabled = input.enabled ?? true;
    const created = await trx
      .insertInto('recurring_calls')
      .values({
        tenant_id: w.tenantId, extension_id: ext.id, destination_number: await destinationOf(trx, w.tenantId, input.destinationNumber, ext),
        ...scheduleColumns(schedule), enabled, next_execution_at: enabled ? nextRun(schedule, w.clock()) : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, w.principal, { tenantId: w.tenantId, action: 'recurring_call_created', resourceType: 'recurring_call', resourceId: created.id, after: created });
    return created;
  });
}

/** Extension `extensionId`'s recurring calls, oldest first. @throws NotFoundError `extension` */
export function listRecurringCalls(store: Store, tenantId: string, extensionId: string): Promise<RecurringCall[]> {
  return store.withTenant(tenantId, async (trx) => {
    const ext = await extensionOf(trx, extensionId);
    return trx.selectFrom('recurring_calls').selectAll().where('extension_id', '=', ext.id).orderBy('created_at').orderBy('id').execute();
  });
}

/** @throws NotFoundError `recurring call` */
export function getRecurringCall(store: Store, tenantId: string, id: string): Promise<RecurringCall> {
  return store.withTenant(tenantId, (trx) => recurringCallOf(trx, id));
}

/**
 * Applies an update: the fields given change; a changed schedule, or enabling, recomputes the
 * next run; disabling clears it.
 * @throws NotFoundError `recurring call` (or `extension`); FieldError as for `createRecurringCall`
 */
export function updateRecurringCall(
  w: Writer,
  id: string,
  input: { destinationNumber?: string; schedule?: Partial<Schedule>; enabled?: boolean },
): Promise<RecurringCall> {
  return w.store.withTenant(w.tenantId, async (trx) => {
    const before = await recurringCallOf(trx, id, true);
    const was = scheduleOf(before);
    const schedule = input.schedule ? updatedSchedule(was, input.schedule) : was;
    const enabled = input.enabled ?? before.enabled;
    const rescheduled = JSON.stringify(scheduleColumns(schedule)) !== JSON.stringify(scheduleColumns(was)) || !before.enabled || before.next_execution_at === null;
    const destination = input.destinationNumber === undefined ? before.destination_number : await destinationOf(trx, w.tenantId, input.destinationNumber, await extensionOf(trx, before.extension_id));
    const after = await trx
      .updateTable('recurring_calls')
      .set({
        ...scheduleColumns(schedule), destination_number: destination, enabled, updated_at: w.clock(),
        next_execution_at: !enabled ? null : rescheduled ? nextRun(schedule, w.clock()) : before.next_execution_at,
      })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, w.principal, { tenantId: w.tenantId, action: 'recurring_call_updated', resourceType: 'recurring_call', resourceId: before.id, before, after });
    return after;
  });
}

/** Deletes a recurring call and its history. @throws NotFoundError `recurring call` */
export async function deleteRecurringCall(w: Omit<Writer, 'clock'>, id: string): Promise<void> {
  await w.store.withTenant(w.tenantId, async (trx) => {
    const before = await trx.deleteFrom('recurring_calls').where('id', '=', id).returningAll().executeTakeFirst();
    if (!before) throw new NotFoundError('recurring call');
    await recordAudit(trx, w.principal, { tenantId: w.tenantId, action: 'recurring_call_deleted', resourceType: 'recurring_call', resourceId: before.id, before });
  });
}

/** The latest `limit` executions of a recurring call, newest first. @throws NotFoundError `recurring call` */
export function listExecutions(store: Store, tenantId: string, id: string, limit: number): Promise<RecurringCallExecution[]> {
  return store.withTenant(tenantId, async (trx) => {
    const rc = await recurringCallOf(trx, id);
    return trx.selectFrom('recurring_call_executions').selectAll().where('recurring_call_id', '=', rc.id).orderBy('scheduled_for', 'desc').limit(limit).execute();
  });
}
