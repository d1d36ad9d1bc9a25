/**
 * A customer's call detail records as its API reads them (the CDR writer stores them): the
 * filtered list, the call figures and one record by id or call id. Every function runs in
 * `store.withTenant`, so another customer's CDR is a NotFoundError.
 * Figures: avgDuration = totalDuration / totalCalls and avgBillsec = totalBillsec / answered,
 * both rounded to the nearest second; answerRate = answered / totalCalls × 100 as a two-decimal
 * string; 0 (or "0.00") without calls.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Cdr, Database } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { FieldError, NotFoundError } from './errors.js';
import { byIdOrCallId, containsNumber, inRange, paginate, resolveRange, type Page, type PageInput, type Range, type RangeInput } from './record-listing.js';

/** `cdrs.call_type`: an ordinary call, a call that met the AI agent, a transferred leg. */
export const CALL_TYPES = ['voice', 'ai_voice', 'transfer'] as const satisfies readonly Cdr['call_type'][];

/** What a list or the figures are narrowed to; every filter is optional. */
export interface CdrFilters extends RangeInput {
  direction?: Cdr['direction'];
  disposition?: Cdr['disposition'];
  callType?: Cdr['call_type'];
  /** An extension number of the customer. */
  extension?: string;
  extensionId?: string;
  /** A trunk id. */
  trunk?: string;
  /** Digits contained in the caller or the called number. */
  number?: string;
  /** Only records of this extension, whatever the other filters say (an agent's own extension). */
  ownExtensionId?: string | null;
}

/** The tenant's CDRs matching the filters. */
function matching(trx: Kysely<Database>, tenantId: string, q: CdrFilters, range: Range) {
  let query = trx.selectFrom('cdrs').where('tenant_id', '=', tenantId).where(inRange('start_at', range));
  if (q.direction) query = query.where('direction', '=', q.direction);
  if (q.disposition) query = query.where('disposition', '=', q.disposition);
  if (q.callType) query = query.where('call_type', '=', q.callType);
  if (q.extensionId) query = query.where('extension_id', '=', q.extensionId);
  if (q.ownExtensionId) query = query.where('extension_id', '=', q.ownExtensionId);
  if (q.trunk) query = query.where('trunk_id', '=', q.trunk);
  if (q.extension) {
    const ext = q.extension;
    query = query.where('extension_id', 'in', (eb) => eb.selectFrom('extensions').select('id').where('tenant_id', '=', tenantId).where('extension', '=', ext));
  }
  if (q.number) query = query.where(containsNumber(q.number, ['caller_number', 'called_number']));
  return query;
}

/** The columns a list item holds (no raw variables). */
const LIST_COLUMNS = [
  'id', 'unique_id', 'other_leg_unique_id', 'direction', 'call_type', 'caller_number', 'caller_name', 'called_number', 'called_name',
  'start_at', 'answer_at', 'end_at', 'duration_seconds', 'billsec', 'hangup_cause', 'sip_status', 'disposition', 'trunk_id',
  'extension_id', 'recording_url', 'ai_session_id',
] as const;
export type CdrListRow = Pick<Cdr, (typeof LIST_COLUMNS)[number]>;

/** The matching CDRs' list columns, newest first (start time descending, then id). */
const newestFirst = (m: ReturnType<typeof matching>) => m.select(LIST_COLUMNS).orderBy('start_at', 'desc').orderBy('id', 'desc');

/** A page of the matching CDRs, newest first (start time descending, then id). @throws NotFoundError `customer`; FieldError `from` */
export function listCdrs(store: Store, tenantId: string, q: CdrFilters & PageInput): Promise<Page<CdrListRow>> {
  return store.withTenant(tenantId, async (trx) => {
    const range = await resolveRange(trx, tenantId, q);
    return paginate(() => matching(trx, tenantId, q, range), q, newestFirst);
  });
}

export interface CdrStats {
  totalCalls: number;
  answered: number;
  noAnswer: number;
  busy: number;
  failed: number;
  cancelled: number;
  totalDuration: number;
  totalBillsec: number;
  avgDuration: number;
  avgBillsec: number;
  /** e.g. "80.00". */
  answerRate: string;
}

/** The figures over the matching CDRs. @throws NotFoundError `customer`; FieldError `from` */
export async function cdrStats(store: Store, tenantId: string, q: CdrFilters): Promise<CdrStats> {
  const row = await store.withTenant(tenantId, async (trx) => {
    const range = await resolveRange(trx, tenantId, q);
    const answered = sql`count(*) filter (where disposition = 'ANSWERED')`;
    const n = (expr: RawBuilder<unknown>) => sql<string | number>`${expr}::bigint`;
    return matching(trx, tenantId, q, range)
      .select([
        n(sql`count(*)`).as('totalCalls'),
        n(answered).as('answered'),
        n(sql`count(*) filter (where disposition = 'NO ANSWER')`).as('noAnswer'),
        n(sql`count(*) filter (where disposition = 'BUSY')`).as('busy'),
        n(sql`count(*) filter (where disposition = 'FAILED')`).as('failed'),
        n(sql`count(*) filter (where disposition = 'CANCELLED')`).as('cancelled'),
        n(sql`coalesce(sum(duration_seconds), 0)`).as('totalDuration'),
        n(sql`coalesce(sum(billsec), 0)`).as('totalBillsec'),
        n(sql`coalesce(round(sum(duration_seconds)::numeric / nullif(count(*), 0)), 0)`).as('avgDuration'),
        n(sql`coalesce(round(sum(billsec)::numeric / nullif(${answered}, 0)), 0)`).as('avgBillsec'),
        sql<string>`coalesce(round(100.0 * ${answered} / nullif(count(*), 0), 2), 0.00)::text`.as('answerRate'),
      ])
      .executeTakeFirstOrThrow();
  });
  const { answerRate, ...counts } = row;
  return { ...(Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])) as Omit<CdrStats, 'answerRate'>), answerRate };
}

/**
 * One CDR by record id or call id, with its raw variables.
 * @param ownExtensionId when set, a record of another extension is not found (an agent's view)
 * @throws NotFoundError `cdr`
 */
export async function getCdr(store: Store, tenantId: string, key: string, ownExtensionId: string | null = null): Promise<Cdr> {
  const row = await store.withTenant(tenantId, (trx) =>
    trx.selectFrom('cdrs').selectAll().where('tenant_id', '=', tenantId).where(byIdOrCallId('unique_id', key)).executeTakeFirst(),
  );
  if (!row || (ownExtensionId && row.extension_id !== ownExtensionId)) throw new NotFoundError('cdr');
  return row;
}

/**
 * Every matching CDR, newest first, read `batch` rows at a time (each batch its own short
 * transaction, continuing after the last row's start time and id), so an export of any size holds
 * one batch in memory. @throws NotFoundError `customer`; FieldError `from` (before the first row)
 */
export async function* exportCdrs(store: Store, tenantId: string, q: CdrFilters, batch = 500): AsyncGenerator<CdrListRow[]> {
  let after: { start_at: Date; id: string } | null = null;
  for (;;) {
    const last: typeof after = after;
    const rows: CdrListRow[] = await store.withTenant(tenantId, async (trx) => {
      const range = await resolveRange(trx, tenantId, q);
      let query = matching(trx, tenantId, q, range);
      if (last) query = query.where(sql<boolean>`(start_at, id) < (${last.start_at}, ${last.id})`);
      return newestFirst(query).limit(batch).execute();
    });
    if (rows.length > 0) yield rows;
    if (rows.length < batch) return;
    after = rows[rows.length - 1]!;
  }
}

/** One hour of the dashboard's chart: its start, the calls that started in it, how many were answered, their mean duration. */
export interface HourlyBucket {
  hour: Date;
  calls: number;
  answered: number;
  /** Mean durationSeconds of the hour's calls, rounded to the nearest second; 0 without calls. */
  averageDurationSeconds: number;
}

const HOUR_MS = 3_600_000;
/** The most hours one request may ask for (7 days). */
export const MAX_HOURS = 168;

/**
 * The matching calls per hour of the customer's time zone, empty hours included. Without `from`
 * and `to`: the 24 hours up to the end of the current hour (by `now`); with one of them: 24 hours
 * from `from` or up to `to`; with both: every hour between them (at most MAX_HOURS). The first
 * bucket starts at the hour `from` falls in.
 * @throws NotFoundError `customer`; FieldError `from` or `startDate`, as given (empty range, or more than MAX_HOURS hours)
 */
export function cdrHourly(store: Store, tenantId: string, q: CdrFilters, now: Date): Promise<HourlyBucket[]> {
  return store.withTenant(tenantId, async (trx) => {
    const given = await resolveRange(trx, tenantId, q);
    const toAt = given.toAt ?? (given.fromAt ? new Date(given.fromAt.getTime() + 24 * HOUR_MS) : new Date(Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS));
    const fromAt = given.fromAt ?? new Date(toAt.getTime() - 24 * HOUR_MS);
    const { start } = await trx
      .selectFrom('tenants')
      .select(sql<Date>`date_trunc('hour', ${fromAt}::timestamptz, timezone)`.as('start'))
      .where('id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const hours = Math.ceil((toAt.getTime() - start.getTime()) / HOUR_MS);
    const fromField = q.startDate !== undefined ? 'startDate' : 'from';
    if (hours > MAX_HOURS) throw new FieldError(fromField, `at most ${MAX_HOURS} hours (7 days) at a time; the range spans ${hours}`);
    const hourOf = sql<Date>`date_trunc('hour', start_at, (select timezone from tenants where id = ${tenantId}))`;
    const rows = await matching(trx, tenantId, q, { fromAt: start, toAt })
      .select([
        hourOf.as('hour'),
        sql<string | number>`count(*)::bigint`.as('calls'),
        sql<string | number>`(count(*) filter (where disposition = 'ANSWERED'))::bigint`.as('answered'),
        sql<string | number>`round(avg(duration_seconds))::bigint`.as('average'),
      ])
      .groupBy(sql`1`)
      .execute();
    const byHour = new Map(rows.map((r) => [r.hour.getTime(), r]));
    return Array.from({ length: hours }, (_, i) => {
      const hour = new Date(start.getTime() + i * HOUR_MS);
      const r = byHour.get(hour.getTime());
      return { hour, calls: Number(r?.calls ?? 0), answered: Number(r?.answered ?? 0), averageDurationSeconds: Number(r?.average ?? 0) };
    });
  });
}
