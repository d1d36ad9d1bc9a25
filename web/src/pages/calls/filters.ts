/**
 * The CDR list's filters as the API names them (src/api/cdrs.ts): `from`/`to` (a date
 * YYYY-MM-DD = that day in the customer's time zone), `direction`, `disposition`, `callType`,
 * `extension` (number), `number` (digits in the caller or called number). They live in the page's
 * query string, so a filtered list can be bookmarked; the CSV export takes the same ones.
 */
export const FILTER_KEYS = ['from', 'to', 'direction', 'disposition', 'callType', 'extension', 'number'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type CdrFilters = Partial<Record<FilterKey, string>>;

export const DIRECTIONS = ['inbound', 'outbound', 'internal'] as const;
export const DISPOSITIONS = ['ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CANCELLED'] as const;
export const CALL_TYPES = ['voice', 'ai_voice', 'transfer'] as const;

/** The filters set in `params` (empty values dropped). */
export function filtersOf(params: URLSearchParams): CdrFilters {
  const out: CdrFilters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value) out[key] = value;
  }
  return out;
}

/** The query string of `filters`, e.g. `direction=inbound&number=1001` ("" without filters). */
export function queryOf(filters: CdrFilters): string {
  const q = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filters[key]) q.set(key, filters[key]!);
  return q.toString();
}
