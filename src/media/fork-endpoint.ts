/**
 * A WebSocket endpoint that FreeSWITCH's media forks (mod_audio_stream) connect to, on the HTTP
 * server's port (ws, noServer), beside the others: each endpoint takes the upgrades of its own
 * path prefix and leaves the rest to the other `upgrade` listeners. A request its `accept` refuses
 * (malformed URL, wrong token) answers 401 on upgrade; an accepted socket is handed to `capture`.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/** Largest message a fork may send, bytes (mod_audio_stream sends 20 ms frames: 640 bytes stereo 8 kHz). */
export const MAX_FORK_MESSAGE_BYTES = 256 * 1024;

export interface ForkEndpoint<F, R> {
  /** The path prefix it takes, e.g. `/recordings/`. */
  path: string;
  /** What it is called in logs (e.g. `recording`). */
  name: string;
  /** The fork a request URL names; null when not this endpoint's. @throws when refused */
  accept(requestUrl: string): F | null;
  /** Takes the socket until it closes; `signal` aborts at shutdown. Must not reject. */
  capture(socket: WebSocket, fork: F, signal: AbortSignal): Promise<R>;
  log: { error(context: Record<string, unknown>, message: string): void };
  /** Called once each capture is done. */
  onCaptured?: (result: R) => void;
}

/**
 * Attaches `endpoint` to `server`.
 * @returns a function that cuts every socket of the endpoint, waits for their captures, and aborts
 *   them (their `signal`) after `graceMs` milliseconds
 */
export function attachForkEndpoint<F, R>(server: Server, endpoint: ForkEndpoint<F, R>): (graceMs?: number) => Promise<void> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_FORK_MESSAGE_BYTES });
  const shutdown = new AbortController();
  const captures = new Set<Promise<R>>();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!(req.url ?? '').startsWith(endpoint.path)) return; // another upgrade handler's path
    let fork: F | null;
    try {
      fork = endpoint.accept(req.url!);
    } catch (err) {
      endpoint.log.error({ err, ip: req.socket.remoteAddress }, `${endpoint.name} fork refused`);
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!fork) return;
    const accepted = fork;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const capture = endpoint.capture(ws, accepted, shutdown.signal);
      captures.add(capture);
      void capture.then((result) => {
        captures.delete(capture);
        endpoint.onCaptured?.(result);
      });
    });
  };
  server.on('upgrade', onUpgrade);
  wss.on('error', (err) => endpoint.log.error({ err }, `${endpoint.name} fork server failed`));
  return async (graceMs = 10_000) => {
    server.off('upgrade', onUpgrade);
    // Cut at once: what each fork sent so far is stored as partial.
    for (const ws of wss.clients) ws.terminate();
    const timer = setTimeout(() => shutdown.abort(), graceMs);
    await Promise.all(captures);
    clearTimeout(timer);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
