/**
 * Instants around the demo's office hours (Europe/Rome, Monday to Friday 09:00–18:00, end
 * exclusive), across both DST changes of 2026: `[UTC instant, open, label]`. Shared by the
 * routing table (test/domain/call-routing.test.ts) and the dialplan test through FreeSWITCH's
 * lookup (test/xmlcurl/dialplan.test.ts).
 */
export const OFFICE_HOURS_BOUNDARIES: ReadonlyArray<readonly [at: string, open: boolean, label: string]> = [
  ['2026-03-27T07:59:00Z', false, 'Friday 08:59 CET'],
  ['2026-03-27T08:00:00Z', true, 'Friday 09:00 CET'],
  ['2026-03-27T16:59:00Z', true, 'Friday 17:59 CET'],
  ['2026-03-27T17:00:00Z', false, 'Friday 18:00 CET: end is exclusive'],
  ['2026-03-28T10:00:00Z', false, 'Saturday 11:00: closed'],
  ['2026-03-30T06:59:00Z', false, 'Monday 08:59 CEST, after spring-forward'],
  ['2026-03-30T07:00:00Z', true, 'Monday 09:00 CEST'],
  ['2026-03-30T15:59:00Z', true, 'Monday 17:59 CEST'],
  ['2026-03-30T16:00:00Z', false, 'Monday 18:00 CEST'],
  ['2026-10-26T07:30:00Z', false, 'Monday 08:30 CET, after fall-back'],
  ['2026-10-26T08:00:00Z', true, 'Monday 09:00 CET'],
];
