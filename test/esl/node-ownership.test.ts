/**
 * One owner per FreeSWITCH node (src/esl/node-ownership.ts), in one process with several
 * "instances" (each its own EslNodes and NodeOwnership on the same database) against fake event
 * sockets, with a short lease standing in for time:
 * - three nodes, two instances: each node has exactly one event socket, the shares are 2 and 1;
 * - the owner's HEARTBEAT figures reach the node's record and the placement;
 * - an instance cut off from the database closes its sockets once its lease ran out, and the other
 *   takes its nodes over (the lease expired by the database's clock);
 * - a new instance takes its share: the one above it gives a node up, closing it first;
 * - four nodes on three instances settle at 2, 1, 1 (the node given up is not taken back);
 * - a graceful stop gives every node up at once.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { backends } from '../helpers/backends.js';
import { eventually } from '../helpers/eventually.js';
import { FakeEslServer } from '../helpers/esl-server.js';
import type { Store } from '../../src/db/store.js';
import { createNode } from '../../src/domain/freeswitch-nodes.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { EslController } from '../../src/esl/controller.js';
import { HeartbeatRecorder } from '../../src/esl/heartbeats.js';
import { NodeOwnership } from '../../src/esl/node-ownership.js';
import { EslNodes } from '../../src/esl/nodes.js';
import { createMetrics } from '../../src/metrics.js';

const LEASE_MS = 2000;

for (const backend of backends) {
  t.test(`${backend.name}: node ownership`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    const secrets = new SecretBox(randomBytes(32));
    const fakes = await Promise.all([0, 1, 2].map(() => FakeEslServer.start({ password: 'node-secret' })));
    t.teardown(() => Promise.all(fakes.map((f) => f.stop())));
    for (const [i, f] of fakes.entries()) await createNode(store, secrets, { name: `fs-${i}`, eslHost: f.host, eslPort: f.port, eslPassword: 'node-secret' });

    const errors: unknown[] = [];
    const instance = (id: string, db: Store = store) => {
      const nodes = new EslNodes({ nodes: [], password: 'unused' }, () => undefined, { initialMs: 20, maxMs: 200 });
      const metrics = createMetrics();
      new EslController(nodes, [new HeartbeatRecorder({ store, metrics, nodes, onError: (err) => errors.push(err) })], metrics, (err) => errors.push(err));
      nodes.start();
      const ownership = new NodeOwnership({ store: db, secrets, nodes, instanceId: id, leaseMs: LEASE_MS, metrics, onError: (err) => t.comment(`${id}: ${String(err)}`) });
      ownership.on('released', (node, reason) => t.comment(`${id} released ${node}: ${reason}`));
      t.teardown(async () => {
        await ownership.stop();
        await nodes.close();
      });
      return { nodes, ownership, metrics };
    };
    const clients = () => fakes.map((f) => f.authedClients);
    const oneEach = () => clients().every((n) => n === 1);

    const a = instance('instance-a');
    let cut = false;
    const flaky: Store = { ...store, withOperator: (fn) => (cut ? Promise.reject(new Error('network cut')) : store.withOperator(fn)) };
    const b = instance('instance-b', flaky);
    await Promise.all([a.ownership.start(), b.ownership.start()]);

    await t.test('each node has exactly one event socket; the shares are 2 and 1', async (t) => {
      await eventually('one socket per node, shares 2 and 1', () => oneEach() && [a, b].map((x) => x.ownership.nodeNames.length).sort().join() === '1,2', { timeoutMs: 20_000 });
      t.same(clients(), [1, 1, 1]);
      t.same([...a.ownership.nodeNames, ...b.ownership.nodeNames].sort(), ['fs-0', 'fs-1', 'fs-2']);
      t.ok(fakes.every((f) => f.commands.includes('auth node-secret')), 'the node\'s own password, opened from its record');
      await eventually('a node taken gets a catch-up flush (sent once subscribed)', () => fakes.every((f) => f.commands.includes('api sofia profile external rescan')));
    });

    await t.test('the owner stores HEARTBEAT figures and places calls on the node with most free sessions', async (t) => {
      const owner = a.ownership.nodeNames.length === 2 ? a : b;
      const [first, second] = owner.ownership.nodeNames.map((n) => fakes[Number(n.slice(3))]!);
      first!.pushEvent(first!.event('HEARTBEAT', { 'Session-Count': '90', 'Session-Peak-Max': '120', 'Max-Sessions': '100', 'Idle-CPU': '91.500000', 'Uptime-msec': '7200500' }));
      second!.pushEvent(second!.event('HEARTBEAT', { 'Session-Count': '10', 'Session-Peak-Max': '15', 'Max-Sessions': '100', 'Idle-CPU': '99.000000', 'Uptime-msec': '1000' }));
      const row = await eventually('the figures stored', () =>
        store.withOperator((trx) => trx.selectFrom('freeswitch_nodes').selectAll().where('esl_port', '=', first!.port).where('heartbeat_at', 'is not', null).executeTakeFirst()),
      );
      t.match(row, { session_count: 90, session_peak_max: 120, max_sessions: 100, idle_cpu: 91.5 });
      t.equal(Number(row.uptime_seconds), 7200);
      await eventually('placement knows both', () => owner.nodes.leastLoaded()?.health().port === second!.port);
      t.match(await owner.metrics.registry.getSingleMetricAsString('switchplane_freeswitch_node'), /figure="max_sessions"} 100/);
      t.same(errors, []);
    });

    await t.test('an instance cut off from the database closes its sockets; the other takes its nodes over', async (t) => {
      const lost = b.ownership.nodeNames;
      const released: string[] = [];
      b.ownership.on('released', (node, reason) => released.push(`${node}:${reason}`));
      const taken: string[] = [];
      a.ownership.on('acquired', (node) => taken.push(node));
      cut = true;
      // A node leaves nodeNames before its socket is closed and `released` is emitted.
      await eventually('b closed its sockets', () => b.ownership.nodeNames.length === 0 && lost.every((n) => released.some((r) => r.startsWith(`${n}:`))), { timeoutMs: 20_000 });
      t.ok(lost.every((n) => released.includes(`${n}:expired`)), `closed because its lease ran out: ${released.join(', ')}`);
      await eventually('a holds every node', () => a.ownership.nodeNames.length === 3 && oneEach(), { timeoutMs: 20_000 });
      t.ok(lost.every((n) => taken.includes(n)), `a took b's nodes: ${taken.join(', ')}`);
      cut = false;
    });

    await t.test('a new instance takes its share: the owner above it gives nodes up first', async (t) => {
      const c = instance('instance-c');
      await c.ownership.start();
      await eventually('shares 1, 1, 1', () => [a, b, c].every((x) => x.ownership.nodeNames.length === 1) && oneEach(), { timeoutMs: 30_000 });
      t.same(clients(), [1, 1, 1], 'never two sockets on a node');
      await c.ownership.stop();
      t.equal(c.ownership.nodeNames.length, 0);
      await eventually('c\'s node taken again', () => a.ownership.nodeNames.length + b.ownership.nodeNames.length === 3 && oneEach(), { timeoutMs: 20_000 });
    });

    await t.test('four nodes held 2 and 2, then a third instance: 2, 1, 1, the node given up going to the instance holding none', async (t) => {
      const fourth = await FakeEslServer.start({ password: 'node-secret' });
      t.teardown(() => fourth.stop());
      fakes.push(fourth);
      t.teardown(() => void fakes.pop());
      await createNode(store, secrets, { name: 'fs-3', eslHost: fourth.host, eslPort: fourth.port, eslPassword: 'node-secret' });
      await eventually('a and b hold 2 and 2', () => a.ownership.nodeNames.length === 2 && b.ownership.nodeNames.length === 2 && oneEach(), { timeoutMs: 20_000 });
      const d = instance('instance-d');
      await d.ownership.start();
      const shares = () => [a, b, d].map((x) => x.ownership.nodeNames.length).sort().join();
      await eventually('shares 1, 1, 2', () => shares() === '1,1,2' && oneEach(), { timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 2 * LEASE_MS));
      t.equal(shares(), '1,1,2', 'still 1, 1, 2 two leases later');
      t.same(clients(), [1, 1, 1, 1], 'one socket per node');
      await d.ownership.stop();
    });
  });
}
