/**
 * Captures a voicemail message's audio into Switchplane's storage: what the mono mod_audio_stream
 * fork of the caller's channel sends from the start of mod_voicemail's recording to its end
 * (src/esl/voicemail-recording.ts) becomes one `voicemail_audio` row holding a WAV file
 * (src/domain/voicemail-audio.ts), written when the socket closes. The endpoint is
 * `GET /voicemail/<message id>?tenant=&extension=&token=` on the HTTP server's port
 * (src/media/fork-endpoint.ts), checked by VoicemailForks (src/domain/voicemail-forks.ts).
 *
 * A normal close (the fork stopped at the end of the recording, or the caller hung up) stores the
 * audio as `complete`; any other end (src/media/fork-audio.ts) as `partial`, with the reason. A
 * fork that sent no audio stores nothing (the message's download answers 404). A database error is
 * retried until the row is stored (src/db/retry-until-stored.ts); only a retry stopped by shutdown
 * loses the audio, and that is logged with its size.
 */
import type { Server } from 'node:http';
import type { WebSocket } from 'ws';
import { retryUntilStored } from '../db/retry-until-stored.js';
import type { Store } from '../db/store.js';
import { saveVoicemailAudio, type VoicemailAudioStatus } from '../domain/voicemail-audio.js';
import { VOICEMAIL_FORK_PATH, type VoicemailFork, type VoicemailForks } from '../domain/voicemail-forks.js';
import { receiveForkAudio } from './fork-audio.js';
import { attachForkEndpoint } from './fork-endpoint.js';
import { pcmDurationMs, WAV_HEADER_BYTES, wavFile } from './wav.js';

/** The fork's format: `mono 8k`. */
export const VOICEMAIL_SAMPLE_RATE = 8000;
export const VOICEMAIL_CHANNELS = 1;
/** Longest message audio kept, milliseconds (mod_voicemail's max-record-len defaults to 300 s). */
export const MAX_VOICEMAIL_MS = 60 * 60 * 1000;
const MAX_BYTES = (MAX_VOICEMAIL_MS / 1000) * VOICEMAIL_SAMPLE_RATE * VOICEMAIL_CHANNELS * 2;

export interface VoicemailCaptureDeps {
  store: Store;
  log: {
    info(context: Record<string, unknown>, message: string): void;
    error(context: Record<string, unknown>, message: string): void;
  };
  now?: () => Date;
}

export interface VoicemailCaptureResult {
  messageId: string;
  /** null when no audio arrived (nothing stored). */
  status: VoicemailAudioStatus | null;
  durationMs: number;
  /** false when nothing was stored. */
  stored: boolean;
}

/**
 * Stores what arrives on `socket` as the audio of the message `fork` names, once the socket closes.
 * @returns once stored (or given up at shutdown, `signal`); never rejects
 */
export async function captureVoicemail(socket: WebSocket, fork: VoicemailFork, deps: VoicemailCaptureDeps, signal?: AbortSignal): Promise<VoicemailCaptureResult> {
  const audio = await receiveForkAudio(socket, {
    maxBytes: MAX_BYTES,
    limit: `${MAX_VOICEMAIL_MS / 1000} s`,
    onError: (err) => deps.log.error({ err, messageId: fork.messageId }, 'voicemail fork socket failed'),
    now: deps.now,
  });
  const context = { messageId: fork.messageId, tenantId: fork.tenantId, extensionId: fork.extensionId };
  const content = wavFile(audio.chunks, VOICEMAIL_SAMPLE_RATE, VOICEMAIL_CHANNELS);
  const durationMs = Math.round(pcmDurationMs(content.length - WAV_HEADER_BYTES, VOICEMAIL_SAMPLE_RATE, VOICEMAIL_CHANNELS));
  if (durationMs === 0) {
    deps.log.error({ ...context, reason: audio.cutShort }, 'voicemail message audio not stored: no audio was received');
    return { messageId: fork.messageId, status: null, durationMs, stored: false };
  }
  const status: VoicemailAudioStatus = audio.cutShort ? 'partial' : 'complete';
  const row = {
    ...context, messageUuid: fork.messageId, status, failureReason: audio.cutShort, startedAt: audio.startedAt, endedAt: audio.endedAt,
    durationMs, sampleRate: VOICEMAIL_SAMPLE_RATE, channels: VOICEMAIL_CHANNELS, content,
  };
  try {
    await retryUntilStored(() => saveVoicemailAudio(deps.store, row), {
      minMs: 200,
      maxMs: 30_000,
      signal,
      onFailure: (err, attempt) => deps.log.error({ err, attempt, ...context }, 'voicemail message audio not stored yet; retrying'),
    });
  } catch (err) {
    deps.log.error({ err, ...context, bytes: content.length }, 'voicemail message audio lost: it could not be stored before shutdown');
    return { messageId: fork.messageId, status, durationMs, stored: false };
  }
  if (status === 'complete') deps.log.info({ ...context, durationMs }, 'voicemail message audio stored');
  else deps.log.error({ ...context, durationMs, reason: audio.cutShort }, `voicemail message audio partial: ${audio.cutShort}`);
  return { messageId: fork.messageId, status, durationMs, stored: true };
}

/**
 * Attaches the voicemail fork endpoint to `server`.
 * @returns a function that cuts every voicemail fork (their audio is stored as partial), waits for
 *   the audio to be stored, and stops retrying after `graceMs` milliseconds
 */
export function attachVoicemailCapture(
  server: Server,
  deps: VoicemailCaptureDeps & { forks: VoicemailForks; onCaptured?: (r: VoicemailCaptureResult) => void },
): (graceMs?: number) => Promise<void> {
  return attachForkEndpoint(server, {
    path: VOICEMAIL_FORK_PATH,
    name: 'voicemail',
    accept: (url) => deps.forks.accept(url),
    capture: (ws, fork, signal) => captureVoicemail(ws, fork, deps, signal),
    log: deps.log,
    onCaptured: deps.onCaptured,
  });
}
