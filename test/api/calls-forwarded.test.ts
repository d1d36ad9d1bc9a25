/**
 * The calls API of one instance among several (src/api/calls.ts with src/api/call-forwarding.ts),
 * two fake FreeSWITCH nodes held here and a plain HTTP server standing for another instance:
 * a forwarded click-to-call is originated on the node it names; a call not known here is asked
 * of the other instance (a forwarded request never is); a call known here on a node whose event
 * socket is no longer open here is asked of the others first; the live-calls list merges theirs.
 */
import t from 'tap';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../src/wiring/http.js';
import { CallControl } from '../../src/esl/call-control.js';
import { ChannelTracker } from '../../src/esl/channels.js';
import { CallForwarding, FORWARDED_HEADER, NODE_HEADER } from '../../src/api/call-forwarding.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { eslRig } from '../helpers/esl-controller.js';
import { eventually } from '../helpers/eventually.js';
import { FakeEslServer, type ApiResponder } from '../helpers/esl-server.js';

const OTHER_CALL = '6d3c5f0e-9a7b-4c1d-8e2f-0a1b2c3d4e5f';

for (const backend of backends) {
  t.test(`${backend.name}: calls API among several instances`, async (t) => {
    const ctx = await demoApp(backend);
    const keys = await demoKeys(ctx.store);
    const tracker = new ChannelTracker({ store: ctx.store, metrics: ctx.metrics, onError: (err) => t.error(err), countDelayMs: 5 });
    // originate stays pending (the phone rings on); uuid_kill succeeds.
    const responder: ApiResponder = (cmd) =>
      cmd === 'show channels as json' ? '{"row_count": 0}\n' : cmd.startsWith('originate ') ? new Promise<undefined>(() => {}) : cmd.startsWith('uuid_kill ') ? '+OK\n' : undefined;
    const rig = await eslRig(t, [tracker], ctx.metrics, responder);
    const second = await FakeEslServer.start();
    second.api = responder;
    rig.nodes.add({ name: 'fs2', host: second.host, port: second.port, password: 'ClueCon' });
    await eventually('fs2 connected', () => rig.nodes.node('fs2')?.health().connected);

    // The other instance: answers every request with `peer.answer`, recording what it got.
    const peer = { seen: [] as Array<{ url: string; headers: http.IncomingHttpHeaders }>, answer: { status: 404, body: { error: { code: 'not_found', message: 'call not found' } } } as { status: number; body: unknown } };
    const server = http.createServer((req, res) => {
      peer.seen.push({ url: req.url!, headers: req.headers });
      req.resume().on('end', () => res.writeHead(peer.answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(peer.answer.body)));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const peerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const forwarding = new CallForwarding({ instanceId: 'self', peers: async () => [{ id: 'other', url: peerUrl, nodes: ['fs9'] }], candidates: async () => [] });
    const calls = new CallControl({ nodes: rig.nodes, channels: tracker });
    const app = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics, esl: rig.nodes, calls, forwarding });
    t.teardown(async () => {
      await app.close();
      server.closeAllConnections();
      server.close();
      await second.stop();
      await tracker.close();
      await ctx.close();
    });
    const forwarded = { [FORWARDED_HEADER]: '1' };
    const originates = (f: FakeEslServer) => f.commands.filter((c) => c.startsWith('bgapi originate '));

    t.test('a forwarded click-to-call is originated on the node it names, without asking anyone', async (t) => {
      const res = await call(app, keys.acme, 'POST', '/api/v1/calls', { extension: '1001', destination: '+390212345678' }, { ...forwarded, [NODE_HEADER]: 'fs2' });
      t.equal(res.status, 202, JSON.stringify(res.body));
      t.equal(res.body.data.node, 'fs2');
      await eventually('the originate reached fs2', () => originates(second).some((c) => c.includes(res.body.data.callId)));
      t.same(originates(rig.server), [], 'not fs1');
      const unknown = await call(app, keys.acme, 'POST', '/api/v1/calls', { extension: '1001', destination: '+390212345678' }, { ...forwarded, [NODE_HEADER]: 'fs7' });
      t.equal(unknown.body.data.node, 'fs1', 'a node not held here: the least loaded one');
      t.same(peer.seen, [], 'nothing forwarded on');
    });

    t.test('a call not known here is asked of the other instance; a forwarded request answers 404 here', async (t) => {
      const local = (await call(app, keys.acme, 'GET', '/api/v1/calls/active', undefined, forwarded)).body.data[0];
      peer.answer = { status: 200, body: { data: { ...local, callId: OTHER_CALL, node: 'fs9' } } };
      const res = await call(app, keys.acme, 'GET', `/api/v1/calls/${OTHER_CALL}`);
      t.equal(res.status, 200);
      t.match(res.body.data, { callId: OTHER_CALL, node: 'fs9' });
      t.match(peer.seen.at(-1), { url: `/api/v1/calls/${OTHER_CALL}`, headers: { authorization: `Bearer ${keys.acme}`, [FORWARDED_HEADER]: '1' } });
      const asked = peer.seen.length;
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/calls/${OTHER_CALL}`, undefined, forwarded)).status, 404);
      t.equal(peer.seen.length, asked, 'a forwarded request is not forwarded again');
      peer.answer = { status: 404, body: { error: { code: 'not_found', message: 'call not found' } } };
      t.equal((await call(app, keys.acme, 'POST', `/api/v1/calls/${OTHER_CALL}/hangup`)).status, 404, 'no instance knows it');
    });

    t.test('the live-calls list holds the other instance\'s calls too', async (t) => {
      const local = (await call(app, keys.acme, 'GET', '/api/v1/calls/active', undefined, forwarded)).body.data;
      peer.answer = { status: 200, body: { data: [{ ...local[0], callId: OTHER_CALL, node: 'fs9', createdAt: '2000-01-01T00:00:00.000Z' }] } };
      const merged = (await call(app, keys.acme, 'GET', '/api/v1/calls/active')).body.data;
      t.same(merged.map((c: { callId: string }) => c.callId), [OTHER_CALL, ...local.map((c: { callId: string }) => c.callId)], 'oldest first');
    });

    t.test('a live call on a node no longer held here is asked of the others first', async (t) => {
      const placed = (await call(app, keys.acme, 'POST', '/api/v1/calls', { extension: '1001', destination: '+390212345678' }, { ...forwarded, [NODE_HEADER]: 'fs2' })).body.data;
      await rig.nodes.remove('fs2');
      peer.answer = { status: 200, body: { data: { ...placed, state: 'ringing' } } };
      t.match((await call(app, keys.acme, 'GET', `/api/v1/calls/${placed.callId}`)).body.data, { callId: placed.callId, state: 'ringing' }, 'the holder\'s answer');
      peer.answer = { status: 404, body: { error: { code: 'not_found', message: 'call not found' } } };
      const stale = await call(app, keys.acme, 'GET', `/api/v1/calls/${placed.callId}`);
      t.match(stale, { status: 200, body: { data: { callId: placed.callId, state: 'originating' } } }, 'nobody else knows it: the copy here');
    });
  });
}
