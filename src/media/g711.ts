/**
 * The sample formats of the AI agent's audio path: L16 (16-bit signed linear PCM, little-endian,
 * as FreeSWITCH's media fork sends and takes it and as OpenAI's `audio/pcm` carries it) and G.711
 * μ-law (ITU-T G.711, OpenAI's `audio/pcmu`), one byte per sample. The codec is alawmulaw's, the
 * classic Sun/CCITT g711.c algorithm (bias 0x84, clip 32635), which test/media/g711.test.ts checks
 * against the decoding formula of ITU-T G.711. At 8 kHz a 20 ms frame is 160 samples: 320 bytes
 * of L16, 160 bytes of μ-law.
 */
import { endianness } from 'node:os';
import alawmulaw from 'alawmulaw'; // CommonJS (UMD) only: its named exports exist only on the default import

/** On a little-endian host L16 bytes are the samples' own memory: views, not per-sample copies. */
const LITTLE_ENDIAN = endianness() === 'LE';

/** μ-law bytes of 16-bit samples, one per sample. */
export function encodeMulaw(pcm: Int16Array): Uint8Array {
  return alawmulaw.mulaw.encode(pcm);
}

/** 16-bit samples of μ-law bytes, one per byte. */
export function decodeMulaw(ulaw: Uint8Array): Int16Array {
  return alawmulaw.mulaw.decode(ulaw);
}

/**
 * The samples of little-endian L16 bytes: on a little-endian host a view of `buf` when its
 * byteOffset is even, else a copy (so any byteOffset works, such as a slice of a WebSocket
 * message). A trailing odd byte, not a whole sample, is ignored. Use the samples before `buf` is reused.
 */
export function l16FromBytes(buf: Uint8Array): Int16Array {
  if (LITTLE_ENDIAN) {
    const aligned = buf.byteOffset % 2 === 0 ? buf : Uint8Array.prototype.slice.call(buf);
    return new Int16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 1);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pcm = new Int16Array(buf.byteLength >> 1);
  for (let i = 0; i < pcm.length; i++) pcm[i] = view.getInt16(i * 2, true);
  return pcm;
}

/** Little-endian L16 bytes of samples, two per sample: on a little-endian host a view of `pcm`'s memory. */
export function bytesFromL16(pcm: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const buf = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) buf.writeInt16LE(pcm[i]!, i * 2);
  return buf;
}
