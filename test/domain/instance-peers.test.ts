/**
 * The fleet as the call forwarding reads it, on each backend: the other live instances holding
 * leases with their URL and nodes (src/domain/instance-peers.ts livePeers), and the nodes ranked
 * for a new call (src/domain/call-placement.ts placementCandidates): fresh HEARTBEAT first, most
 * free sessions, then idle CPU; a node whose lease or owner expired is no candidate.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { backends } from '../helpers/backends.js';
import { eventually } from '../helpers/eventually.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { createNode, writeHeartbeat } from '../../src/domain/freeswitch-nodes.js';
import { announceInstance, takeLease } from '../../src/domain/node-leases.js';
import { livePeers } from '../../src/domain/instance-peers.js';
import { placementCandidates } from '../../src/domain/call-placement.js';

const LONG = 60_000;
const figures = (sessionCount: number, idleCpu: number) => ({ sessionCount, sessionPeakMax: sessionCount, maxSessions: 100, idleCpu, uptimeSeconds: 60 });

for (const backend of backends) {
  t.test(`${backend.name}: peers and placement`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    const secrets = new SecretBox(randomBytes(32));
    const node = (name: string) => createNode(store, secrets, { name, eslHost: '127.0.0.1', eslPort: 8021, eslPassword: 'ClueCon' });
    const [a, b, c, d] = await Promise.all(['fs-a', 'fs-b', 'fs-c', 'fs-d'].map(node));
    await announceInstance(store, 'self', LONG, 'http://10.0.0.1:8080');
    await announceInstance(store, 'p1', LONG, 'http://10.0.0.2:8080');
    await announceInstance(store, 'p2', LONG);
    await announceInstance(store, 'idle', LONG, 'http://10.0.0.4:8080');
    await takeLease(store, a!.id, 'self', LONG);
    await takeLease(store, b!.id, 'p1', LONG);
    await takeLease(store, c!.id, 'p1', LONG);
    await takeLease(store, d!.id, 'p2', LONG);

    t.test('peers: the other live instances holding leases, with a URL', async (t) => {
      t.same(await livePeers(store, 'self'), [{ id: 'p1', url: 'http://10.0.0.2:8080', nodes: ['fs-b', 'fs-c'] }], 'not itself, not one without a URL, not one holding nothing');
      await announceInstance(store, 'p2', LONG, 'http://10.0.0.3:8080');
      t.same((await livePeers(store, 'self')).map((p) => p.id), ['p1', 'p2'], 'a URL given at the next announcement');
    });

    t.test('placement: fresh HEARTBEATs first, by free sessions, then idle CPU', async (t) => {
      t.same((await placementCandidates(store)).map((p) => [p.node, p.fresh]), [['fs-a', false], ['fs-b', false], ['fs-c', false], ['fs-d', false]], 'no HEARTBEAT yet: by name');
      await writeHeartbeat(store, 'fs-a', figures(50, 99));
      await writeHeartbeat(store, 'fs-b', figures(10, 80));
      await writeHeartbeat(store, 'fs-c', figures(10, 90));
      const ranked = await placementCandidates(store);
      t.same(ranked.map((p) => [p.node, p.freeSessions]), [['fs-c', 90], ['fs-b', 90], ['fs-a', 50], ['fs-d', null]]);
      t.match(ranked[0], { node: 'fs-c', owner: 'p1', url: 'http://10.0.0.2:8080', fresh: true });
    });

    t.test('a node whose owner or lease expired is no candidate, nor its owner a peer', async (t) => {
      await announceInstance(store, 'p1', 200, 'http://10.0.0.2:8080');
      await eventually('p1 expired', () => placementCandidates(store), { until: (r) => r.every((p) => p.owner !== 'p1'), timeoutMs: 10_000, intervalMs: 50 });
      t.same((await placementCandidates(store)).map((p) => p.node), ['fs-a', 'fs-d']);
      t.same((await livePeers(store, 'self')).map((p) => p.id), ['p2']);
      await takeLease(store, d!.id, 'p2', 200);
      await eventually('fs-d\'s lease expired', () => placementCandidates(store), { until: (r) => r.every((p) => p.node !== 'fs-d'), timeoutMs: 10_000, intervalMs: 50 });
      t.same(await livePeers(store, 'self'), [], 'p2 holds nothing live');
    });
  });
}
