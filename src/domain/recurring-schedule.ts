/**
 * When a recurring call runs next: the VoIP extensions guide's schedules (`daily` at a time,
 * `weekly` on a day at a time, `monthly` on a day of the month at a time) in an IANA time zone,
 * with luxon's zone data (the platform's ICU tz database through Intl).
 *
 * Every local date that matches the schedule maps to exactly one instant, so a call runs at most
 * once per local date, whatever the zone's clock changes do:
 * - a local time that does not exist (spring forward: Europe/Madrid 02:30 on the last Sunday of
 *   March) is read with the UTC offset before the gap, i.e. moved forward by the gap's length
 *   (03:30 CEST; 02:45 for 02:15 on Australia/Lord_Howe's half-hour change), as RFC 5545 §3.3.5
 *   and Temporal's `disambiguation: 'compatible'` define it;
 * - a local time that occurs twice (fall back: America/New_York 01:30 on the first Sunday of
 *   November) is its first occurrence (01:30 EDT), as RFC 5545 §3.3.5 defines it. (luxon itself
 *   picks either occurrence depending on the zone, so the offset is chosen here.)
 * A `dayOfMonth` beyond the month's last day (31 in April, 29 to 31 in February) is the month's
 * last day, leap years included.
 */
import { DateTime, IANAZone } from 'luxon';

export const FREQUENCIES = ['daily', 'weekly', 'monthly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export interface Schedule {
  frequency: Frequency;
  /** Local wall time `HH:MM`, 00:00 to 23:59. */
  time: string;
  /** Weekly only: 0 = Sunday, 1 = Monday, ..., 6 = Saturday (the guide's numbering). */
  dayOfWeek?: number | null;
  /** Monthly only: 1 to 31; past the month's last day, the last day. */
  dayOfMonth?: number | null;
  /** IANA time zone, e.g. `Europe/Madrid`. */
  timezone: string;
}

/** A schedule that cannot run, naming the field at fault. */
export class ScheduleError extends Error {
  constructor(
    readonly field: keyof Schedule,
    message: string,
  ) {
    super(message);
    this.name = 'ScheduleError';
  }
}

const TIME = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Checks what a schedule needs for its frequency.
 * @throws ScheduleError for a time outside 00:00–23:59, an unknown time zone, a missing or
 *   out-of-range `dayOfWeek` (weekly) or `dayOfMonth` (monthly), or one given for another frequency
 */
export function checkSchedule(s: Schedule): void {
  if (!FREQUENCIES.includes(s.frequency)) throw new ScheduleError('frequency', `frequency must be one of ${FREQUENCIES.join(', ')}`);
  if (!TIME.test(s.time)) throw new ScheduleError('time', `time must be HH:MM from 00:00 to 23:59, got "${s.time}"`);
  if (!IANAZone.isValidZone(s.timezone)) throw new ScheduleError('timezone', `unknown time zone "${s.timezone}" (an IANA name such as Europe/Madrid)`);
  const weekly = s.frequency === 'weekly';
  const monthly = s.frequency === 'monthly';
  if (weekly && (s.dayOfWeek === undefined || s.dayOfWeek === null)) throw new ScheduleError('dayOfWeek', 'a weekly schedule needs dayOfWeek (0 = Sunday ... 6 = Saturday)');
  if (monthly && (s.dayOfMonth === undefined || s.dayOfMonth === null)) throw new ScheduleError('dayOfMonth', 'a monthly schedule needs dayOfMonth (1 to 31)');
  if (!weekly && s.dayOfWeek != null) throw new ScheduleError('dayOfWeek', `dayOfWeek is for weekly schedules, not ${s.frequency}`);
  if (!monthly && s.dayOfMonth != null) throw new ScheduleError('dayOfMonth', `dayOfMonth is for monthly schedules, not ${s.frequency}`);
  if (weekly && !(Number.isInteger(s.dayOfWeek) && s.dayOfWeek! >= 0 && s.dayOfWeek! <= 6)) throw new ScheduleError('dayOfWeek', 'dayOfWeek must be 0 (Sunday) to 6 (Saturday)');
  if (monthly && !(Number.isInteger(s.dayOfMonth) && s.dayOfMonth! >= 1 && s.dayOfMonth! <= 31)) throw new ScheduleError('dayOfMonth', 'dayOfMonth must be 1 to 31');
}

/**
 * The instant of wall time `hour:minute` on local date `day` (a UTC DateTime holding the
 * calendar date) in `zone`: the first occurrence of a repeated time, and a time in a gap moved
 * forward by the gap. Assumes at most one offset change within a day of the wall time.
 */
export function localInstant(day: DateTime, hour: number, minute: number, zone: IANAZone): Date {
  const wall = Date.UTC(day.year, day.month - 1, day.day, hour, minute);
  const before = zone.offset(wall - DAY_MS);
  const after = zone.offset(wall + DAY_MS);
  const valid = [before, after]
    .map((offset) => wall - offset * MINUTE_MS)
    .filter((utc) => zone.offset(utc) * MINUTE_MS === wall - utc)
    .sort((a, b) => a - b);
  return new Date(valid[0] ?? wall - before * MINUTE_MS);
}

/** The local dates the schedule runs on, ascending, from the day before `from` (a UTC DateTime holding a date). */
function* runDates(s: Schedule, from: DateTime): Generator<DateTime> {
  if (s.frequency === 'monthly') {
    for (let month = from.startOf('month').minus({ months: 1 }); ; month = month.plus({ months: 1 })) {
      yield month.set({ day: Math.min(s.dayOfMonth!, month.daysInMonth!) });
    }
  }
  // luxon weekdays: 1 = Monday ... 7 = Sunday.
  const weekday = s.frequency === 'weekly' ? (s.dayOfWeek === 0 ? 7 : s.dayOfWeek!) : null;
  for (let day = from.minus({ days: 1 }); ; day = day.plus({ days: 1 })) {
    if (weekday === null || day.weekday === weekday) yield day;
  }
}

/**
 * The first run strictly after `after`.
 * @param s a schedule that passed `checkSchedule`
 */
export function nextRun(s: Schedule, after: Date): Date {
  const zone = IANAZone.create(s.timezone);
  const [hour, minute] = s.time.split(':').map(Number) as [number, number];
  const local = DateTime.fromJSDate(after, { zone });
  const from = DateTime.utc(local.year, local.month, local.day);
  let tries = 0;
  for (const day of runDates(s, from)) {
    const at = localInstant(day, hour, minute, zone);
    if (at.getTime() > after.getTime()) return at;
    if (++tries > 400) break;
  }
  throw new Error(`no run of ${JSON.stringify(s)} after ${after.toISOString()}`);
}

/** The columns of `recurring_calls` that hold a schedule. */
export interface StoredSchedule {
  frequency: Frequency;
  time_of_day: string;
  day_of_week: number | null;
  day_of_month: number | null;
  timezone: string;
}

export function scheduleOf(row: StoredSchedule): Schedule {
  return { frequency: row.frequency, time: row.time_of_day, dayOfWeek: row.day_of_week, dayOfMonth: row.day_of_month, timezone: row.timezone };
}

/** The first run of a stored schedule after `after`; null when it cannot run (a row written around the API). */
export function nextOf(row: StoredSchedule, after: Date): Date | null {
  const schedule = scheduleOf(row);
  try {
    checkSchedule(schedule);
  } catch {
    return null;
  }
  return nextRun(schedule, after);
}
