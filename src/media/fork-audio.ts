/**
 * The audio a media fork sends on one WebSocket until it closes: mod_audio_stream sends binary
 * frames of L16 (and may send one text frame, the fork's metadata, which is ignored) and closes
 * with a normal close (1000) when the channel hangs up or the fork is stopped. Any other end (the
 * connection dropped, Switchplane cutting the socket at shutdown) or more audio than `maxBytes`
 * makes the audio partial, with the reason.
 */
import type { WebSocket } from 'ws';

/** WebSocket close codes of an orderly end (RFC 6455 §7.4.1: normal closure, going away). */
const NORMAL_CLOSE = new Set([1000, 1001]);

export interface ForkAudio {
  /** The binary frames received, in order (at most `maxBytes` in all). */
  chunks: Buffer[];
  bytes: number;
  /** Why the audio is not the whole of what the fork streamed; null when it is. */
  cutShort: string | null;
  startedAt: Date;
  endedAt: Date;
}

export interface ForkAudioOptions {
  /** Most bytes kept; later frames are dropped and the audio is cut short. */
  maxBytes: number;
  /** How `maxBytes` reads to a person (e.g. `7200 s`), for the reason. */
  limit: string;
  onError: (err: Error) => void;
  now?: () => Date;
}

/** Collects what arrives on `socket` until it closes. @returns never rejects */
export function receiveForkAudio(socket: WebSocket, opts: ForkAudioOptions): Promise<ForkAudio> {
  const now = opts.now ?? (() => new Date());
  const startedAt = now();
  const chunks: Buffer[] = [];
  let bytes = 0;
  let overflow = false;
  socket.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (bytes + chunk.length > opts.maxBytes) {
      overflow = true;
      return;
    }
    chunks.push(chunk);
    bytes += chunk.length;
  });
  socket.on('error', opts.onError);
  return new Promise((resolve) => {
    socket.once('close', (code, reason) => {
      const cutShort = overflow ? `longer than ${opts.limit}, the rest was not kept`
        : NORMAL_CLOSE.has(code) ? null : `the media fork ended early (WebSocket close ${code}${reason.length ? `: ${reason.toString()}` : ''})`;
      resolve({ chunks, bytes, cutShort, startedAt, endedAt: now() });
    });
  });
}
