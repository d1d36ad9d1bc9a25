/**
 * Query parts shared by the read-only lists of a customer's records (CDRs, AI sessions):
 * a start-time range in the customer's time zone, pagination, a number filter, and an item key
 * that is the record id or the call id (FreeSWITCH Unique-ID).
 */
import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/schema.js';
import { FieldError, NotFoundError } from './errors.js';

/**
 * A start-time range as given: each a date `YYYY-MM-DD` or a date-time with `Z` or an offset.
 * `startDate` / `endDate` are the W3 Suite guide's names of `from` / `to`, with the same meaning;
 * one end is given under one name only.
 */
export interface RangeInput {
  from?: string;
  to?: string;
  startDate?: string;
  endDate?: string;
}

/** The resolved range: `fromAt` inclusive, `toAt` exclusive; null = open. */
export interface Range {
  fromAt: Date | null;
  toAt: Date | null;
}

/** Page `page` (from 1) of `limit` records. */
export interface PageInput {
  page: number;
  limit: number;
}

export interface Page<T> {
  data: T[];
  pagination: { page: number; limit: number; total: number; pages: number };
}

/** `text` (a date or a date-time) as an instant; a date is its day's start (or the next day's) in the tenant's zone. */
const instant = (text: string | undefined, nextDay: boolean) =>
  text === undefined
    ? sql<Date | null>`null::timestamptz`
    : text.length === 10
      ? sql<Date>`(cast(${text} as date) + ${nextDay ? 1 : 0}::int)::timestamp at time zone ${sql.ref('timezone')}`
      : sql<Date>`cast(${text} as timestamptz)`;

/** One end of the range under whichever of its two names it was given. @throws FieldError naming the guide's name when both are */
function end(q: RangeInput, name: 'from' | 'to', guideName: 'startDate' | 'endDate'): { value: string | undefined; field: string } {
  if (q[name] !== undefined && q[guideName] !== undefined) throw new FieldError(guideName, `${guideName} is another name of ${name}: give one of them`);
  return q[guideName] !== undefined ? { value: q[guideName], field: guideName } : { value: q[name], field: name };
}

/**
 * The resolved start-time range: a date is that whole day in the customer's time zone.
 * @throws NotFoundError `customer`; FieldError (`startDate` / `endDate`) when an end is given under
 *   both its names; FieldError (`from` or `startDate`, as given) when the range is empty
 */
export async function resolveRange(trx: Kysely<Database>, tenantId: string, q: RangeInput): Promise<Range> {
  const from = end(q, 'from', 'startDate');
  const to = end(q, 'to', 'endDate');
  const row = await trx
    .selectFrom('tenants')
    .select([instant(from.value, false).as('fromAt'), instant(to.value, true).as('toAt')])
    .where('id', '=', tenantId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('customer');
  if (row.fromAt && row.toAt && row.fromAt >= row.toAt) throw new FieldError(from.field, `${from.field} must be before ${to.field}`);
  return row;
}

/**
 * One page of `matching()` (called twice: to count, then to fetch) and the pagination figures.
 * `fetch` selects, orders and is given `limit` / `offset`.
 */
export async function paginate<DB, TB extends keyof DB, T>(
  matching: () => SelectQueryBuilder<DB, TB, object>,
  { page, limit }: PageInput,
  fetch: (query: SelectQueryBuilder<DB, TB, object>) => { limit(n: number): { offset(n: number): { execute(): Promise<T[]> } } },
): Promise<Page<T>> {
  // With DB generic Kysely cannot work out the selection's type: it is this row.
  const { count } = (await matching().select(sql<string | number>`count(*)`.as('count')).executeTakeFirstOrThrow()) as { count: string | number };
  const total = Number(count);
  const data = await fetch(matching()).limit(limit).offset((page - 1) * limit).execute();
  return { data, pagination: { page, limit, total, pages: Math.ceil(total / limit) } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The condition: the record id (when `key` is a UUID) or the call id column is `key`. */
export const byIdOrCallId = (callIdColumn: string, key: string): RawBuilder<SqlBool> =>
  UUID.test(key)
    ? sql<SqlBool>`(${sql.ref('id')} = ${key} or ${sql.ref(callIdColumn)} = ${key})`
    : sql<SqlBool>`${sql.ref(callIdColumn)} = ${key}`;

/** The condition: `digits` is part of one of `columns`. */
export const containsNumber = (digits: string, columns: readonly string[]): RawBuilder<SqlBool> =>
  sql<SqlBool>`(${sql.join(columns.map((c) => sql`strpos(${sql.ref(c)}, ${digits}) > 0`), sql` or `)})`;

/** The condition: `column` (a start time) is within the resolved range. */
export function inRange(column: string, { fromAt, toAt }: Range): RawBuilder<SqlBool> {
  const bounds = [...(fromAt ? [sql`${sql.ref(column)} >= ${fromAt}`] : []), ...(toAt ? [sql`${sql.ref(column)} < ${toAt}`] : [])];
  return bounds.length ? sql<SqlBool>`(${sql.join(bounds, sql` and `)})` : sql<SqlBool>`true`;
}
