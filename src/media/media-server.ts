/**
 * The WebSocket endpoint FreeSWITCH's media fork connects to: `GET /media/<Unique-ID>` upgraded
 * on the HTTP server's port (ws, noServer). The call must be one of this process's live agent
 * calls and present its per-call token, either in the URL (`?token=...`) or, when the URL has
 * none, in the first text frame (the fork's metadata, JSON `{"token": ...}`, which
 * mod_audio_stream sends right after connecting). Answers on upgrade: 404 for another path or an
 * unknown call, 401 for a wrong URL token; a socket without a valid token in its metadata within
 * `METADATA_WAIT_MS` is closed with 1008. The subprotocol mod_audio_fork asks for
 * (`audio.drachtio.org`) is accepted.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AgentCall } from './agent-call.js';

const PATH = /^\/media\/([0-9a-fA-F-]{8,64})$/;
/** How long a socket without a URL token may take to send its metadata, milliseconds. */
export const METADATA_WAIT_MS = 2000;

/** Largest message a fork may send, bytes (its frames are 320; a bigger one closes the socket with 1009). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export interface MediaServerDeps {
  find(callId: string): AgentCall | undefined;
  onError(err: unknown, context: Record<string, unknown>): void;
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Attaches the media endpoint to `server`; returns a function that closes every media socket. */
export function attachMediaServer(server: Server, deps: MediaServerDeps): () => Promise<void> {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has('audio.drachtio.org') ? 'audio.drachtio.org' : false),
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://media');
    const match = PATH.exec(url.pathname);
    if (!match) return; // another upgrade handler's path
    const call = deps.find(match[1]!);
    if (!call) return reject(socket, 404, 'Not Found');
    const token = url.searchParams.get('token') ?? undefined;
    if (token !== undefined && !call.accepts(token)) return reject(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A protocol error (e.g. a message over maxPayload) is emitted on the socket, which ws then closes.
      ws.on('error', (err) => deps.onError(err, { part: 'media socket', callId: match[1] }));
      if (token !== undefined) call.attachMedia(ws);
      else awaitMetadata(ws, call);
    });
  };
  const awaitMetadata = (ws: WebSocket, call: AgentCall) => {
    const timer = setTimeout(() => ws.close(1008, 'no token'), METADATA_WAIT_MS);
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      let token: unknown;
      try {
        token = isBinary ? undefined : (JSON.parse(data.toString()) as { token?: unknown }).token;
      } catch {
        token = undefined;
      }
      if (typeof token === 'string' && call.accepts(token)) call.attachMedia(ws);
      else ws.close(1008, 'bad token');
    });
  };
  server.on('upgrade', onUpgrade);
  wss.on('error', (err) => deps.onError(err, { part: 'media server' }));
  return async () => {
    server.off('upgrade', onUpgrade);
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
