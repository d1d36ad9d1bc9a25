/**
 * "Open now?": whether an instant falls inside business hours in the customer's IANA time zone,
 * the rule the call router applies (src/domain/business-hours.ts): no hours = always open; a
 * day absent or null is closed; start inclusive, end exclusive; an end before the start spans
 * midnight. luxon resolves the zone's offset and DST.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, type BusinessHours } from './number-api';

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The wall clock in `zone` at `at`, or null when the zone is not a known IANA zone. */
export function localTime(zone: string, at: Date): DateTime | null {
  const local = DateTime.fromJSDate(at, { zone });
  return local.isValid ? local : null;
}

/**
 * @returns true inside the hours, false outside, null when the time zone is unknown
 */
export function isOpenAt(hours: BusinessHours | null, zone: string, at: Date): boolean | null {
  const local = localTime(zone, at);
  if (!local) return null;
  if (!hours) return true;
  const day = hours[WEEKDAYS[local.weekday - 1]!];
  if (!day) return false;
  const start = minutes(day.start);
  const end = minutes(day.end);
  const now = local.hour * 60 + local.minute;
  return start <= end ? now >= start && now < end : now >= start || now < end;
}
