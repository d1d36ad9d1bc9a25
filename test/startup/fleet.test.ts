/**
 * Several Switchplane processes (src/main.ts) in front of fake FreeSWITCH nodes
 * (test/helpers/esl-server.ts): every node has one event socket, from the instance that owns it
 * (src/esl/node-ownership.ts), and each hangup gives one CDR write over all instances.
 * - Always: one instance on its embedded database, nodes from ESL_NODES: it holds them all and
 *   the node API shows them with their owner, password never answered.
 * - With PostgreSQL (TEST_DATABASE_URL): three instances on one database, nodes registered by
 *   the first's ESL_NODES; the owners spread; an owner killed with SIGKILL has its nodes taken
 *   over by the others, and the hangups after that are written once too.
 */
import t, { type Test } from 'tap';
import { eventually } from '../helpers/eventually.js';
import { FakeEslServer } from '../helpers/esl-server.js';
import { hangupEvent } from '../helpers/cdr.js';
import { eslCdrWrites, ownedNodes as owned } from '../helpers/instance-metrics.js';
import { freePort } from '../helpers/sipp.js';
import { startFleet } from '../helpers/fleet.js';
import { startSwitchplane, type SwitchplaneProcess } from '../helpers/switchplane-process.js';

t.setTimeout(900_000);

const SERVER = process.env.TEST_DATABASE_URL;

async function fakeNodes(t: Test, n: number): Promise<FakeEslServer[]> {
  const fakes = await Promise.all(Array.from({ length: n }, () => FakeEslServer.start()));
  t.teardown(() => Promise.all(fakes.map((f) => f.stop())));
  return fakes;
}

const eslNodes = (fakes: FakeEslServer[]) => fakes.map((f, i) => `fs-${i}@${f.host}:${f.port}`).join(',');
const oneSocketEach = (fakes: FakeEslServer[]) => fakes.every((f) => f.authedClients === 1);

/** Pushes `n` hangups spread over `fakes` (each to the sockets subscribed on its node). */
function hangups(fakes: FakeEslServer[], n: number): void {
  for (let i = 0; i < n; i++) fakes[i % fakes.length]!.pushEvent(hangupEvent());
}

t.test('one instance holds every node of ESL_NODES; one CDR write per hangup', async (t) => {
  const fakes = await fakeNodes(t, 3);
  const sp = await startSwitchplane(t, await freePort('tcp'), { ESL_NODES: eslNodes(fakes), ESL_PASSWORD: 'ClueCon', ESL_LEASE_MS: '3000' });
  await eventually('one socket per node', () => oneSocketEach(fakes), { timeoutMs: 60_000, intervalMs: 100 });
  const nodes = await sp.ok('GET', '/api/v1/nodes');
  t.same(nodes.map((n: { name: string }) => n.name), ['fs-0', 'fs-1', 'fs-2']);
  t.ok(nodes.every((n: { owner: string | null }) => n.owner !== null), 'each has its owner');
  t.notMatch(JSON.stringify(nodes), 'ClueCon', 'the password is never answered');
  t.notMatch(sp.output(), 'ClueCon', 'nor logged');
  await eventually('subscribed', () => fakes.every((f) => f.commands.some((c) => c.startsWith('event json') && c.includes('CHANNEL_HANGUP_COMPLETE'))));
  hangups(fakes, 12);
  await eventually('12 CDR writes', () => eslCdrWrites(sp), { until: (n) => n === 12, timeoutMs: 60_000, intervalMs: 200 });
});

if (SERVER) t.test('PostgreSQL: three instances share the nodes; a killed owner\'s nodes are taken over', async (t) => {
  const fakes = await fakeNodes(t, 4);
  const instances = await startFleet(t, SERVER, { count: 3, eslNodes: eslNodes(fakes) });

  const shares = () => Promise.all(instances.map(owned));
  const { held: spread } = await eventually('every node held once, by all three instances', async () => ({ clients: fakes.map((f) => f.authedClients), held: await shares() }), {
    until: ({ clients, held }) => clients.every((n) => n === 1) && held.flat().length === 4 && held.every((h) => h.length > 0),
    timeoutMs: 120_000, intervalMs: 200,
  });
  t.same(spread.map((h) => h.length).sort(), [1, 1, 2], `4 nodes on 3 instances are 2, 1, 1: ${JSON.stringify(spread)}`);
  for (const sp of instances) t.comment(sp.output().split('\n').filter((l) => /lease|FreeSWITCH node/.test(l)).slice(-5).join('\n'));
  t.same(fakes.map((f) => f.authedClients), [1, 1, 1, 1], 'connections = nodes');

  await eventually('subscribed', () => fakes.every((f) => f.commands.some((c) => c.startsWith('event json') && c.includes('CHANNEL_HANGUP_COMPLETE'))));
  hangups(fakes, 20);
  const total = async (sps: SwitchplaneProcess[]) => (await Promise.all(sps.map(eslCdrWrites))).reduce((a, b) => a + b, 0);
  await eventually('20 CDR writes over all instances', () => total(instances), { until: (n) => n === 20, timeoutMs: 60_000, intervalMs: 200 });

  const victim = instances.find((_, i) => spread[i]!.includes('fs-0'))!; // an owner, killed
  const lost = spread[instances.indexOf(victim)]!;
  const survivors = instances.filter((sp) => sp !== victim);
  const before = await total(survivors);
  await victim.stop({ signal: 'SIGKILL' });
  const { held: after } = await eventually('the killed owner\'s nodes taken over', async () => ({ clients: fakes.map((f) => f.authedClients), held: await Promise.all(survivors.map(owned)) }), {
    until: ({ clients, held }) => clients.every((n) => n === 1) && held.flat().length === 4,
    timeoutMs: 60_000, intervalMs: 100,
  });
  t.same(after.flat().sort(), ['fs-0', 'fs-1', 'fs-2', 'fs-3'], 'every node held by a survivor');
  t.ok(lost.every((n) => after.flat().includes(n)), `taken over: ${lost.join(', ')}`);
  const nodes = await survivors[0]!.ok('GET', '/api/v1/nodes');
  t.ok(nodes.every((n: { owner: string | null }) => n.owner !== null), 'the API shows the new owners');

  // A node taken gets its catch-up flush once its subscription is in place: a second one is the new owner's.
  const rescans = (f: FakeEslServer) => f.commands.filter((c) => c === 'api sofia profile external rescan').length;
  await eventually('the new owners subscribed', () => lost.every((n) => rescans(fakes[Number(n.slice(3))]!) >= 2));
  hangups(fakes, 8);
  await eventually('8 more CDR writes, once each', () => total(survivors), { until: (n) => n === before + 8, timeoutMs: 60_000, intervalMs: 200 });
});
