/**
 * Forwarding call requests to the instance owning a node (src/api/call-forwarding.ts), against
 * plain HTTP servers standing for the peers: what a forwarded request carries, a peer that
 * refuses or never answers (503 `esl_unavailable` naming its nodes, after the timeout at most),
 * finding a call over several peers, collecting their lists, and where a click-to-call goes.
 */
import t, { type Test } from 'tap';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { CallForwarding, FORWARDED_HEADER, isForwarded, mergeCalls, NODE_HEADER, nodeAsked, type PeerAnswer } from '../../src/api/call-forwarding.js';
import type { PlacementCandidate } from '../../src/domain/call-placement.js';
import type { Peer } from '../../src/domain/instance-peers.js';
import { ApiError } from '../../src/api/errors.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A peer answering `status` and `body` to every request, recording what it received; `silent` never answers. */
async function peerServer(t: Test, answer: { status: number; body?: unknown } | 'silent'): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (answer === 'silent') return;
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const server = http.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}`;
}

const warnings: unknown[] = [];
const request = (over: Partial<{ method: string; url: string; headers: Record<string, string>; body: unknown }> = {}) =>
  ({ method: 'GET', url: '/api/v1/calls/active', headers: {}, body: undefined, log: { warn: (o: unknown) => warnings.push(o) }, ...over }) as unknown as FastifyRequest;

const forwarding = (peers: Peer[], candidates: PlacementCandidate[] = [], timeoutMs = 300) =>
  new CallForwarding({ instanceId: 'self', peers: async () => peers, candidates: async () => candidates, timeoutMs });

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

t.test('a forwarded request carries the client\'s credentials, method, path and body, and the forwarded header', async (t) => {
  const peer = await peerServer(t, { status: 202, body: { data: { callId: 'c1' } } });
  const req = request({
    method: 'POST', url: '/api/v1/calls?x=1',
    headers: { authorization: 'Bearer sp_key', cookie: 'sid=abc', 'x-csrf-token': 'tok', 'x-tenant-id': 'ten', 'user-agent': 'curl', host: 'a:1' },
    body: { extension: '1001', destination: '+390212345678' },
  });
  const answer = await forwarding([]).send(req, { id: 'p1', url: peer.url, nodes: ['fs-1'] }, 'fs-1');
  t.same(answer, { status: 202, body: { data: { callId: 'c1' } } });
  const [seen] = peer.seen;
  t.match(seen, { method: 'POST', url: '/api/v1/calls?x=1' });
  t.same(JSON.parse(seen!.body), { extension: '1001', destination: '+390212345678' });
  t.match(seen!.headers, { authorization: 'Bearer sp_key', cookie: 'sid=abc', 'x-csrf-token': 'tok', 'x-tenant-id': 'ten', 'content-type': 'application/json', [FORWARDED_HEADER]: '1', [NODE_HEADER]: 'fs-1' });
  t.not(seen!.headers['user-agent'], 'curl', 'other client headers stay behind');

  const get = await forwarding([]).send(request({ headers: { authorization: 'Bearer k' } }), { id: 'p1', url: peer.url, nodes: ['fs-1'] });
  t.equal(get.status, 202);
  t.equal(peer.seen[1]!.body, '', 'a GET has no body');
  t.equal(peer.seen[1]!.headers[NODE_HEADER], undefined, 'and names no node');
});

t.test('a peer that refuses the connection or never answers: 503 esl_unavailable naming its nodes', async (t) => {
  const down = { id: 'p-down', url: await closedPort(), nodes: ['fs-2', 'fs-3'] };
  const refused = await rejection(forwarding([]).send(request(), down));
  t.match(refused, { statusCode: 503, code: 'esl_unavailable', message: /fs-2, fs-3/ });
  t.notMatch(refused.message, down.url, 'the peer\'s address is not answered');

  const silent = await peerServer(t, 'silent');
  const timedOut = await rejection(forwarding([], [], 200).send(request(), { id: 'p-silent', url: silent.url, nodes: ['fs-4'] }));
  t.match(timedOut, { statusCode: 503, code: 'esl_unavailable', message: /fs-4/ });
  t.equal(silent.seen.length, 1, 'the request did reach it');
});

t.test('finding a call: the first answer that is not 404; all 404 is none; a silent peer is a 503', async (t) => {
  const missing = await peerServer(t, { status: 404, body: { error: { code: 'not_found' } } });
  const holder = await peerServer(t, { status: 200, body: { data: { callId: 'c9' } } });
  const peers = [{ id: 'a', url: missing.url, nodes: ['fs-1'] }, { id: 'b', url: holder.url, nodes: ['fs-2'] }];
  const found = await forwarding(peers).findCall(request({ url: '/api/v1/calls/c9' }));
  t.same(found, { status: 200, body: { data: { callId: 'c9' } } } satisfies PeerAnswer);
  t.equal(missing.seen[0]!.headers[FORWARDED_HEADER], '1', 'every peer is asked with the forwarded header');

  t.equal(await forwarding([peers[0]!]).findCall(request()), undefined, 'every peer answered 404');
  t.equal(await forwarding([]).findCall(request()), undefined, 'no peer');
  const down = { id: 'c', url: await closedPort(), nodes: ['fs-3'] };
  t.match(await rejection(forwarding([peers[0]!, down]).findCall(request())), { statusCode: 503, code: 'esl_unavailable', message: /fs-3/ });
  t.same(await forwarding([down, peers[1]!]).findCall(request()), found, 'a peer that has it answers though another is down');
});

t.test('collecting the live-calls lists of every peer; a peer down or refusing is a 503', async (t) => {
  const one = await peerServer(t, { status: 200, body: { data: [{ callId: 'b', createdAt: '2026-01-01T00:00:02.000Z' }] } });
  const two = await peerServer(t, { status: 200, body: { data: [{ callId: 'c', createdAt: '2026-01-01T00:00:01.000Z' }] } });
  const peers = [{ id: 'a', url: one.url, nodes: ['fs-1'] }, { id: 'b', url: two.url, nodes: ['fs-2'] }];
  const remote = await forwarding(peers).collect(request());
  t.same(remote.map((c) => (c as { callId: string }).callId).sort(), ['b', 'c']);
  const local = [{ callId: 'a', createdAt: '2026-01-01T00:00:03.000Z' }, { callId: 'c', createdAt: '2026-01-01T00:00:01.000Z', mine: true }];
  t.same(mergeCalls(local, remote).map((c) => c.callId), ['c', 'b', 'a'], 'oldest first, each call once');
  t.equal(mergeCalls(local, remote)[0], local[1], 'this instance\'s copy kept');
  t.equal(mergeCalls(local, []), local, 'alone: the local list as it is');

  const refusing = await peerServer(t, { status: 401, body: { error: { code: 'unauthorized' } } });
  t.match(await rejection(forwarding([...peers, { id: 'r', url: refusing.url, nodes: ['fs-9'] }]).collect(request())), { statusCode: 503, code: 'esl_unavailable', message: /fs-9/ });
  t.match(await rejection(forwarding([{ id: 'd', url: await closedPort(), nodes: ['fs-5'] }]).collect(request())), { statusCode: 503, code: 'esl_unavailable', message: /fs-5/ });
});

t.test('placing a click-to-call', async (t) => {
  const c = (node: string, owner: string, fresh: boolean, freeSessions: number | null = fresh ? 10 : null): PlacementCandidate =>
    ({ node, owner, url: owner === 'self' ? 'http://self' : `http://${owner}`, fresh, freeSessions });
  t.same(await forwarding([], [c('fs-2', 'other', true), c('fs-1', 'self', true)]).place(true), { local: false, peer: { id: 'other', url: 'http://other', nodes: ['fs-2'] }, node: 'fs-2' }, 'the best node is another instance\'s');
  t.same(await forwarding([], [c('fs-1', 'self', true), c('fs-2', 'other', true)]).place(false), { local: true, node: 'fs-1' }, 'the best node is this instance\'s');
  t.same(await forwarding([], [c('fs-2', 'other', false), c('fs-1', 'self', false)]).place(true), { local: true }, 'no HEARTBEAT yet, a node connected here: here, as alone');
  t.same(await forwarding([], [c('fs-2', 'other', false)]).place(false), { local: false, peer: { id: 'other', url: 'http://other', nodes: ['fs-2'] } }, 'no HEARTBEAT, nothing here: a peer\'s node');
  t.same(await forwarding([], []).place(false), { local: true }, 'no node held anywhere: here (answers 503)');
  t.same(await forwarding([], [{ ...c('fs-2', 'old', true), url: null }, c('fs-1', 'self', true)]).place(true), { local: true, node: 'fs-1' }, 'an instance without a URL is never chosen');
});

t.test('the forwarded and node headers', async (t) => {
  t.equal(isForwarded(request({ headers: { [FORWARDED_HEADER]: '1' } })), true);
  t.equal(isForwarded(request()), false);
  t.equal(nodeAsked(request({ headers: { [FORWARDED_HEADER]: '1', [NODE_HEADER]: 'fs-1' } })), 'fs-1');
  t.equal(nodeAsked(request({ headers: { [NODE_HEADER]: 'fs-1' } })), undefined, 'only on a forwarded request');
});
