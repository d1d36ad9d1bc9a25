/**
 * How the record pages show times and durations: local date and time of the browser (the API
 * answers ISO 8601 UTC), durations as m:ss or h:mm:ss, a missing value as an em dash.
 */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/** `2026-11-23T10:00:00Z` → the browser's local date and time; null → "—". */
export function formatTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/** Seconds → `m:ss`, or `h:mm:ss` from an hour; null → "—". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A value or an em dash for null, undefined and "". */
export const orDash = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '—' : String(v));
