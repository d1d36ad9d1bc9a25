/** Figures of the dashboard as people read them. */

/** Seconds as `m:ss` or `h:mm:ss`. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Today's date in the browser, `YYYY-MM-DD` (the API reads a date as that day in the customer's time zone). */
export function todayDate(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** An ISO time as its hour in the browser's time zone and language, e.g. `14` or `2 PM`. */
export function hourLabel(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: 'numeric' });
}
