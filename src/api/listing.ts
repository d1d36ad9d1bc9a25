/**
 * What the read-only list routes of a customer's records share (`GET /cdrs`, `GET /ai-sessions`):
 * - a start-time range `from` / `to`: a date-time is an instant with `Z` or an offset (`from`
 *   inclusive, `to` exclusive); a date `YYYY-MM-DD` is that whole day in the customer's time zone
 *   (`tenants.timezone`): `from` = its first instant, `to` = up to its end; 400 on `from` when
 *   the range is empty;
 * - pagination `page` / `limit` (≤ 200) answered as `{ data, pagination: { page, limit, total, pages } }`;
 * - unknown query parameters as a 400, so a misspelt filter (`startDate`) is never silently ignored;
 * - a `number` filter: digits contained in one of the record's number columns;
 * - an item key that is the record id or the call id (FreeSWITCH Unique-ID).
 */
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/schema.js';
import { excerpt } from '../domain/excerpt.js';
import { invalid, notFound } from './errors.js';
import { CustomerParams } from './schemas.js';

/** A date or a date-time; years from 1000 (PostgreSQL has no year 0). */
const bound = (description: string) =>
  Type.String({ anyOf: [{ format: 'date' }, { format: 'date-time' }], pattern: '^[1-9]', description });

/** The `from` / `to` query parameters over the start time of `what` (e.g. "calls"). */
export const rangeFilters = (what: string) => ({
  from: Type.Optional(bound(`${what} starting at or after this: a date-time with Z or an offset, or a date YYYY-MM-DD = from the start of that day in the customer's time zone`)),
  to: Type.Optional(bound(`${what} starting before this: a date-time with Z or an offset (exclusive), or a date YYYY-MM-DD = up to the end of that day in the customer's time zone`)),
});

/** The `page` / `limit` query parameters. */
export const PageFields = {
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
};

/** The 200 answer of a list route: `{ data: [item], pagination }`. */
export const PageResponse = <T extends TSchema>(item: T, what: string) =>
  Type.Object({
    data: Type.Array(item),
    pagination: Type.Object({
      page: Type.Integer(),
      limit: Type.Integer(),
      total: Type.Integer({ description: `${what} matching the filters` }),
      pages: Type.Integer({ description: 'ceil(total / limit); 0 when none match' }),
    }),
  });

/** 400 naming the first query parameter `schema` does not know (ajv keeps unknown ones). */
export function rejectUnknown(query: object, schema: TObject): void {
  const unknown = Object.keys(query).find((k) => !(k in schema.properties));
  if (unknown) throw invalid(unknown, `unknown query parameter ${excerpt(unknown)}`);
}

/** `text` (a date or a date-time) as an instant; a date is its day's start (or the next day's) in the tenant's zone. */
const instant = (text: string | undefined, nextDay: boolean) =>
  text === undefined
    ? sql<Date | null>`null::timestamptz`
    : text.length === 10
      ? sql<Date>`(cast(${text} as date) + ${nextDay ? 1 : 0}::int)::timestamp at time zone ${sql.ref('timezone')}`
      : sql<Date>`cast(${text} as timestamptz)`;

export interface Range {
  fromAt: Date | null;
  toAt: Date | null;
}

/** The resolved start-time range; 404 for an unknown customer, 400 on `from` when the range is empty. */
export async function resolveRange(trx: Kysely<Database>, tenantId: string, q: { from?: string; to?: string }): Promise<Range> {
  const row = await trx
    .selectFrom('tenants')
    .select([instant(q.from, false).as('fromAt'), instant(q.to, true).as('toAt')])
    .where('id', '=', tenantId)
    .executeTakeFirst();
  if (!row) throw notFound('customer');
  if (row.fromAt && row.toAt && row.fromAt >= row.toAt) throw invalid('from', 'from must be before to');
  return row;
}

/**
 * One page of `matching()` (called twice: to count, then to fetch) and the pagination figures.
 * `fetch` selects, orders and is given `limit` / `offset`.
 */
export async function paginate<DB, TB extends keyof DB, T>(
  matching: () => SelectQueryBuilder<DB, TB, object>,
  { page, limit }: { page: number; limit: number },
  fetch: (query: SelectQueryBuilder<DB, TB, object>) => { limit(n: number): { offset(n: number): { execute(): Promise<T[]> } } },
) {
  // With DB generic Kysely cannot work out the selection's type: it is this row.
  const { count } = (await matching().select(sql<string | number>`count(*)`.as('count')).executeTakeFirstOrThrow()) as { count: string | number };
  const total = Number(count);
  const data = await fetch(matching()).limit(limit).offset((page - 1) * limit).execute();
  return { data, pagination: { page, limit, total, pages: Math.ceil(total / limit) } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RecordKey = Type.String({ minLength: 1, maxLength: 255, description: 'the record id or the call id (FreeSWITCH Unique-ID)' });

/** The path parameters of an item route in one of the PATH_FORMS: `id` is a record id or a call id. */
export const recordParams = (form: { collection?: TObject }) =>
  form.collection ? Type.Object({ ...CustomerParams.properties, id: RecordKey }) : Type.Object({ id: RecordKey });

/** The condition: the record id (when `key` is a UUID) or the call id column is `key`. */
export const byIdOrCallId = (callIdColumn: string, key: string): RawBuilder<SqlBool> =>
  UUID.test(key)
    ? sql<SqlBool>`(${sql.ref('id')} = ${key} or ${sql.ref(callIdColumn)} = ${key})`
    : sql<SqlBool>`${sql.ref(callIdColumn)} = ${key}`;

/** The `number` query parameter: digits (optionally a leading +) contained in `where`. */
export const NumberFilter = (where: string) =>
  Type.String({ pattern: '^\\+?[0-9*#]{1,32}$', description: `digits (optionally a leading +) contained in ${where}` });

/** The condition: `digits` is part of one of `columns`. */
export const containsNumber = (digits: string, columns: readonly string[]): RawBuilder<SqlBool> =>
  sql<SqlBool>`(${sql.join(columns.map((c) => sql`strpos(${sql.ref(c)}, ${digits}) > 0`), sql` or `)})`;

/** The condition: `column` (a start time) is within the resolved range. */
export function inRange(column: string, { fromAt, toAt }: Range): RawBuilder<SqlBool> {
  const bounds = [...(fromAt ? [sql`${sql.ref(column)} >= ${fromAt}`] : []), ...(toAt ? [sql`${sql.ref(column)} < ${toAt}`] : [])];
  return bounds.length ? sql<SqlBool>`(${sql.join(bounds, sql` and `)})` : sql<SqlBool>`true`;
}
