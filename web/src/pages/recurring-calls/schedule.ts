/**
 * A recurring call's schedule as src/api/recurring-calls.ts takes it: `frequency` daily | weekly |
 * monthly, `time` HH:MM local, `dayOfWeek` 0 = Sunday ... 6 = Saturday (weekly only),
 * `dayOfMonth` 1 to 31 (monthly only; a shorter month uses its last day), `timezone` IANA
 * (empty: the customer's).
 */
export const FREQUENCIES = ['daily', 'weekly', 'monthly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];
export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export interface Schedule { frequency: Frequency; time: string; dayOfWeek?: number; dayOfMonth?: number; timezone?: string }

/** "Every Monday at 09:30 (Europe/Rome)". */
export function describeSchedule(s: Schedule): string {
  const when = s.frequency === 'weekly' ? `Every ${WEEKDAYS[s.dayOfWeek ?? 1]}` : s.frequency === 'monthly' ? `Monthly on day ${s.dayOfMonth}` : 'Every day';
  return `${when} at ${s.time}${s.timezone ? ` (${s.timezone})` : ''}`;
}

/** The schedule the API gets from the form: only the day field the frequency uses. */
export function scheduleBody(s: Schedule): Schedule {
  return {
    frequency: s.frequency,
    time: s.time,
    ...(s.frequency === 'weekly' ? { dayOfWeek: s.dayOfWeek ?? 1 } : {}),
    ...(s.frequency === 'monthly' ? { dayOfMonth: s.dayOfMonth ?? 1 } : {}),
    ...(s.timezone ? { timezone: s.timezone } : {}),
  };
}
