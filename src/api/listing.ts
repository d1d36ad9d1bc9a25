/**
 * What the read-only list routes of a customer's records share (`GET /cdrs`, `GET /ai-sessions`):
 * - a start-time range `from` / `to`: a date-time is an instant with `Z` or an offset (`from`
 *   inclusive, `to` exclusive); a date `YYYY-MM-DD` is that whole day in the customer's time zone
 *   (`tenants.timezone`): `from` = its first instant, `to` = up to its end; 400 on `from` when
 *   the range is empty;
 * - pagination `page` / `limit` (≤ 200) answered as `{ data, pagination: { page, limit, total, pages } }`;
 * - the same range under the W3 Suite guide's names `startDate` / `endDate` (`guideRangeFilters`),
 *   on the lists whose guide uses them: the same values and meaning; one end given under both of
 *   its names (`from` and `startDate`, or `to` and `endDate`) is a 400 naming `startDate` / `endDate`;
 * - unknown query parameters as a 400, so a misspelt filter (`start_date`) is never silently ignored;
 * - a `number` filter: digits contained in one of the record's number columns;
 * - an item key that is the record id or the call id (FreeSWITCH Unique-ID).
 * The queries behind them are src/domain/record-listing.ts.
 */
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { excerpt } from '../domain/excerpt.js';
import { invalid } from './errors.js';
import { CustomerParams } from './schemas.js';

/** A date or a date-time; years from 1000 (PostgreSQL has no year 0). */
const bound = (description: string) =>
  Type.String({ anyOf: [{ format: 'date' }, { format: 'date-time' }], pattern: '^[1-9]', description });

/** The `from` / `to` query parameters over the start time of `what` (e.g. "calls"). */
export const rangeFilters = (what: string) => ({
  from: Type.Optional(bound(`${what} starting at or after this: a date-time with Z or an offset, or a date YYYY-MM-DD = from the start of that day in the customer's time zone`)),
  to: Type.Optional(bound(`${what} starting before this: a date-time with Z or an offset (exclusive), or a date YYYY-MM-DD = up to the end of that day in the customer's time zone`)),
});

/**
 * `startDate` / `endDate`: the W3 Suite guide's names of `from` / `to` (its `GET /api/voip/cdrs`
 * and `/ai-sessions`), the same values and meaning; src/domain/record-listing.ts reads either.
 */
export const guideRangeFilters = (what: string) => ({
  startDate: Type.Optional(bound(`the W3 Suite guide's name of from: ${what} starting at or after this (a date-time with Z or an offset, or a date YYYY-MM-DD = from the start of that day in the customer's time zone); not with from`)),
  endDate: Type.Optional(bound(`the W3 Suite guide's name of to: ${what} starting before this (a date-time with Z or an offset, exclusive, or a date YYYY-MM-DD = up to the end of that day in the customer's time zone); not with to`)),
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

const RecordKey = Type.String({ minLength: 1, maxLength: 255, description: 'the record id or the call id (FreeSWITCH Unique-ID)' });

/** The path parameters of an item route in one of the PATH_FORMS: `id` is a record id or a call id. */
export const recordParams = (form: { collection?: TObject }) =>
  form.collection ? Type.Object({ ...CustomerParams.properties, id: RecordKey }) : Type.Object({ id: RecordKey });

/** The `number` query parameter: digits (optionally a leading +) contained in `where`. */
export const NumberFilter = (where: string) =>
  Type.String({ pattern: '^\\+?[0-9*#]{1,32}$', description: `digits (optionally a leading +) contained in ${where}` });
