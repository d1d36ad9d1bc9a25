import t from 'tap';
import { createResampler } from '../../src/media/resampler.js';

const sine = (hz: number, rate: number, seconds: number, amplitude = 16384) =>
  Int16Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)));

/** Frequency from the rising zero crossings, each placed by linear interpolation between its two samples. */
function frequency(pcm: Int16Array, rate: number): number {
  const crossings: number[] = [];
  for (let i = 1; i < pcm.length; i++) {
    const a = pcm[i - 1]!;
    const b = pcm[i]!;
    if (a < 0 && b >= 0) crossings.push(i - 1 + -a / (b - a));
  }
  return ((crossings.length - 1) * rate) / (crossings.at(-1)! - crossings[0]!);
}

const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((sum, v) => sum + v * v, 0) / pcm.length);

/** The signal without its first 20 ms (the converter's look-ahead and settling) and last 10 ms. */
const steady = (pcm: Int16Array, rate: number) => pcm.subarray((rate * 20) / 1000, pcm.length - (rate * 10) / 1000);

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

for (const [from, to] of [[8000, 24000], [24000, 8000]] as const) {
  for (const hz of [1000, 440]) {
    t.test(`a 1 s ${hz} Hz sine keeps its duration, pitch and level from ${from} to ${to} Hz`, async (t) => {
      const input = sine(hz, from, 1);
      const resampler = await createResampler(from, to);
      t.teardown(() => resampler.close());
      const output = resampler.process(input);
      t.ok(Math.abs(output.length - to) <= 2, `${output.length} samples for 1 s at ${to} Hz`);
      const f = frequency(steady(output, to), to);
      t.ok(Math.abs(f - hz) / hz < 0.01, `measured ${f.toFixed(2)} Hz`);
      const db = 20 * Math.log10(rms(steady(output, to)) / rms(steady(input, from)));
      t.ok(Math.abs(db) < 1, `level changed by ${db.toFixed(3)} dB`);
    });
  }

  t.test(`20 ms chunks from ${from} to ${to} Hz come out as the one-shot conversion`, async (t) => {
    const input = sine(1000, from, 1);
    const whole = await createResampler(from, to);
    const chunked = await createResampler(from, to);
    t.teardown(() => {
      whole.close();
      chunked.close();
    });
    const oneShot = whole.process(input);
    const chunk = from / 50;
    const parts: Int16Array[] = [];
    for (let i = 0; i < input.length; i += chunk) parts.push(chunked.process(input.subarray(i, i + chunk)));
    const streamed = concat(parts);
    t.equal(streamed.length, oneShot.length, 'the same length');
    t.same(streamed, oneShot, 'the same samples: the filter state carried over');
    t.ok(parts.slice(1).every((p) => p.length === (chunk * to) / from), 'after the first, every chunk converts to exactly its duration');
  });
}

t.test('output beyond 16 bits is clamped', async (t) => {
  // A full-scale square wave overshoots (Gibbs) once band-limited.
  const square = Int16Array.from({ length: 8000 }, (_, i) => (Math.floor(i / 20) % 2 ? -32768 : 32767));
  const resampler = await createResampler(8000, 24000);
  t.teardown(() => resampler.close());
  const out = resampler.process(square);
  t.equal(Math.max(...out), 32767);
  t.equal(Math.min(...out), -32768);
});

t.test('a closed resampler throws; a rate out of bounds is refused', async (t) => {
  const resampler = await createResampler(24000, 8000);
  resampler.close();
  resampler.close();
  t.throws(() => resampler.process(new Int16Array(480)), /closed/);
  await t.rejects(createResampler(0, 8000), RangeError);
});
