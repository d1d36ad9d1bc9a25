/**
 * Helpers of the list-route tests (CDRs, AI sessions): a list request, the expected order
 * (newest first, equal start times by id descending) and a check of a filtered list.
 */
import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { call } from './api.js';

/** For the records of `GET /api/v1/{resource}` (or under another prefix), started at `start(record)`. */
export function listing<R extends { id: string }>(app: FastifyInstance, resource: string, defaultKey: string, start: (r: R) => Date) {
  const list = (key: string | null, query: string, headers: Record<string, string> = {}, prefix = '/api/v1') =>
    call(app, key, 'GET', `${prefix}/${resource}?${query}`, undefined, headers);
  /** Newest first; equal start times by id descending. */
  const newestFirst = (rows: R[]) => [...rows].sort((a, b) => start(b).getTime() - start(a).getTime() || (a.id < b.id ? 1 : -1));
  /** Lists with `query` and checks ids, order and total against `expected` filtered by hand. */
  const expectRows = async (t: Test, query: string, expected: R[], key = defaultKey) => {
    const res = await list(key, `limit=200&${query}`);
    t.equal(res.status, 200, query);
    t.same(res.body.data.map((r: { id: string }) => r.id), newestFirst(expected).map((r) => r.id), query);
    t.equal(res.body.pagination.total, expected.length, `${query}: total`);
  };
  const startIn = (from: string, to: string) => (r: R) => start(r) >= new Date(from) && start(r) < new Date(to);
  /** Each `[query, field]` of `cases` and of RANGE_AND_PAGE_ERRORS lists 400 validation_failed naming `field`. */
  const expectInvalid = async (t: Test, cases: Array<[string, string]>) => {
    for (const [query, field] of [...RANGE_AND_PAGE_ERRORS, ...cases]) {
      const res = await list(defaultKey, query);
      t.equal(res.status, 400, query);
      t.match(res.body.error, { code: 'validation_failed', field }, query);
    }
  };
  return { list, newestFirst, expectRows, startIn, expectInvalid };
}

/** Bad `from` / `to` (or `startDate` / `endDate`) / `page` / `limit` and an unknown parameter: the field each 400 names. */
export const RANGE_AND_PAGE_ERRORS: Array<[string, string]> = [
  ['from=yesterday', 'from'],
  ['from=2026-02-30', 'from'],
  ['from=2026-11-23T10:00:00', 'from'],
  ['to=2026-13-01', 'to'],
  ['to=23/11/2026', 'to'],
  ['from=0000-01-01', 'from'],
  ['to=0000-12-31T10:00:00Z', 'to'],
  ['from=2026-11-24&to=2026-11-23', 'from'],
  ['from=2026-11-23T10:00:00Z&to=2026-11-23T09:00:00Z', 'from'],
  ['limit=0', 'limit'],
  ['limit=201', 'limit'],
  ['limit=ten', 'limit'],
  ['page=0', 'page'],
  ['start_date=2026-11-01', 'start_date'],
  // The W3 Suite guide's names of from / to: checked the same way, and one end under one name only.
  ['startDate=yesterday', 'startDate'],
  ['endDate=2026-13-01', 'endDate'],
  ['endDate=2026-11-23T10:00:00', 'endDate'],
  ['startDate=2026-11-24&endDate=2026-11-23', 'startDate'],
  ['from=2026-11-01&startDate=2026-11-01', 'startDate'],
  ['to=2026-11-30&endDate=2026-11-30', 'endDate'],
];
