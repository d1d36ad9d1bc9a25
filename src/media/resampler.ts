/**
 * Streaming sample-rate conversion of mono 16-bit PCM (8 kHz ↔ 24 kHz for OpenAI's `audio/pcm`),
 * by libsamplerate (Erik de Castro Lopo's Secret Rabbit Code) compiled to WebAssembly
 * (@alexanderolsen/libsamplerate-js), through its `full` API: the filter state carries over from
 * one chunk to the next, so a stream cut in 20 ms chunks comes out as if converted in one piece.
 *
 * Converter: SRC_SINC_FASTEST (band-limited sinc, 97 dB SNR, 80 % of the lower Nyquist passed:
 * 3.2 kHz at 8 kHz). SRC_SINC_MEDIUM_QUALITY was measured (Node 20, one core, 20 ms chunks) at
 * about 6,000 chunks/s 8k→24k and 7,000 24k→8k: 200 calls in both directions would take about
 * three cores. SRC_SINC_FASTEST does about 15,000 and 16,500: about 0.7 core for 200 calls
 * upstream and 0.6 while all 200 agents speak.
 *
 * Duration is kept: the converter holds back its look-ahead (FASTEST: about 2.5 ms) and produces
 * nothing for it, so the stream's first output is led by that many samples of silence; from then
 * on the output of `n` input samples totals round(n × toRate / fromRate), give or take a sample.
 * The look-ahead's last input samples stay in the filter (there is no end-of-stream flush).
 *
 * Cost: each resampler is its own WebAssembly instance: about 8 ms of blocking compile on
 * creation, 26 MB of reserved linear memory, about 1.6 MB resident.
 */
import libsamplerate from '@alexanderolsen/libsamplerate-js'; // CommonJS (UMD) only: no named exports in ESM

type Src = Awaited<ReturnType<typeof libsamplerate.create>>;

export interface Resampler {
  /** The next chunk of the stream at `toRate`; input and output are 16-bit, out-of-range output is clamped. */
  process(pcm: Int16Array): Int16Array;
  /** Frees the converter; `process()` then throws. */
  close(): void;
}

/**
 * A streaming resampler from `fromRate` to `toRate` (samples per second, mono).
 * @throws RangeError when a rate is outside 1..192000 (libsamplerate-js's bounds)
 */
export async function createResampler(fromRate: number, toRate: number): Promise<Resampler> {
  try {
    const src = await libsamplerate.create(1, fromRate, toRate, { converterType: libsamplerate.ConverterType.SRC_SINC_FASTEST });
    return new SincResampler(src, toRate / fromRate);
  } catch (err) {
    throw new RangeError(`libsamplerate-js: ${String(err)}`); // it throws strings
  }
}

class SincResampler implements Resampler {
  private inTotal = 0;
  private outTotal = 0;
  private started = false;
  private closed = false;

  constructor(
    private readonly src: Src,
    private readonly ratio: number,
  ) {}

  process(pcm: Int16Array): Int16Array {
    if (this.closed) throw new Error('resampler closed');
    if (pcm.length === 0) return new Int16Array(0);
    const input = new Float32Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) input[i] = pcm[i]! / 32768;
    const output = this.src.full(input);
    this.inTotal += pcm.length;
    // Until the converter has its look-ahead it produces less; the shortfall is led with silence, once.
    const lead = this.started ? 0 : Math.max(0, Math.round(this.inTotal * this.ratio) - this.outTotal - output.length);
    this.started ||= output.length > 0;
    const out = new Int16Array(lead + output.length);
    for (let i = 0; i < output.length; i++) out[lead + i] = Math.max(-32768, Math.min(32767, Math.round(output[i]! * 32768)));
    this.outTotal += out.length;
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.src.destroy();
  }
}
