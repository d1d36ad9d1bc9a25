/**
 * What both processes of `npm run bench:media` share: the clock, latency samples and their
 * summaries, and the marker that names a caller frame.
 *
 * Times are `wallMs()`, milliseconds since the epoch at performance.now() resolution
 * (performance.timeOrigin + performance.now()), so a time taken in one process can be compared
 * with one taken in the other.
 *
 * The marker: the fake FreeSWITCH writes its call's index and the frame's sequence number into
 * the first MARKER_SAMPLES samples of every 20 ms caller frame (8 kHz L16, 160 samples), four
 * bits a sample, as one of 16 small levels (0, 8, …, 120) that G.711 μ-law keeps exactly apart
 * (codes 0xFF down to 0xF0). Switchplane encodes the frame to μ-law (AI_AUDIO_FORMAT=pcmu) and
 * appends it unchanged otherwise, so the mock reads the marker back from the first bytes of the
 * `input_audio_buffer.append` and knows which call and frame it is. The levels are far below the
 * VAD threshold (an RMS of at most ~25 over the frame against ~520), so silence stays silence.
 */
import { encodeMulaw } from '../../src/media/g711.js';

/** Milliseconds since the epoch, sub-millisecond, comparable across processes. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/** Count, median, 99th percentile and maximum of some milliseconds (NaN when there are none). */
export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** How many exceeded the threshold given to `summary()`. */
  over: number;
}

/** Latency samples with the time each was taken, in growing typed arrays. */
export class Samples {
  private at = new Float64Array(1024);
  private ms = new Float64Array(1024);
  private n = 0;

  push(at: number, ms: number): void {
    if (this.n === this.at.length) {
      const grow = (a: Float64Array) => {
        const bigger = new Float64Array(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      [this.at, this.ms] = [grow(this.at), grow(this.ms)];
    }
    this.at[this.n] = at;
    this.ms[this.n++] = ms;
  }

  /** The samples taken in [from, to] (wallMs; default all); `over` counts those above `threshold` ms. */
  summary(from = -Infinity, to = Infinity, threshold = Infinity): Summary {
    const picked: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.at[i]! >= from && this.at[i]! <= to) picked.push(this.ms[i]!);
    const sorted = Float64Array.from(picked).sort();
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
    return { n: sorted.length, p50: pct(50), p99: pct(99), max: sorted.at(-1) ?? NaN, over: picked.filter((v) => v > threshold).length };
  }
}

/** Samples of a frame the marker takes: 3 for the call index (< 4096), 4 for the sequence number (< 65536, 21 min of 20 ms frames). */
export const MARKER_SAMPLES = 7;
const LEVEL = 8;
/** μ-law code → the 4 bits its level carries. */
const BITS = new Map<number, number>();
for (let bits = 0; bits < 16; bits++) BITS.set(encodeMulaw(Int16Array.of(bits * LEVEL))[0]!, bits);
if (BITS.size !== 16) throw new Error('the marker levels do not survive μ-law');

/** Writes the marker of frame `seq` of call `call` over the first samples of an L16 frame (bytes, little-endian). */
export function markFrame(frame: Buffer, call: number, seq: number): void {
  const value = call * 0x10000 + (seq & 0xffff);
  for (let i = 0; i < MARKER_SAMPLES; i++) frame.writeInt16LE(Math.floor(value / 16 ** (MARKER_SAMPLES - 1 - i)) % 16 * LEVEL, i * 2);
}

/** The call index and sequence number in a μ-law append (its base64 `audio`); undefined when it carries no marker. */
export function readMarker(audioBase64: string): { call: number; seq: number } | undefined {
  const bytes = Buffer.from(audioBase64.slice(0, 4 * Math.ceil(MARKER_SAMPLES / 3)), 'base64');
  let value = 0;
  for (let i = 0; i < MARKER_SAMPLES; i++) {
    const bits = BITS.get(bytes[i] ?? -1);
    if (bits === undefined) return undefined;
    value = value * 16 + bits;
  }
  return { call: Math.floor(value / 0x10000), seq: value % 0x10000 };
}
