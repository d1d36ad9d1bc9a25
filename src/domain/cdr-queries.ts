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
import { NotFoundError } from './errors.js';
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
}

/** The tenant's CDRs matching the filters. */
function matching(trx: Kysely<Database>, tenantId: string, q: CdrFilters, range: Range) {
  let query = trx.selectFrom('cdrs').where('tenant_id', '=', tenantId).where(inRange('start_at', range));
  if (q.direction) query = query.where('direction', '=', q.direction);
  if (q.disposition) query = query.where('disposition', '=', q.disposition);
  if (q.callType) query = query.where('call_type', '=', q.callType);
  if (q.extensionId) query = query.where('extension_id', '=', q.extensionId);
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

/** A page of the matching CDRs, newest first (start time descending, then id). @throws NotFoundError `customer`; FieldError `from` */
export function listCdrs(store: Store, tenantId: string, q: CdrFilters & PageInput): Promise<Page<CdrListRow>> {
  return store.withTenant(tenantId, async (trx) => {
    const range = await resolveRange(trx, tenantId, q);
    return paginate(() => matching(trx, tenantId, q, range), q, (m) => m.select(LIST_COLUMNS).orderBy('start_at', 'desc').orderBy('id', 'desc'));
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

/** One CDR by record id or call id, with its raw variables. @throws NotFoundError `cdr` */
export async function getCdr(store: Store, tenantId: string, key: string): Promise<Cdr> {
  const row = await store.withTenant(tenantId, (trx) =>
    trx.selectFrom('cdrs').selectAll().where('tenant_id', '=', tenantId).where(byIdOrCallId('unique_id', key)).executeTakeFirst(),
  );
  if (!row) throw new NotFoundError('cdr');
  return row;
}
