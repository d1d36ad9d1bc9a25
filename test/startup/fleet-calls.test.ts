/**
 * Call commands from any instance (src/api/call-forwarding.ts): Switchplane processes
 * (src/main.ts) in front of fake FreeSWITCH nodes (test/helpers/esl-server.ts), each node owned
 * by one instance (src/esl/node-ownership.ts).
 * - Always: one instance on its embedded database with one node and no HEARTBEAT yet places a
 *   click-to-call on it, as before there were several instances.
 * - With PostgreSQL (TEST_DATABASE_URL): three instances and two nodes (so one instance owns
 *   none). A click-to-call sent to any instance is originated (`bgapi originate`) on the node
 *   with most free sessions by its HEARTBEAT, by the node's owner; the call is seen from every
 *   instance, alone and in the live-calls list, and hung up (`uuid_kill`) on its own node from an
 *   instance that does not own it.
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { eventually } from '../helpers/eventually.js';
import { FakeEslServer } from '../helpers/esl-server.js';
import { freePort } from '../helpers/sipp.js';
import { startFleet } from '../helpers/fleet.js';
import { ownedNodes as owned } from '../helpers/instance-metrics.js';
import { startSwitchplane, type SwitchplaneProcess } from '../helpers/switchplane-process.js';

t.setTimeout(900_000);

const SERVER = process.env.TEST_DATABASE_URL;

/** Fake nodes whose `originate` stays pending (the phone rings on) and whose `uuid_kill` succeeds. */
async function fakeNodes(t: Test, n: number): Promise<FakeEslServer[]> {
  const fakes = await Promise.all(Array.from({ length: n }, () => FakeEslServer.start()));
  for (const f of fakes) f.api = (command) => (command.startsWith('originate ') ? new Promise<undefined>(() => {}) : command.startsWith('uuid_kill ') ? '+OK\n' : undefined);
  t.teardown(() => Promise.all(fakes.map((f) => f.stop())));
  return fakes;
}

const eslNodes = (fakes: FakeEslServer[]) => fakes.map((f, i) => `fs-${i}@${f.host}:${f.port}`).join(',');
const originates = (f: FakeEslServer) => f.commands.filter((c) => c.startsWith('bgapi originate '));


/** A customer with extension 1001, through the API; resolves with the customer's calls path. */
async function customerCalls(sp: SwitchplaneProcess): Promise<string> {
  const customer = await sp.ok('POST', '/api/v1/customers', { name: 'Fleet', slug: `fleet-${randomBytes(3).toString('hex')}`, sipDomain: `fleet-${randomBytes(3).toString('hex')}.switchplane.test` });
  await sp.ok('POST', `/api/v1/customers/${customer.id}/extensions`, { extensionNumber: '1001', password: 'Fleet-Sip-Password-1' });
  return `/api/v1/customers/${customer.id}/calls`;
}

/** Pushes a HEARTBEAT with `sessions` of 100 in use, and waits until the nodes API shows its free sessions. */
async function heartbeat(sp: SwitchplaneProcess, fake: FakeEslServer, node: string, sessions: number): Promise<void> {
  await eventually(`${node} subscribed to HEARTBEAT`, () => fake.commands.some((c) => c.startsWith('event json') && c.includes('HEARTBEAT')));
  fake.pushEvent(fake.event('HEARTBEAT', { 'Session-Count': String(sessions), 'Session-Peak-Max': String(sessions), 'Max-Sessions': '100', 'Idle-CPU': '95.000000', 'Uptime-msec': '60000' }));
  await eventually(`${node}'s HEARTBEAT stored`, async () => (await sp.ok('GET', '/api/v1/nodes')).find((n: { name: string }) => n.name === node)?.freeSessions, {
    until: (free) => free === 100 - sessions, timeoutMs: 60_000, intervalMs: 100,
  });
}

t.test('one instance, one node, no HEARTBEAT yet: the click-to-call is placed on it', async (t) => {
  const fakes = await fakeNodes(t, 1);
  const sp = await startSwitchplane(t, await freePort('tcp'), { ESL_NODES: eslNodes(fakes), ESL_LEASE_MS: '3000' });
  await eventually('the node held', () => owned(sp), { until: (o) => o.length === 1, timeoutMs: 60_000, intervalMs: 100 });
  const calls = await customerCalls(sp);
  const call = await sp.ok('POST', calls, { extension: '1001', destination: '+390212345678' });
  t.match(call, { state: 'originating', node: 'fs-0', extension: '1001' });
  await eventually('the originate reached the node', () => originates(fakes[0]!).some((c) => c.includes(call.callId)));
  t.match(await sp.ok('GET', `${calls}/${call.callId}`), { callId: call.callId, node: 'fs-0' });
});

if (SERVER) t.test('PostgreSQL: three instances, two nodes: calls placed by capacity and commanded from any instance', async (t) => {
  const fakes = await fakeNodes(t, 2);
  const instances = await startFleet(t, SERVER, { count: 3, eslNodes: eslNodes(fakes) });
  const first = instances[0]!;

  const { held } = await eventually('each node held once, by two of the three instances', async () => ({ clients: fakes.map((f) => f.authedClients), held: await Promise.all(instances.map(owned)) }), {
    until: ({ clients, held }) => clients.every((n) => n === 1) && held.flat().length === 2 && held.every((h) => h.length <= 1),
    timeoutMs: 120_000, intervalMs: 200,
  });
  const ownerOf = (node: string) => instances[held.findIndex((h) => h.includes(node))]!;
  const idle = instances[held.findIndex((h) => h.length === 0)]!;
  t.comment(`owners: ${JSON.stringify(held)}`);

  const calls = await customerCalls(first);
  await heartbeat(idle, fakes[0]!, 'fs-0', 10);
  await heartbeat(idle, fakes[1]!, 'fs-1', 80);

  // To the instance owning no node: the owner of fs-0 (90 free sessions against 20) originates it.
  const one = await idle.ok('POST', calls, { extension: '1001', destination: '+390212345678' });
  t.match(one, { state: 'originating', node: 'fs-0', extension: '1001' });
  t.ok(originates(fakes[0]!).some((c) => c.includes(one.callId)), 'bgapi originate reached fs-0');
  t.same(originates(fakes[1]!), [], 'and nothing reached fs-1');

  // fs-1 has the room now: a click-to-call sent to fs-0's owner goes to fs-1's.
  await heartbeat(idle, fakes[0]!, 'fs-0', 95);
  await heartbeat(idle, fakes[1]!, 'fs-1', 30);
  const two = await ownerOf('fs-0').ok('POST', calls, { extension: '1001', destination: '+390212345679' });
  t.match(two, { state: 'originating', node: 'fs-1' });
  t.ok(originates(fakes[1]!).some((c) => c.includes(two.callId)), 'bgapi originate reached fs-1');
  t.equal(originates(fakes[0]!).length, 1, 'fs-0 got only the first');

  for (const [i, sp] of instances.entries()) {
    t.match(await sp.ok('GET', `${calls}/${one.callId}`), { callId: one.callId, node: 'fs-0' }, `instance ${i} sees the call on fs-0`);
    t.match(await sp.ok('GET', `${calls}/${two.callId}`), { callId: two.callId, node: 'fs-1' }, `instance ${i} sees the call on fs-1`);
    const live = await sp.ok('GET', `${calls}/active`);
    t.same(live.map((c: { callId: string }) => c.callId).sort(), [one.callId, two.callId].sort(), `instance ${i} lists the calls of both nodes`);
    t.equal((await sp.api('GET', `${calls}/00000000-0000-4000-8000-000000000000`)).status, 404, `instance ${i}: a call no instance knows is 404`);
  }

  // Hung up from fs-1's owner: uuid_kill goes to fs-0 only, through its owner.
  const hungUp = await ownerOf('fs-1').api('POST', `${calls}/${one.callId}/hangup`);
  t.equal(hungUp.status, 202, JSON.stringify(hungUp.body));
  t.match(hungUp.body.data, { callId: one.callId, node: 'fs-0' });
  t.ok(fakes[0]!.commands.includes(`api uuid_kill ${one.callId}`), 'uuid_kill reached fs-0');
  t.notOk(fakes[1]!.commands.some((c) => c.startsWith('api uuid_kill')), 'and not fs-1');
  const audit = await first.ok('GET', `${calls.replace(/\/calls$/, '')}/audit-log?resourceType=call`);
  t.equal(audit.filter((a: { action: string }) => a.action === 'originate').length, 2, 'one audit row per originate, by the instance that placed it');
});
