/**
 * Reads the speech fixtures (test/fixtures/speech/, made by espeak-ng + sox, see its README) with
 * the `wavefile` package: RIFF/WAVE, PCM (format tag 1), one channel, 16-bit signed little-endian
 * samples. Anything else (stereo, 8/24/32-bit, float, μ-law WAVs) is refused rather than
 * converted, so a fixture regenerated the wrong way fails loudly.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';

export const SPEECH_FIXTURE_DIR = fileURLToPath(new URL('../fixtures/speech/', import.meta.url));

export interface Wav {
  /** Samples per second, e.g. 8000. */
  sampleRate: number;
  /** Mono 16-bit signed PCM samples. */
  samples: Int16Array;
}

/** The fields of the `fmt ` chunk that wavefile exposes (its typings say only `object`). */
interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
}

/** Reads a mono 16-bit PCM WAV file; `path` is absolute or a file name in SPEECH_FIXTURE_DIR. */
export function readWav(path: string): Wav {
  const file = path.startsWith('/') ? path : SPEECH_FIXTURE_DIR + path;
  const wav = new wavefile.WaveFile(readFileSync(file));
  const fmt = wav.fmt as FmtChunk;
  if (fmt.audioFormat !== 1) throw new Error(`${file}: WAV format tag ${fmt.audioFormat}, expected 1 (PCM)`);
  if (fmt.numChannels !== 1) throw new Error(`${file}: ${fmt.numChannels} channels, expected mono`);
  if (fmt.bitsPerSample !== 16) throw new Error(`${file}: ${fmt.bitsPerSample}-bit samples, expected 16-bit`);
  // getSamples() widens to Float64Array by default; ask for the 16-bit integers as stored
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  return { sampleRate: fmt.sampleRate, samples };
}

/** Duration in milliseconds of `samples` at `sampleRate`. */
export function durationMs({ sampleRate, samples }: Wav): number {
  return (samples.length * 1000) / sampleRate;
}
