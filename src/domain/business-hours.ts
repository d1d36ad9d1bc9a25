/**
 * Business hours of an AI-enabled number, in the W3 Suite `aiTimePolicy` shape:
 * `{ monday: { start: "09:00", end: "18:00" }, ..., sunday: null }`, evaluated in the tenant's
 * IANA time zone (luxon resolves DST). `start` is inclusive and `end` exclusive; an `end` earlier
 * than `start` spans midnight (e.g. 22:00–06:00 counts the early hours of the same weekday entry).
 * `parseBusinessHours` checks them as a client sends them (src/domain/number-records.ts).
 */
import { DateTime } from 'luxon';
import type { BusinessHours, Weekday } from '../db/schema.js';
import { FieldError } from './errors.js';
import { excerpt } from './excerpt.js';

export const WEEKDAYS: readonly Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
/** `HH:MM`, 00:00–23:59. */
export const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

function minutes(hhmm: string): number | null {
  if (!HHMM.test(hhmm)) return null;
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/**
 * Checks business hours and returns them rebuilt from known keys only.
 * @throws FieldError (`businessHours`, `businessHours.<day>`, `businessHours.<day>.start|end`)
 */
export function parseBusinessHours(value: unknown, field = 'businessHours'): BusinessHours | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new FieldError(field, `${field} must be an object with weekdays (monday … sunday), or null for always open`);
  const out: BusinessHours = {};
  for (const [day, hours] of Object.entries(value as Record<string, unknown>)) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) throw new FieldError(field, `${field}: ${excerpt(day)} is not a weekday; use monday … sunday`);
    const at = `${field}.${day}`;
    if (hours === null) {
      out[day as Weekday] = null;
      continue;
    }
    if (typeof hours !== 'object' || Array.isArray(hours)) throw new FieldError(at, `${at} must be { "start": "HH:MM", "end": "HH:MM" }, or null for closed`);
    const { start, end } = hours as { start?: unknown; end?: unknown };
    for (const [name, v] of [['start', start], ['end', end]] as const) {
      if (typeof v !== 'string' || !HHMM.test(v)) throw new FieldError(`${at}.${name}`, `${at}.${name} must be HH:MM from 00:00 to 23:59`);
    }
    if (start === end) throw new FieldError(at, `${at}: start equals end; use null for a closed day, or 00:00–23:59`);
    out[day as Weekday] = { start: start as string, end: end as string };
  }
  return out;
}

/**
 * Whether `at` falls inside `hours` in `timeZone`. No policy (`null`) means always open; a day
 * that is absent, `null` or malformed is closed.
 * @throws RangeError when `timeZone` is not a known IANA zone
 */
export function isWithinBusinessHours(hours: BusinessHours | null, timeZone: string, at: Date): boolean {
  if (!hours) return true;
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!local.isValid) throw new RangeError(`unknown time zone ${timeZone}`);
  const day = hours[WEEKDAYS[local.weekday - 1]!];
  if (!day) return false;
  const start = minutes(day.start);
  const end = minutes(day.end);
  if (start === null || end === null) return false;
  const now = local.hour * 60 + local.minute;
  return start <= end ? now >= start && now < end : now >= start || now < end;
}
