/**
 * Node leases and instances (src/domain/node-leases.ts) on each backend: a free lease is taken
 * once, a held one is not taken by another instance, an expired one is (by the database's clock),
 * renewals keep only the owner's leases, a release frees a lease at once, and the view counts
 * live instances and says how long a lease has been expired. Short leases stand in for time.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { backends } from '../helpers/backends.js';
import { eventually } from '../helpers/eventually.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { createNode, nodeLinks, seedNodes } from '../../src/domain/freeswitch-nodes.js';
import { announceInstance, leaseView, releaseLease, renewLeases, retireInstance, takeLease } from '../../src/domain/node-leases.js';

const LONG = 60_000;

for (const backend of backends) {
  t.test(`${backend.name}: node leases`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    const secrets = new SecretBox(randomBytes(32));
    const a = await createNode(store, secrets, { name: 'fs-a', eslHost: '127.0.0.1', eslPort: 8021, eslPassword: 'ClueCon' });
    const b = await createNode(store, secrets, { name: 'fs-b', eslHost: '127.0.0.1', eslPort: 8022, eslPassword: 'ClueCon' });

    t.test('a free lease is taken by one instance; the other is refused while it is held', async (t) => {
      const [one, two] = await Promise.all([takeLease(store, a.id, 'i1', LONG), takeLease(store, a.id, 'i2', LONG)]);
      t.equal(Number(one) + Number(two), 1, 'exactly one of two racing instances gets it');
      const owner = one ? 'i1' : 'i2';
      const other = one ? 'i2' : 'i1';
      t.equal(await takeLease(store, a.id, other, LONG), false, 'still held');
      t.same([...(await renewLeases(store, owner, [a.id, b.id], LONG))], [a.id], 'the owner renews it');
      t.same([...(await renewLeases(store, other, [a.id], LONG))], [], 'the other has nothing to renew');
      t.equal(await takeLease(store, a.id, owner, LONG), true, 'the owner may take its own lease again');
      await releaseLease(store, a.id, other);
      t.equal(await takeLease(store, a.id, other, LONG), false, 'a release by a non-owner does nothing');
      await releaseLease(store, a.id, owner);
      t.equal(await takeLease(store, a.id, other, LONG), true, 'released: taken at once');
      await releaseLease(store, a.id, other);
    });

    t.test('an expired lease is taken over by the database clock; the old owner renews nothing', async (t) => {
      t.equal(await takeLease(store, b.id, 'dead', 300), true);
      t.equal(await takeLease(store, b.id, 'heir', LONG), false, 'not before it expires');
      await eventually('the expired lease is taken', () => takeLease(store, b.id, 'heir', LONG), { timeoutMs: 10_000, intervalMs: 50 });
      t.same([...(await renewLeases(store, 'dead', [b.id], LONG))], [], 'the dead owner lost it');
      t.same([...(await renewLeases(store, 'heir', [b.id], LONG))], [b.id]);
      await releaseLease(store, b.id, 'heir');
    });

    t.test('the view: live instances, held and expired leases', async (t) => {
      await announceInstance(store, 'i1', LONG);
      await announceInstance(store, 'i2', LONG);
      await announceInstance(store, 'gone', 200);
      t.ok(await takeLease(store, a.id, 'gone', 200));
      await sleep(400);
      const view = await leaseView(store);
      t.same([...view.liveInstances].sort(), ['i1', 'i2'], 'the silent instance is not counted');
      const slotA = view.slots.find((s) => s.nodeId === a.id)!;
      t.match(slotA, { owner: 'gone', held: false });
      t.ok(slotA.expiredForMs > 0, 'expired for a while');
      t.match(view.slots.find((s) => s.nodeId === b.id), { owner: null, held: false, expiredForMs: 0 });
      await retireInstance(store, 'gone');
      t.equal((await leaseView(store)).slots.find((s) => s.nodeId === a.id)!.owner, null, 'retiring releases its leases');
    });

    t.test('ESL_NODES seeding adds and updates by name; an unchanged record keeps its sealed password', async (t) => {
      await seedNodes(store, secrets, [{ name: 'fs-a', host: '127.0.0.2', port: 8021 }, { name: 'fs-c', host: '127.0.0.3', port: 8023 }], 'ClueCon');
      const before = await nodeLinks(store, secrets);
      t.match(before.find((l) => l.name === 'fs-a'), { host: '127.0.0.2', port: 8021, password: 'ClueCon' });
      t.match(before.find((l) => l.name === 'fs-c'), { host: '127.0.0.3', port: 8023 });
      await seedNodes(store, secrets, [{ name: 'fs-a', host: '127.0.0.2', port: 8021 }], 'ClueCon');
      const after = await nodeLinks(store, secrets);
      t.equal(after.find((l) => l.name === 'fs-a')!.version, before.find((l) => l.name === 'fs-a')!.version, 'no change: the owner need not reconnect');
      await seedNodes(store, secrets, [{ name: 'fs-a', host: '127.0.0.2', port: 8021 }], 'other');
      t.equal((await nodeLinks(store, secrets)).find((l) => l.name === 'fs-a')!.password, 'other');
    });
  });
}
