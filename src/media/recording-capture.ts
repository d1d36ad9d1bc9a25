/**
 * Captures a call's audio into Switchplane's storage: what FreeSWITCH's media fork
 * (mod_audio_stream `uuid_audio_stream <uuid> start <url> stereo 8k`, src/freeswitch/commands.ts
 * `audioStream.record`) sends on one WebSocket becomes one `recordings` row holding a WAV file
 * (src/domain/recordings.ts), written when the socket closes.
 *
 * mod_audio_stream sends binary frames of interleaved L16 (left = the channel's party, right =
 * what the party heard) and may send one text frame (the fork's metadata), which is ignored. It
 * closes the socket with a normal close (1000) when the channel hangs up or the fork is stopped:
 * the recording is `complete`. Any other end (the connection dropped, Switchplane shutting down,
 * the recording reaching MAX_RECORDING_MS) keeps the audio received so far as `partial`, with the
 * reason; a fork that sent no audio at all is stored as `failed`. Partial and failed recordings
 * are logged, counted (switchplane_recordings_total{result}) and reported as `recording.failed`.
 * A database error is retried until the row is stored (src/db/retry-until-stored.ts); only a
 * retry stopped by shutdown loses the recording, and that is logged with its size.
 */
import type { WebSocket } from 'ws';
import { retryUntilStored } from '../db/retry-until-stored.js';
import type { Store } from '../db/store.js';
import type { AcceptedFork } from '../domain/recording-forks.js';
import { saveRecording, type RecordingStatus } from '../domain/recordings.js';
import type { Metrics } from '../metrics.js';
import { receiveForkAudio } from './fork-audio.js';
import { pcmDurationMs, wavFile } from './wav.js';

/** Longest recording kept, milliseconds (2 h of stereo 8 kHz L16 is 230 MB); later audio is dropped and the recording is partial. */
export const MAX_RECORDING_MS = 2 * 60 * 60 * 1000;
/** The fork's format: `stereo 8k`. */
export const RECORDING_SAMPLE_RATE = 8000;
export const RECORDING_CHANNELS = 2;
const MAX_BYTES = (MAX_RECORDING_MS / 1000) * RECORDING_SAMPLE_RATE * RECORDING_CHANNELS * 2;

export interface CaptureLog {
  info(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
}

export interface CaptureDeps {
  store: Store;
  metrics: Pick<Metrics, 'recordings'>;
  log: CaptureLog;
  /** Stops retrying a failed database write (shutdown). */
  signal?: AbortSignal;
  now?: () => Date;
}

export interface CaptureResult {
  status: RecordingStatus;
  durationMs: number;
  bytes: number;
  /** false when the row could not be stored (retries stopped by shutdown). */
  stored: boolean;
}

/**
 * Records what arrives on `socket` as the recording `fork` names, until the socket closes.
 * @returns once the recording is stored (or its storing was given up at shutdown); never rejects
 */
export async function captureRecording(socket: WebSocket, fork: AcceptedFork, deps: CaptureDeps): Promise<CaptureResult> {
  const audio = await receiveForkAudio(socket, {
    maxBytes: MAX_BYTES,
    limit: `${MAX_RECORDING_MS / 1000} s`,
    onError: (err) => deps.log.error({ err, recordingId: fork.recordingId }, 'recording fork socket failed'),
    now: deps.now,
  });
  const status: RecordingStatus = audio.bytes === 0 ? 'failed' : audio.cutShort ? 'partial' : 'complete';
  const reason = audio.bytes === 0 ? (audio.cutShort ?? 'no audio was received') : audio.cutShort;
  return store(fork, { status, reason, chunks: audio.chunks, startedAt: audio.startedAt, endedAt: audio.endedAt }, deps);
}

async function store(
  fork: AcceptedFork,
  r: { status: RecordingStatus; reason: string | null; chunks: Buffer[]; startedAt: Date; endedAt: Date },
  deps: CaptureDeps,
): Promise<CaptureResult> {
  const content = r.status === 'failed' ? null : wavFile(r.chunks, RECORDING_SAMPLE_RATE, RECORDING_CHANNELS);
  const durationMs = Math.round(pcmDurationMs(content ? content.length - 44 : 0, RECORDING_SAMPLE_RATE, RECORDING_CHANNELS));
  const context = { recordingId: fork.recordingId, tenantId: fork.tenantId, callId: fork.callUuid, status: r.status, durationMs, bytes: content?.length ?? 0 };
  const row = {
    id: fork.recordingId, tenantId: fork.tenantId, callUuid: fork.callUuid, extensionId: fork.extensionId,
    status: r.status, failureReason: r.reason, startedAt: r.startedAt, endedAt: r.endedAt,
    durationMs, sampleRate: RECORDING_SAMPLE_RATE, channels: RECORDING_CHANNELS, content,
  };
  try {
    await retryUntilStored(() => saveRecording(deps.store, row), {
      minMs: 200,
      maxMs: 30_000,
      signal: deps.signal,
      onFailure: (err, attempt) => deps.log.error({ err, attempt, ...context }, 'recording not stored yet; retrying'),
    });
  } catch (err) {
    deps.metrics.recordings.inc({ result: 'lost' });
    deps.log.error({ err, ...context }, 'recording lost: it could not be stored before shutdown');
    return { status: r.status, durationMs, bytes: row.content?.length ?? 0, stored: false };
  }
  deps.metrics.recordings.inc({ result: r.status });
  if (r.status === 'complete') deps.log.info(context, 'recording stored');
  else deps.log.error({ ...context, reason: r.reason }, `recording ${r.status}: ${r.reason}`);
  return { status: r.status, durationMs, bytes: row.content?.length ?? 0, stored: true };
}
