/**
 * RTP port ranges for test switches that run at the same time (tap runs test files in parallel):
 * the test switch's RTP ports, 17100–17999, cut into RANGES ranges of RANGE_SIZE ports, each held
 * by one FreeSWITCH through a lock file (proper-lockfile's atomic mkdir, refreshed while held, stale
 * after 30 s when its process died) under the system temp folder, so two switches never hand out
 * the same media port. A range of 100 ports carries 50 call legs at once (FreeSWITCH takes an even
 * port per stream); the tests hold a handful.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';

export const RTP_FIRST_PORT = 17100;
export const RANGE_SIZE = 100;
export const RANGES = 9;
/**
 * RTP ports (inclusive) for the switches of a bench, which runs alone under the real-switch lock
 * and carries more calls than a test range: 1,000 ports each (500 legs), outside the test ranges
 * and outside freeListenPort's 20000–31999 (test/helpers/sipp.ts). No lock file: the real-switch
 * lock keeps benches apart.
 */
export const BENCH_RTP_RANGES = [{ start: 18000, end: 18999 }, { start: 19000, end: 19999 }] as const;
const LOCKS = path.join(tmpdir(), 'switchplane-rtp-ranges');

export interface RtpRange {
  /** rtp-start-port of switch.conf. */
  start: number;
  /** rtp-end-port of switch.conf (inclusive). */
  end: number;
  /** Gives the range back (idempotent). */
  release(): Promise<void>;
}

/**
 * Takes a free range, waiting (up to `timeoutMs`) while all are held.
 * @throws Error when no range came free within `timeoutMs`
 */
export async function takeRtpRange(timeoutMs = 600_000): Promise<RtpRange> {
  mkdirSync(LOCKS, { recursive: true });
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (let i = 0; i < RANGES; i++) {
      const release = await lockfile
        .lock(LOCKS, { realpath: false, lockfilePath: path.join(LOCKS, `${i}.lock`), stale: 30_000, update: 10_000, onCompromised: () => undefined })
        .catch(() => undefined);
      if (!release) continue;
      let released: Promise<void> | undefined;
      const start = RTP_FIRST_PORT + i * RANGE_SIZE;
      return { start, end: start + RANGE_SIZE - 1, release: () => (released ??= release().catch(() => undefined)) };
    }
    if (Date.now() > end) throw new Error(`all ${RANGES} RTP port ranges of ${RTP_FIRST_PORT}–${RTP_FIRST_PORT + RANGES * RANGE_SIZE - 1} stayed taken for ${timeoutMs} ms`);
    await sleep(500);
  }
}
