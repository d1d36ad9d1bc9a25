/**
 * The live view's calls across instances (src/api/live.ts, src/esl/call-notices.ts):
 * - Always, on both backends: a `calls` state notice (notifyCalls) reaches the listeners of
 *   STATE_CHANNEL with its tenant (or none) and marks that customer's calls in the live hub;
 *   CallNotices tells the first change of a tenant at once and the rest of a burst once, after the
 *   interval (fake timers).
 * - With PostgreSQL (TEST_DATABASE_URL): three Switchplane processes (src/main.ts) in front of one
 *   fake FreeSWITCH node (test/helpers/esl-server.ts): a live view opened on an instance that
 *   holds no node gets a `calls` snapshot with the call the node's owner sees start, and an empty
 *   one once it hung up.
 */
import t from 'tap';
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mock } from 'node:test';
import { LiveHub, type LiveKind } from '../../src/api/live-hub.js';
import { STATE_CHANNEL, type Change } from '../../src/db/store.js';
import { CALL_NOTICE_INTERVAL_MS, CallNotices, notifyCalls } from '../../src/esl/call-notices.js';
import { backends } from '../helpers/backends.js';
import { FakeEslServer } from '../helpers/esl-server.js';
import { legEvents } from '../helpers/esl-replay.js';
import { eventually } from '../helpers/eventually.js';
import { openStream } from '../helpers/live-stream.js';
import { freePort } from '../helpers/sipp.js';
import { startFleet } from '../helpers/fleet.js';
import { ownedNodes as owned } from '../helpers/instance-metrics.js';
import { startSwitchplane, type SwitchplaneProcess } from '../helpers/switchplane-process.js';

t.setTimeout(600_000);

const SERVER = process.env.TEST_DATABASE_URL;

for (const backend of backends) {
  t.test(`${backend.name}: a calls notice reaches the live hub`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    const heard: Change[] = [];
    const stop = await store.onChange((c) => heard.push(c), STATE_CHANNEL);
    const hub = new LiveHub({ store, coalesceMs: 10 });
    t.teardown(async () => {
      await hub.close();
      await stop();
    });
    const tenantId = randomUUID();
    const marked: Array<ReadonlySet<LiveKind>> = [];
    await hub.subscribe(tenantId, { changed: (kinds) => marked.push(kinds), closed: () => undefined });

    await notifyCalls(store, tenantId);
    await eventually('the notice heard', () => heard.length === 1);
    t.same(heard, [{ table: 'calls', tenantId }]);
    await eventually('the customer\'s calls marked', () => marked.length === 1);
    t.same([...marked[0]!], ['calls'], 'only the calls');

    await notifyCalls(store, null);
    await eventually('the notice without a tenant heard', () => heard.length === 2);
    t.same(heard[1], { table: 'calls', tenantId: null });
    await eventually('every watched customer\'s calls marked', () => marked.length === 2);
    t.same([...marked[1]!], ['calls']);
  });
}

t.test('CallNotices: the first change of a tenant at once, the rest of a burst once after the interval', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.teardown(() => mock.timers.reset());
  const calls = new EventEmitter<{ changed: [string | null] }>();
  const sent: Array<string | null> = [];
  const notices = new CallNotices({ calls, notify: async (id) => void sent.push(id), onError: (err) => t.error(err) });
  t.teardown(() => notices.close());
  for (let i = 0; i < 5; i++) calls.emit('changed', 'tenant-a');
  calls.emit('changed', 'tenant-b');
  calls.emit('changed', null);
  t.same(sent, ['tenant-a', 'tenant-b', null], 'each tenant (and "any") told once at once');
  mock.timers.tick(CALL_NOTICE_INTERVAL_MS - 1);
  t.same(sent.length, 3, 'nothing more within the interval');
  mock.timers.tick(1);
  t.same(sent, ['tenant-a', 'tenant-b', null, 'tenant-a'], 'the rest of tenant-a\'s burst told once');
  mock.timers.tick(CALL_NOTICE_INTERVAL_MS);
  t.same(sent.length, 4, 'and nothing after it');
  calls.emit('changed', 'tenant-b');
  t.same(sent.at(-1), 'tenant-b', 'a change after a quiet interval is told at once');
  notices.close();
  calls.emit('changed', 'tenant-c');
  t.same(sent.length, 5, 'nothing once closed');
  t.equal(calls.listenerCount('changed'), 0, 'closing stops listening');
});


if (SERVER) t.test('PostgreSQL: a live view on an instance holding no node shows the calls of another instance\'s node', async (t) => {
  const fake = await FakeEslServer.start();
  t.teardown(() => fake.stop());
  const instances = await startFleet(t, SERVER, { count: 3, eslNodes: `fs-0@${fake.host}:${fake.port}` });
  const first = instances[0]!;
  const held = await eventually('the node held by one instance', () => Promise.all(instances.map(owned)), {
    until: (h) => fake.authedClients === 1 && h.flat().length === 1, timeoutMs: 120_000, intervalMs: 200,
  });
  const idle = instances[held.findIndex((h) => h.length === 0)]!;
  await eventually('the owner subscribed to channel events', () => fake.commands.some((c) => c.startsWith('event json') && c.includes('CHANNEL_CREATE')), { timeoutMs: 30_000 });

  const customer = await first.ok('POST', '/api/v1/customers', { name: 'Fleet Live', slug: `fleet-live-${randomBytes(3).toString('hex')}`, sipDomain: `fleet-live-${randomBytes(3).toString('hex')}.switchplane.test` });
  const s = openStream(idle.url, `/api/v1/live?tenantId=${customer.id}`, { authorization: `Bearer ${idle.adminKey}` });
  t.teardown(() => s.close());
  const initial = await s.next('calls', 0, () => true, { timeoutMs: 30_000 });
  t.same(initial.data, { calls: [] }, 'no call at connect');

  const [a, b] = [randomUUID(), randomUUID()];
  const vars = { variable_accountcode: customer.id, variable_user_name: '1001' };
  const legs = legEvents('call-user-bridge-plain.txt', { '3bc72a63-d72b-4157-92a0-67d1681270e1': a, 'f1acc3cd-6bdf-417e-9614-55bbfc2a1d5f': b }, { [a]: vars, [b]: vars });
  let mark = s.events.length;
  t.equal(fake.pushEvent(legs[0]!), 1, 'CHANNEL_CREATE sent to the node\'s owner');
  const started = await s.next('calls', mark, (d) => d.calls.some((c: { callId: string }) => c.callId === a), { timeoutMs: 30_000 });
  t.match(started.data.calls, [{ callId: a, node: 'fs-0', callerNumber: '1001', state: 'ringing' }], 'the call on fs-0, seen from the instance holding no node');
  t.same(started.data.calls.map((c: { callId: string }) => c.callId), (await idle.ok('GET', `/api/v1/customers/${customer.id}/calls/active`)).map((c: { callId: string }) => c.callId), 'as the live-calls list answers');

  mark = s.events.length;
  for (const e of legs.slice(1)) fake.pushEvent(e);
  const ended = await s.next('calls', mark, (d) => d.calls.length === 0, { timeoutMs: 30_000 });
  t.same(ended.data, { calls: [] }, 'empty once the call hung up');
  s.close();
  await s.ended;
});
