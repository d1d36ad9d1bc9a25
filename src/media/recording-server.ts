/**
 * The WebSocket endpoint FreeSWITCH's recording forks connect to: `GET /recordings/<recording id>?
 * tenant=&extension=&call=&token=` upgraded on the HTTP server's port (ws, noServer), next to the
 * AI agent's `/media/` endpoint. The URL is checked by RecordingForks (src/domain/recording-forks.ts):
 * a malformed one or a wrong token answers 401 on upgrade. An accepted socket is captured into a
 * recording (src/media/recording-capture.ts). Any instance sharing the secrets key and the
 * database accepts any fork, so MEDIA_WS_URL may point at a load balancer.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { RECORDING_FORK_PATH, type RecordingForks } from '../domain/recording-forks.js';
import { captureRecording, type CaptureDeps, type CaptureResult } from './recording-capture.js';

/** Largest message a fork may send, bytes (mod_audio_stream sends 20 ms frames: 640 bytes stereo 8 kHz). */
export const MAX_FORK_MESSAGE_BYTES = 256 * 1024;

export interface RecordingServerDeps extends Omit<CaptureDeps, 'signal'> {
  forks: RecordingForks;
  /** Called once each recording is stored (or given up). */
  onCaptured?: (result: CaptureResult) => void;
}

/**
 * Attaches the recording endpoint to `server`.
 * @returns a function that cuts every recording socket (their audio is stored as partial),
 *   waits for those recordings to be stored, and stops retrying after `graceMs` milliseconds
 */
export function attachRecordingServer(server: Server, deps: RecordingServerDeps): (graceMs?: number) => Promise<void> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_FORK_MESSAGE_BYTES });
  const shutdown = new AbortController();
  const captures = new Set<Promise<CaptureResult>>();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!(req.url ?? '').startsWith(RECORDING_FORK_PATH)) return; // another upgrade handler's path
    let fork;
    try {
      fork = deps.forks.accept(req.url!);
    } catch (err) {
      deps.log.error({ err, ip: req.socket.remoteAddress }, 'recording fork refused');
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!fork) return;
    const accepted = fork;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const capture = captureRecording(ws, accepted, { ...deps, signal: shutdown.signal });
      captures.add(capture);
      void capture.then((result) => {
        captures.delete(capture);
        deps.onCaptured?.(result);
      });
    });
  };
  server.on('upgrade', onUpgrade);
  wss.on('error', (err) => deps.log.error({ err }, 'recording fork server failed'));
  return async (graceMs = 10_000) => {
    server.off('upgrade', onUpgrade);
    // Cut at once: what each fork sent so far is stored as a partial recording.
    for (const ws of wss.clients) ws.terminate();
    const timer = setTimeout(() => shutdown.abort(), graceMs);
    await Promise.all(captures);
    clearTimeout(timer);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
