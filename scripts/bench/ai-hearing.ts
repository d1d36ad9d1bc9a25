/**
 * What the callers of `npm run bench:ai` heard of each answer, from the RTP packets they received
 * (scripts/bench/ai-callers.ts). Definitions, printed by the bench:
 *
 * - An answer: the packets that arrived between its turn's reference time and the next turn's,
 *   from the first loud one (peak sample ≥ LOUD) to the last loud one.
 * - Missing audio inside an answer, on the switch's own RTP clock (what a phone's jitter buffer
 *   plays): 20 ms for every frame the RTP timestamp skipped (a step of k×160 is k−1 frames missing;
 *   with `rtp-timer-name soft` a frame FreeSWITCH had no audio for at its tick is skipped) and for
 *   every silent packet (peak < LOUD) between loud ones. A gap is a run of missing audio between
 *   two loud packets, ms; a hole is a gap over HOLE_MS (20 ms beyond the 20 ms packet interval:
 *   two frames or more). Single missing frames are counted apart.
 * - Arrival gap: the time between two packets' arrival at the caller less the 20 ms interval; it
 *   includes the callers' own event loop, whose lag is printed beside it.
 * - Latency: the first loud packet's arrival − the answer's start at its source (the mock sending
 *   its first audio delta; for the ceiling, the bench sending `uuid_broadcast`).
 */
import type { CallRecord } from './ai-callers.js';

/** A packet is loud (agent audio, not silence) from this peak sample on. */
export const LOUD = 500;
/** A gap over this is a hole, ms. */
export const HOLE_MS = 20;
const FRAME_MS = 20;
const FRAME_TS = 160;

/** Where to look for one answer in a call's packets, wallMs. */
export interface AnswerWindow {
  from: number;
  to: number;
  /** When the source started the answer, wallMs (undefined: it never did). */
  sourceAt: number | undefined;
  /** The answer's audio, ms. */
  expectedMs: number;
}

export interface Heard {
  /** Loud audio heard, ms. */
  heardMs: number;
  /** The largest gap inside the answer, ms (0: none). */
  worstGapMs: number;
  holes: number;
  /** Single frames missing (a 20 ms gap). */
  singles: number;
  worstArrivalGapMs: number;
  latencyMs: number | undefined;
}

/** What one call heard in `w`. */
export function hear(call: CallRecord, w: AnswerWindow): Heard {
  const idx: number[] = [];
  for (let i = 0; i < call.at.length; i++) if (call.at[i]! >= w.from && call.at[i]! < w.to) idx.push(i);
  const first = idx.findIndex((i) => call.peak[i]! >= LOUD);
  let last = idx.length - 1;
  while (last >= 0 && call.peak[idx[last]!]! < LOUD) last--;
  const heard: Heard = { heardMs: 0, worstGapMs: 0, holes: 0, singles: 0, worstArrivalGapMs: 0, latencyMs: undefined };
  if (first < 0) return heard;
  heard.latencyMs = w.sourceAt === undefined ? undefined : call.at[idx[first]!]! - w.sourceAt;
  heard.heardMs = FRAME_MS;
  let run = 0;
  for (let k = first + 1; k <= last; k++) {
    const [a, b] = [idx[k - 1]!, idx[k]!];
    const step = (call.ts[b]! - call.ts[a]!) >>> 0;
    if (step < 8000 * 60) run += Math.max(0, Math.round(step / FRAME_TS) - 1) * FRAME_MS; // else out of order: nothing missing
    heard.worstArrivalGapMs = Math.max(heard.worstArrivalGapMs, call.at[b]! - call.at[a]! - FRAME_MS);
    if (call.peak[b]! < LOUD) {
      run += FRAME_MS;
      continue;
    }
    heard.heardMs += FRAME_MS;
    if (run > HOLE_MS) heard.holes++;
    else if (run > 0) heard.singles++;
    heard.worstGapMs = Math.max(heard.worstGapMs, run);
    run = 0;
  }
  return heard;
}

/** One step's figures, over its calls. */
export interface StepFigures {
  calls: number;
  up: number;
  answers: number;
  /** Answers with no loud packet, or whose loud audio fell short of the answer by more than 2 frames. */
  short: number;
  callsWithHoles: number;
  holes: number;
  singles: number;
  worstGapMs: number;
  worstArrivalGapMs: number;
  latency: { p50: number; p99: number; max: number; n: number };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** Summarises the answers heard per call (`perCall[i]`: that call's answers; an empty list for a call never up). */
export function figures(perCall: Array<{ up: boolean; answers: Array<Heard & { expectedMs: number }> }>): StepFigures {
  const f: StepFigures = { calls: perCall.length, up: 0, answers: 0, short: 0, callsWithHoles: 0, holes: 0, singles: 0, worstGapMs: 0, worstArrivalGapMs: 0, latency: { p50: NaN, p99: NaN, max: NaN, n: 0 } };
  const latencies: number[] = [];
  for (const call of perCall) {
    if (call.up) f.up++;
    let holes = 0;
    for (const a of call.answers) {
      f.answers++;
      if (a.heardMs < a.expectedMs - 2 * FRAME_MS) f.short++;
      holes += a.holes;
      f.singles += a.singles;
      f.worstGapMs = Math.max(f.worstGapMs, a.worstGapMs);
      f.worstArrivalGapMs = Math.max(f.worstArrivalGapMs, a.worstArrivalGapMs);
      if (a.latencyMs !== undefined) latencies.push(a.latencyMs);
    }
    f.holes += holes;
    if (holes > 0) f.callsWithHoles++;
  }
  latencies.sort((a, b) => a - b);
  f.latency = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN, n: latencies.length };
  return f;
}

/** Whether the step passed: every call up, every answer heard whole, no hole. */
export const passed = (f: StepFigures): boolean => f.up === f.calls && f.short === 0 && f.callsWithHoles === 0;
