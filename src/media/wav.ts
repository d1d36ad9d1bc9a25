/**
 * WAV files of 16-bit PCM: the canonical 44-byte RIFF/WAVE header (`RIFF` size `WAVE`, a 16-byte
 * `fmt ` chunk with format tag 1, then one `data` chunk; Microsoft RIFF "Multimedia Programming
 * Interface and Data Specifications 1.0", WAVE format) in front of the samples, which are copied
 * in one block. The header is written here rather than with the `wavefile` package the tests read
 * WAVs with: that package copies sample by sample, about 270 ms of blocked event loop per 10
 * minutes of stereo 8 kHz audio, on the loop that also paces the AI agent's audio.
 */

/** Bytes of the header `wavFile` writes. */
export const WAV_HEADER_BYTES = 44;

/**
 * A WAV file of `pcm`: interleaved 16-bit signed little-endian samples (L16 as mod_audio_stream
 * sends them), `channels` per frame, `sampleRate` frames per second. A trailing part frame is dropped.
 * @throws RangeError when the audio is larger than a RIFF file holds (4 GiB)
 */
export function wavFile(pcm: readonly Buffer[], sampleRate: number, channels: number): Buffer {
  const frameBytes = 2 * channels;
  const total = pcm.reduce((n, b) => n + b.length, 0);
  const dataBytes = total - (total % frameBytes);
  if (dataBytes + WAV_HEADER_BYTES - 8 > 0xffffffff) throw new RangeError('audio too large for a WAV file');
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(WAV_HEADER_BYTES - 8 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * frameBytes, 28); // bytes per second
  header.writeUInt16LE(frameBytes, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([header, ...pcm], WAV_HEADER_BYTES + dataBytes);
}

/** Milliseconds of audio in `bytes` of 16-bit PCM with `channels` channels at `sampleRate`. */
export function pcmDurationMs(bytes: number, sampleRate: number, channels: number): number {
  return Math.floor(bytes / (2 * channels)) * 1000 / sampleRate;
}
