import t from 'tap';
import { DateTime } from 'luxon';
import { checkSchedule, nextRun, type Schedule } from '../../src/domain/recurring-schedule.js';

const daily = (time: string, timezone: string): Schedule => ({ frequency: 'daily', time, timezone });
const weekly = (dayOfWeek: number, time: string, timezone: string): Schedule => ({ frequency: 'weekly', time, dayOfWeek, timezone });
const monthly = (dayOfMonth: number, time: string, timezone: string): Schedule => ({ frequency: 'monthly', time, dayOfMonth, timezone });

/** [what, schedule, the injected clock (now), the next run], instants in UTC. */
const CASES: Array<[string, Schedule, string, string]> = [
  // The guide's examples.
  ['daily 09:00 New York in winter (EST, UTC-5): the guide\'s nextExecution', daily('09:00', 'America/New_York'), '2025-01-15T15:00:00Z', '2025-01-16T14:00:00Z'],
  ['weekly Monday 10:30 Los Angeles, the day after DST began (PDT, UTC-7)', weekly(1, '10:30', 'America/Los_Angeles'), '2026-03-04T00:00:00Z', '2026-03-09T17:30:00Z'],
  ['weekly Monday 10:30 Los Angeles before DST (PST, UTC-8)', weekly(1, '10:30', 'America/Los_Angeles'), '2026-02-25T00:00:00Z', '2026-03-02T18:30:00Z'],
  ['monthly on the 15th 15:00 Madrid in summer (CEST, UTC+2)', monthly(15, '15:00', 'Europe/Madrid'), '2026-06-15T13:00:00Z', '2026-07-15T13:00:00Z'],
  // Ordinary days.
  ['daily 15:00 Madrid later the same day (CET, UTC+1)', daily('15:00', 'Europe/Madrid'), '2026-01-10T10:00:00Z', '2026-01-10T14:00:00Z'],
  ['a run exactly now is not next: tomorrow', daily('15:00', 'Europe/Madrid'), '2026-01-10T14:00:00Z', '2026-01-11T14:00:00Z'],
  ['weekly Monday 10:30 Madrid, on Monday before 10:30: today', weekly(1, '10:30', 'Europe/Madrid'), '2026-03-02T08:00:00Z', '2026-03-02T09:30:00Z'],
  ['weekly Sunday (0) 00:00 UTC from Saturday', weekly(0, '00:00', 'UTC'), '2026-03-07T12:00:00Z', '2026-03-08T00:00:00Z'],
  ['daily 23:59 Lord Howe (UTC+11 in January)', daily('23:59', 'Australia/Lord_Howe'), '2026-01-10T00:00:00Z', '2026-01-10T12:59:00Z'],
  // Spring forward: the local time does not exist; it runs once, moved forward by the gap.
  ['Madrid 02:30 on spring-forward day (02:00 CET → 03:00 CEST): 03:30 CEST', daily('02:30', 'Europe/Madrid'), '2026-03-28T02:00:00Z', '2026-03-29T01:30:00Z'],
  ['Madrid 02:30 the day after spring forward: 02:30 CEST', daily('02:30', 'Europe/Madrid'), '2026-03-29T01:30:00Z', '2026-03-30T00:30:00Z'],
  ['Madrid 02:00, the first minute of the gap: 03:00 CEST', daily('02:00', 'Europe/Madrid'), '2026-03-28T12:00:00Z', '2026-03-29T01:00:00Z'],
  ['Madrid 03:00 on spring-forward day exists (CEST)', daily('03:00', 'Europe/Madrid'), '2026-03-28T12:00:00Z', '2026-03-29T01:00:00Z'],
  ['New York 02:30 on spring-forward day (02:00 EST → 03:00 EDT): 03:30 EDT', daily('02:30', 'America/New_York'), '2026-03-07T12:00:00Z', '2026-03-08T07:30:00Z'],
  ['Los Angeles weekly Sunday 02:30 on spring-forward Sunday: 03:30 PDT', weekly(0, '02:30', 'America/Los_Angeles'), '2026-03-07T12:00:00Z', '2026-03-08T10:30:00Z'],
  ['Lord Howe 02:15 on its half-hour spring forward (02:00 +10:30 → 02:30 +11): 02:45 +11', daily('02:15', 'Australia/Lord_Howe'), '2026-10-03T00:00:00Z', '2026-10-03T15:45:00Z'],
  ['Lord Howe 02:15 the day after: 02:15 +11', daily('02:15', 'Australia/Lord_Howe'), '2026-10-03T15:45:00Z', '2026-10-04T15:15:00Z'],
  // Fall back: the local time occurs twice; it runs once, at the first.
  ['Madrid 02:30 on fall-back day (03:00 CEST → 02:00 CET): the first, 02:30 CEST', daily('02:30', 'Europe/Madrid'), '2026-10-24T12:00:00Z', '2026-10-25T00:30:00Z'],
  ['Madrid 02:30 after the first 02:30 of fall-back day: not the second, tomorrow\'s', daily('02:30', 'Europe/Madrid'), '2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z'],
  ['Madrid 02:30 between the two 02:30s of fall-back day: tomorrow\'s', daily('02:30', 'Europe/Madrid'), '2026-10-25T01:00:00Z', '2026-10-26T01:30:00Z'],
  ['New York 01:30 on fall-back day (02:00 EDT → 01:00 EST): the first, 01:30 EDT', daily('01:30', 'America/New_York'), '2026-10-31T12:00:00Z', '2026-11-01T05:30:00Z'],
  ['New York 01:30 after the first 01:30: tomorrow\'s, EST', daily('01:30', 'America/New_York'), '2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z'],
  ['Los Angeles weekly Sunday 01:30 on fall-back Sunday: the first, PDT', weekly(0, '01:30', 'America/Los_Angeles'), '2026-10-31T12:00:00Z', '2026-11-01T08:30:00Z'],
  ['Los Angeles weekly Sunday 01:30 after it: next Sunday, PST', weekly(0, '01:30', 'America/Los_Angeles'), '2026-11-01T08:30:00Z', '2026-11-08T09:30:00Z'],
  ['Lord Howe 01:45 on its half-hour fall back (02:00 +11 → 01:30 +10:30): the first, +11', daily('01:45', 'Australia/Lord_Howe'), '2026-04-04T00:00:00Z', '2026-04-04T14:45:00Z'],
  ['Lord Howe 01:45 after the first: tomorrow\'s, +10:30', daily('01:45', 'Australia/Lord_Howe'), '2026-04-04T14:45:00Z', '2026-04-05T15:15:00Z'],
  ['Lord Howe 01:15 on fall-back day occurs once (+11)', daily('01:15', 'Australia/Lord_Howe'), '2026-04-04T00:00:00Z', '2026-04-04T14:15:00Z'],
  // Month ends and leap years.
  ['monthly 31st in February 2026: the 28th', monthly(31, '15:00', 'Europe/Madrid'), '2026-01-31T14:00:00Z', '2026-02-28T14:00:00Z'],
  ['monthly 31st after February: March 31st (CEST)', monthly(31, '15:00', 'Europe/Madrid'), '2026-02-28T14:00:00Z', '2026-03-31T13:00:00Z'],
  ['monthly 31st in April: the 30th', monthly(31, '15:00', 'Europe/Madrid'), '2026-03-31T13:00:00Z', '2026-04-30T13:00:00Z'],
  ['monthly 31st over the year end: January 31st', monthly(31, '15:00', 'Europe/Madrid'), '2026-12-31T14:00:00Z', '2027-01-31T14:00:00Z'],
  ['monthly 31st in February of leap year 2028: the 29th', monthly(31, '09:00', 'America/New_York'), '2028-01-31T14:00:00Z', '2028-02-29T14:00:00Z'],
  ['monthly 29th in February 2027 (not a leap year): the 28th', monthly(29, '09:00', 'America/New_York'), '2027-01-29T14:00:00Z', '2027-02-28T14:00:00Z'],
  ['monthly 29th in February 2028: the 29th', monthly(29, '09:00', 'America/New_York'), '2028-01-29T14:00:00Z', '2028-02-29T14:00:00Z'],
  ['monthly 30th in February 2028: the 29th', monthly(30, '09:00', 'America/New_York'), '2028-02-01T00:00:00Z', '2028-02-29T14:00:00Z'],
  ['daily over the leap day', daily('00:00', 'UTC'), '2028-02-28T00:00:00Z', '2028-02-29T00:00:00Z'],
  ['monthly 1st 00:00 Madrid: the local date, not the UTC one', monthly(1, '00:00', 'Europe/Madrid'), '2026-03-31T22:30:00Z', '2026-04-30T22:00:00Z'],
  ['monthly 31st 02:30 Madrid in March: the 31st, in CEST', monthly(31, '02:30', 'Europe/Madrid'), '2026-03-01T00:00:00Z', '2026-03-31T00:30:00Z'],
  ['monthly 29th 02:30 Madrid, 29 March 2026 is spring-forward day: 03:30 CEST', monthly(29, '02:30', 'Europe/Madrid'), '2026-03-01T00:00:00Z', '2026-03-29T01:30:00Z'],
];

t.test('next run: a table of zones, DST transitions, month ends and leap years', async (t) => {
  for (const [what, schedule, now, expected] of CASES) {
    checkSchedule(schedule);
    t.equal(nextRun(schedule, new Date(now)).toISOString(), new Date(expected).toISOString(), what);
  }
});

/** The runs from `from` (exclusive) to `to`, following nextRun as the scheduler does. */
function runs(schedule: Schedule, from: string, to: string): string[] {
  const out: string[] = [];
  for (let at = nextRun(schedule, new Date(from)); at < new Date(to); at = nextRun(schedule, at)) out.push(at.toISOString());
  return out;
}

t.test('across a DST change a daily call runs exactly once each local day', async (t) => {
  t.same(runs(daily('02:30', 'Europe/Madrid'), '2026-03-27T12:00:00Z', '2026-03-31T00:00:00Z'), [
    '2026-03-28T01:30:00.000Z', // 02:30 CET
    '2026-03-29T01:30:00.000Z', // 02:30 does not exist: 03:30 CEST, once
    '2026-03-30T00:30:00.000Z', // 02:30 CEST
  ]);
  t.same(runs(daily('02:30', 'Europe/Madrid'), '2026-10-23T12:00:00Z', '2026-10-27T00:00:00Z'), [
    '2026-10-24T00:30:00.000Z',
    '2026-10-25T00:30:00.000Z', // 02:30 happens twice: the first only
    '2026-10-26T01:30:00.000Z',
  ]);
  for (const [zone, time, from, to] of [
    ['America/New_York', '02:30', '2026-03-06T00:00:00Z', '2026-03-11T00:00:00Z'],
    ['America/New_York', '01:30', '2026-10-30T00:00:00Z', '2026-11-04T00:00:00Z'],
    ['America/Los_Angeles', '01:15', '2026-10-30T00:00:00Z', '2026-11-04T00:00:00Z'],
    ['Australia/Lord_Howe', '02:10', '2026-10-01T00:00:00Z', '2026-10-07T00:00:00Z'],
    ['Australia/Lord_Howe', '01:40', '2026-04-02T00:00:00Z', '2026-04-08T00:00:00Z'],
  ] as const) {
    const got = runs(daily(time, zone), from, to);
    const days = got.map((iso) => DateTime.fromISO(iso, { zone }).toISODate());
    t.same(days, [...new Set(days)], `${zone} ${time}: one run per local date`);
    t.equal(got.length, Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000), `${zone} ${time}: no local date missed`);
  }
});

t.test('a schedule that cannot run names the field at fault', async (t) => {
  const bad: Array<[Schedule, keyof Schedule, RegExp]> = [
    [{ frequency: 'weekly', time: '10:00', timezone: 'Europe/Madrid' }, 'dayOfWeek', /weekly schedule needs dayOfWeek/],
    [{ frequency: 'monthly', time: '10:00', timezone: 'Europe/Madrid' }, 'dayOfMonth', /monthly schedule needs dayOfMonth/],
    [daily('24:00', 'Europe/Madrid'), 'time', /HH:MM from 00:00 to 23:59/],
    [daily('9:00', 'Europe/Madrid'), 'time', /HH:MM/],
    [daily('09:60', 'Europe/Madrid'), 'time', /HH:MM/],
    [daily('09:00', 'Mars/Olympus_Mons'), 'timezone', /unknown time zone "Mars\/Olympus_Mons"/],
    [{ ...daily('09:00', 'UTC'), dayOfWeek: 1 }, 'dayOfWeek', /for weekly schedules/],
    [{ ...weekly(1, '09:00', 'UTC'), dayOfMonth: 3 }, 'dayOfMonth', /for monthly/],
    [weekly(7, '09:00', 'UTC'), 'dayOfWeek', /0 \(Sunday\) to 6/],
    [monthly(32, '09:00', 'UTC'), 'dayOfMonth', /1 to 31/],
    [{ frequency: 'yearly' as 'daily', time: '09:00', timezone: 'UTC' }, 'frequency', /daily, weekly, monthly/],
  ];
  for (const [schedule, field, message] of bad) {
    t.throws(() => checkSchedule(schedule), { name: 'ScheduleError', field, message }, `${JSON.stringify(schedule)} → ${field}`);
  }
  t.doesNotThrow(() => checkSchedule(daily('00:00', 'UTC')));
  t.doesNotThrow(() => checkSchedule(daily('23:59', 'Australia/Lord_Howe')));
});
