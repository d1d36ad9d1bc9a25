/**
 * Business hours of an AI-enabled number, in the W3 Suite `aiTimePolicy` shape:
 * `{ monday: { start: "09:00", end: "18:00" }, ..., sunday: null }`, evaluated in the tenant's
 * IANA time zone (luxon resolves DST). `start` is inclusive and `end` exclusive; an `end` earlier
 * than `start` spans midnight (e.g. 22:00–06:00 counts the early hours of the same weekday entry).
 */
import { DateTime } from 'luxon';
import type { BusinessHours, Weekday } from '../db/schema.js';

const WEEKDAYS: Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minutes(hhmm: string): number | null {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
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
