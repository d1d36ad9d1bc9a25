/**
 * The media fork endpoint: which sockets reach a call. The token may come in the URL or, when the
 * URL has none, in the fork's first text frame (mod_audio_stream's metadata).
 */
import t from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { WebSocket } from 'ws';
import type { AgentCall } from '../../src/media/agent-call.js';
import { attachMediaServer, MAX_MESSAGE_BYTES } from '../../src/media/media-server.js';
import { eventually } from '../helpers/eventually.js';

const CALL = '5b5393d7-2767-484e-ad67-f2eaf74239aa';

t.test('media endpoint', async (t) => {
  const attached: WebSocket[] = [];
  const call = { accepts: (token: string | undefined) => token === 'right', attachMedia: (ws: WebSocket) => attached.push(ws) } as unknown as AgentCall;
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = attachMediaServer(server, { find: (id) => (id === CALL ? call : undefined), onError: () => {} });
  t.teardown(async () => {
    await close();
    server.close();
  });
  const base = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  const status = (url: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });

  t.equal(await status(`${base}/media/${CALL}?token=right`), 101, 'the right URL token connects');
  t.equal(attached.length, 1);
  t.equal(await status(`${base}/media/${CALL}?token=wrong`), 401, 'a wrong URL token is refused');
  t.equal(await status(`${base}/media/9c1d5e2a-0000-4000-8000-000000000000?token=right`), 404, 'an unknown call is not found');

  const byMetadata = new WebSocket(`${base}/media/${CALL}`);
  await once(byMetadata, 'open');
  byMetadata.send(JSON.stringify({ callId: CALL, token: 'right' }));
  await eventually('the socket attached by its first text frame', () => attached.length >= 2, { timeoutMs: 10_000, intervalMs: 10 });
  t.pass('a token in the first text frame connects');
  byMetadata.close();

  const badMetadata = new WebSocket(`${base}/media/${CALL}`);
  await once(badMetadata, 'open');
  badMetadata.send(JSON.stringify({ callId: CALL, note: 'capture' }));
  const [code] = (await once(badMetadata, 'close')) as [number];
  t.equal(code, 1008, 'metadata without the token is closed with 1008');
  t.equal(attached.length, 2);

  const huge = new WebSocket(`${base}/media/${CALL}`);
  await once(huge, 'open');
  huge.send(Buffer.alloc(MAX_MESSAGE_BYTES + 1));
  const [hugeCode] = (await once(huge, 'close')) as [number];
  t.equal(hugeCode, 1009, 'a message over the limit closes the socket');

  const fork = new WebSocket(`${base}/media/${CALL}?token=right`, 'audio.drachtio.org');
  await once(fork, 'open');
  t.equal(fork.protocol, 'audio.drachtio.org', "mod_audio_fork's subprotocol is accepted");
  fork.close();
});
