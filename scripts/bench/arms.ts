/**
 * Paired-slice measurement for `npm run bench:xmlcurl`: the ceiling and Switchplane take turns
 * in short slices (ceiling then Switchplane, then Switchplane then ceiling, ...) fired by one
 * long-running load generator (scripts/bench/load.ts), so that a machine whose speed changes
 * during the run (other processes on its cores) slows both arms of a pair alike. The ratio is
 * the median of the per-pair ratios; the ratio of the totals is given beside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { SliceCommand, SliceResult } from './load.js';

/** The load generator process, one slice at a time. */
export class LoadWorker {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterator<string>;

  constructor() {
    const script = new URL('./load.ts', import.meta.url).pathname;
    this.child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }

  async slice(command: SliceCommand): Promise<SliceResult> {
    this.child.stdin!.write(JSON.stringify(command) + '\n');
    const next = await this.lines.next();
    if (next.done) throw new Error('the load generator exited');
    return JSON.parse(next.value) as SliceResult;
  }

  stop(): void {
    this.child.stdin!.end();
    this.child.kill();
  }
}

/** One arm's figures over all its slices. */
export interface ArmFigures {
  requests: number;
  seconds: number;
  perSecond: number;
  /** Latency percentiles over every answer of every slice, ms. */
  p50: number;
  p99: number;
  /** Transport errors, timeouts and non-2xx answers. */
  errors: number;
  bodyBytes: number;
}

export interface PairedRun {
  ceiling: ArmFigures;
  ours: ArmFigures;
  /** Switchplane's answers ÷ the ceiling's, per pair of slices. */
  pairRatios: number[];
  /** The median of `pairRatios`. */
  ratio: number;
  /** Switchplane's answers ÷ the ceiling's over the whole run. */
  totalsRatio: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

class Arm {
  requests = 0;
  errors = 0;
  seconds = 0;
  bodyBytes = 0;
  private latencies: Float64Array[] = [];

  add(r: SliceResult, seconds: number): void {
    this.requests += r.requests;
    this.errors += r.errors + r.non2xx;
    this.seconds += seconds;
    this.bodyBytes = r.bodyBytes;
    this.latencies.push(Float64Array.from(r.latencies));
  }

  figures(): ArmFigures {
    const all = new Float64Array(this.latencies.reduce((n, l) => n + l.length, 0));
    let at = 0;
    for (const l of this.latencies) {
      all.set(l, at);
      at += l.length;
    }
    all.sort();
    return {
      requests: this.requests,
      seconds: this.seconds,
      perSecond: this.requests / this.seconds,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      errors: this.errors,
      bodyBytes: this.bodyBytes,
    };
  }
}

/**
 * Runs `pairs` pairs of `slice` each against the ceiling's and Switchplane's URLs, alternating
 * which goes first.
 * @param base the command without `url` and `seconds`
 * @param onOurs called around each Switchplane slice (`before`/`after`), e.g. to read its counters
 */
export async function runPaired(
  worker: LoadWorker,
  base: Omit<SliceCommand, 'url' | 'seconds'>,
  urls: { ceiling: string; ours: string },
  pairs: number,
  slice: number,
  onOurs: { before: () => Promise<void>; after: () => Promise<void> },
): Promise<PairedRun> {
  const ceiling = new Arm();
  const ours = new Arm();
  const pairRatios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? (['ceiling', 'ours'] as const) : (['ours', 'ceiling'] as const);
    const got: Partial<Record<'ceiling' | 'ours', SliceResult>> = {};
    for (const arm of order) {
      if (arm === 'ours') await onOurs.before();
      got[arm] = await worker.slice({ ...base, url: urls[arm], seconds: slice });
      if (arm === 'ours') await onOurs.after();
    }
    ceiling.add(got.ceiling!, slice);
    ours.add(got.ours!, slice);
    pairRatios.push(got.ours!.requests / Math.max(1, got.ceiling!.requests));
  }
  const c = ceiling.figures();
  const o = ours.figures();
  return { ceiling: c, ours: o, pairRatios, ratio: median(pairRatios), totalsRatio: o.requests / Math.max(1, c.requests) };
}
