import t from 'tap';
import { bytesFromL16, decodeMulaw, encodeMulaw, l16FromBytes } from '../../src/media/g711.js';

/**
 * The μ-law decoding of ITU-T G.711 (Table 2a), in 16-bit units: the code's bits are inverted,
 * then bit 7 is the sign (set: negative), bits 6–4 the segment, bits 3–0 the mantissa, and the
 * magnitude is ((mantissa << 3) + 0x84) << segment, less the bias 0x84 (132: the standard's 33
 * in 14-bit units, times 4).
 */
function g711Decode(code: number): number {
  const inverted = ~code & 0xff;
  const segment = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << segment) - 0x84;
  return inverted & 0x80 ? -magnitude : magnitude;
}
const segmentOf = (code: number) => (~code >> 4) & 0x07;
const negative = (code: number) => (~code & 0x80) !== 0;
const encode1 = (x: number) => encodeMulaw(Int16Array.of(x))[0]!;
const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

t.test('every μ-law code decodes to the value of the G.711 formula', async (t) => {
  const decoded = decodeMulaw(ALL_CODES);
  t.equal(decoded.length, 256);
  const wrong = [...ALL_CODES].filter((c) => decoded[c] !== g711Decode(c));
  t.same(wrong, [], 'no code decodes differently');
  t.equal(decoded[0xff], 0, '0xFF is +0');
  t.equal(decoded[0x7f], 0, '0x7F is −0');
  t.equal(decoded[0x80], 32124, '0x80 is the largest positive value');
  t.equal(decoded[0x00], -32124, '0x00 is the largest negative value');
  t.equal(decoded[0xfe], 8, 'the smallest step of segment 0 is 8');
});

t.test('encoding is the inverse of decoding on every decoded value', async (t) => {
  const decoded = decodeMulaw(ALL_CODES);
  const back = encodeMulaw(decoded);
  const wrong = [...ALL_CODES].filter((c) => c !== 0x7f && back[c] !== c);
  t.same(wrong, [], 'every code but −0 comes back');
  t.equal(back[0x7f], 0xff, '−0 decodes to 0, which encodes as +0');
  t.equal(encode1(0), 0xff, 'encode(0) = 0xFF');
});

t.test('values either side of each segment boundary land in the segments of G.711', async (t) => {
  // The decision value between segments s − 1 and s: 31, 95, 223, …, 4063 in 14-bit units, × 4.
  for (let s = 1; s <= 7; s++) {
    const boundary = (128 << s) - 132;
    for (const sign of [1, -1]) {
      const below = encode1(sign * (boundary - 1));
      const above = encode1(sign * (boundary + 1));
      t.equal(segmentOf(below), s - 1, `${sign * (boundary - 1)} is in segment ${s - 1}`);
      t.equal(segmentOf(above), s, `${sign * (boundary + 1)} is in segment ${s}`);
      t.equal(negative(below), sign < 0);
      t.equal(negative(above), sign < 0);
    }
  }
  t.equal(encode1(32767), 0x80, 'the top clips to the largest positive code');
  t.equal(encode1(-32768), 0x00, 'the bottom clips to the largest negative code');
});

t.test('every 16-bit value up to the clip level decodes back within half a quantisation step', async (t) => {
  let worst = 0;
  for (let x = -32635; x <= 32635; x++) {
    const code = encode1(x);
    const halfStep = 4 << segmentOf(code); // steps are 8 << segment
    const error = Math.abs(decodeMulaw(Uint8Array.of(code))[0]! - x);
    if (error > halfStep) t.fail(`${x} → 0x${code.toString(16)} is off by ${error}`);
    worst = Math.max(worst, error / halfStep);
  }
  t.ok(worst <= 1, 'no value is quantised outside its decision interval');
});

t.test('L16 bytes are little-endian and round-trip', async (t) => {
  t.same([...bytesFromL16(Int16Array.of(1, -2, 0x1234, -32768, 32767))], [0x01, 0x00, 0xfe, 0xff, 0x34, 0x12, 0x00, 0x80, 0xff, 0x7f]);
  t.same([...l16FromBytes(Uint8Array.of(0x01, 0x80, 0xff, 0x7f))], [-32767, 32767]);
  const pcm = Int16Array.from({ length: 160 }, (_, i) => ((i * 2731) % 65536) - 32768);
  const bytes = bytesFromL16(pcm);
  t.ok(Buffer.isBuffer(bytes));
  t.equal(bytes.length, 320);
  t.same(l16FromBytes(bytes), pcm);
});

t.test('L16 samples are read from a Buffer at an odd byteOffset', async (t) => {
  const pcm = Int16Array.from({ length: 160 }, (_, i) => (i % 2 ? -i * 200 : i * 200));
  const message = Buffer.from(new ArrayBuffer(322), 0, 322); // as a ws message: a view into a larger buffer
  bytesFromL16(pcm).copy(message, 1);
  const slice = message.subarray(1, 321);
  t.equal(slice.byteOffset, 1);
  t.same(l16FromBytes(slice), pcm);
  t.same([...l16FromBytes(message.subarray(1, 4))], [pcm[0]], 'a trailing odd byte is not a sample');
});
