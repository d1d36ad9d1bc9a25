/**
 * The one wait of the tests: for a state that no event announces (a change notice travelling
 * through PostgreSQL NOTIFY, a BACKGROUND_JOB, a refused connect, a process on the real switch),
 * ask again every `intervalMs` until the answer is truthy.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** The real clock, taken before any test installs fake timers. */
const now: () => number = Date.now.bind(Date);

export interface EventuallyOptions {
  /** Give up after this many milliseconds (default 15000, as the real-switch helpers' `until`: two test files at a time on two busy cores). */
  timeoutMs?: number;
  /** Milliseconds between two checks (default 20). */
  intervalMs?: number;
}

type Falsy = false | 0 | '' | null | undefined;

/**
 * Calls `check` until it returns (or resolves to) a truthy value, and resolves with that value.
 * With `until`, calls `read` until `until(value)` holds and resolves with that value, whatever it
 * is (null included). A check or read that throws counts as not yet. Checks at least once, however
 * short `timeoutMs` is.
 * @param what the awaited state, for the error message
 * @throws Error `<what>: not within <timeoutMs> ms (last: <last value or error>)` once `timeoutMs` have passed
 */
export function eventually<T>(what: string, read: () => T | Promise<T>, opts: EventuallyOptions & { until: (value: T) => boolean }): Promise<T>;
export function eventually<T>(what: string, check: () => T | Falsy | Promise<T | Falsy>, opts?: EventuallyOptions): Promise<T>;
export async function eventually<T>(what: string, check: () => T | Promise<T>, opts: EventuallyOptions & { until?: (value: T) => boolean } = {}): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 20, until = Boolean } = opts;
  const end = now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (until(value)) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (now() >= end) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${describe(last)})`);
    await sleep(intervalMs);
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 500 ? `${text.slice(0, 500)}…` : text;
  } catch {
    return String(value);
  }
}
