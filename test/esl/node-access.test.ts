/**
 * Commands to any enabled node (src/esl/node-access.ts) against fake event sockets and node
 * records: a node this instance holds is reached over its held socket (no new connection); a
 * node another instance holds gets a short-lived socket of this instance, authenticated, used and
 * closed (the node is left with its owner's socket only), also when a command fails or gets no
 * answer; a refused node fails at the refused attempt, not after the connect timeout; a wrong
 * password, a silent socket and an unknown name give their errors; without records only held
 * nodes are reached; the records are read again once the cache time has passed.
 */
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { createNode, updateNode } from '../../src/domain/freeswitch-nodes.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { NodeAccess, NodeUnreachableError, UnknownNodeError } from '../../src/esl/node-access.js';
import { EslNodes } from '../../src/esl/nodes.js';
import { backends } from '../helpers/backends.js';
import { eventually } from '../helpers/eventually.js';
import { FakeEslServer } from '../helpers/esl-server.js';

const PASSWORD = 'node-secret';

/** An EslNodes holding `server` as node `name`, connected. */
async function holding(t: Test, name: string, server: FakeEslServer): Promise<EslNodes> {
  const nodes = new EslNodes({ nodes: [{ name, host: server.host, port: server.port }], password: PASSWORD }, () => undefined, { initialMs: 20, maxMs: 200 });
  const up = once(nodes.connections[0]!, 'connected');
  nodes.start();
  await up;
  t.teardown(() => nodes.close());
  return nodes;
}

for (const backend of backends) {
  t.test(`${backend.name}: commands to any enabled node`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    const secrets = new SecretBox(randomBytes(32));
    const [mine, theirs, closed] = await Promise.all([0, 1, 2].map(() => FakeEslServer.start({ password: PASSWORD })));
    t.teardown(() => Promise.all([mine!, theirs!].map((f) => f.stop())));
    await closed!.stop(); // its port now refuses connections
    for (const f of [mine!, theirs!]) f.api = (cmd) => (cmd === 'uuid_exists abc' ? 'true' : cmd === 'status' ? `UP on ${f.port}\n` : undefined);
    const silent = net.createServer(() => undefined); // accepts, never says auth/request
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    t.teardown(() => new Promise((resolve) => silent.close(resolve)));
    const record = (name: string, port: number, eslPassword = PASSWORD) => createNode(store, secrets, { name, eslHost: '127.0.0.1', eslPort: port, eslPassword });
    await record('fs-a', mine!.port);
    await record('fs-b', theirs!.port);
    const refused = await record('fs-c', closed!.port);
    const wrongPassword = await record('fs-d', theirs!.port, 'not-the-password');
    const mute = await record('fs-e', (silent.address() as AddressInfo).port);
    await updateNode(store, secrets, mute.id, { enabled: false });

    const held = await holding(t, 'fs-a', mine!);
    await holding(t, 'fs-b', theirs!); // fs-b's owner: another instance
    const access = new NodeAccess({ nodes: held, records: { store, secrets }, cacheMs: 0, connectTimeoutMs: 30_000, commandTimeoutMs: 300 });

    await t.test('a node held here: its held socket, no new connection', async (t) => {
      const accepted = mine!.connectionsAccepted;
      t.equal(await access.withNode('fs-a', (conn) => conn.api('status')), `UP on ${mine!.port}\n`);
      t.equal(mine!.connectionsAccepted, accepted);
      t.equal(mine!.authedClients, 1);
    });

    await t.test('a node another instance holds: a short-lived socket, authenticated, used, closed', async (t) => {
      const accepted = theirs!.connectionsAccepted;
      const sent = theirs!.commands.length;
      const seen: number[] = [];
      const answer = await access.withNode('fs-b', async (conn, node) => {
        seen.push(theirs!.authedClients);
        return `${node}: ${await conn.api('status')}`;
      });
      t.equal(answer, `fs-b: UP on ${theirs!.port}\n`);
      t.same(seen, [2], 'the owner\'s socket and this one while in use');
      t.equal(theirs!.connectionsAccepted, accepted + 1, 'one connection');
      t.same(theirs!.commands.slice(sent), ['auth node-secret', 'event json BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE', 'nixevent CHANNEL_EXECUTE_COMPLETE', 'api status'], 'modesl\'s own subscription only');
      await eventually('back to the owner\'s socket only', () => theirs!.authedClients === 1);
    });

    await t.test('a failed command and a command with no answer close the short-lived socket too', async (t) => {
      await t.rejects(access.withNode('fs-b', (conn) => conn.api('no_such_command')), /api no_such_command failed on fs-b: -ERR no_such_command Command not found!/);
      await eventually('closed after the failure', () => theirs!.authedClients === 1);
      theirs!.api = (cmd) => (cmd === 'hang' ? new Promise<undefined>(() => undefined) : undefined);
      await t.rejects(access.withNode('fs-b', (conn) => conn.api('hang')), /api hang: no answer from fs-b within 300 ms/, 'commandTimeoutMs');
      await eventually('closed after the timeout', () => theirs!.authedClients === 1);
    });

    await t.test('every enabled node: held first, then the others by name; each outcome on its own', async (t) => {
      theirs!.api = (cmd) => (cmd === 'uuid_exists abc' ? 'false' : undefined);
      const outcomes = await access.everyNode((conn) => conn.api('uuid_exists abc'));
      t.same(outcomes.map((o) => [o.node, o.ok]), [['fs-a', true], ['fs-b', true], ['fs-c', false], ['fs-d', false]], 'fs-e is disabled');
      t.match(outcomes.slice(0, 2), [{ value: 'true' }, { value: 'false' }]);
      const [c, d] = outcomes.slice(2).map((o) => (o.ok ? undefined : o.error));
      t.ok(c instanceof NodeUnreachableError && d instanceof NodeUnreachableError);
      t.match(c, { node: 'fs-c', message: /^FreeSWITCH node fs-c cannot be reached: .*ECONNREFUSED/ }, 'refused: failed at the refused attempt, not after the 30 s connect timeout');
      t.match(d, { node: 'fs-d', message: /authentication to 127\.0\.0\.1:\d+ failed \(-ERR invalid\)/ });
      await eventually('fs-b back to its owner\'s socket only', () => theirs!.authedClients === 1);
      t.equal(mine!.authedClients, 1);
      await updateNode(store, secrets, refused.id, { enabled: false });
      await updateNode(store, secrets, wrongPassword.id, { enabled: false });
    });

    await t.test('a socket that never asks for the password: unreachable after connectTimeoutMs', async (t) => {
      await updateNode(store, secrets, mute.id, { enabled: true });
      t.teardown(() => updateNode(store, secrets, mute.id, { enabled: false }));
      const quick = new NodeAccess({ nodes: held, records: { store, secrets }, connectTimeoutMs: 200 });
      await t.rejects(quick.withNode('fs-e', (conn) => conn.api('status')), { message: /fs-e cannot be reached: no ESL handshake from 127\.0\.0\.1:\d+ within 200 ms/ });
    });

    await t.test('an unknown name: UnknownNodeError', async (t) => {
      const err = await access.withNode('fs-z', (conn) => conn.api('status')).catch((e: unknown) => e);
      t.ok(err instanceof UnknownNodeError);
      t.match(err, { node: 'fs-z', message: 'no enabled FreeSWITCH node fs-z' });
    });

    await t.test('without node records: the held nodes only, as with every node on ESL_NODES', async (t) => {
      const alone = new NodeAccess({ nodes: held });
      t.same((await alone.everyNode((conn) => conn.api('uuid_exists abc'))).map((o) => o.node), ['fs-a']);
      t.ok((await alone.withNode('fs-b', (conn) => conn.api('status')).catch((e: unknown) => e)) instanceof UnknownNodeError, 'fs-b is not held here');
    });

    await t.test('the records are read once per cacheMs', async (t) => {
      const cached = new NodeAccess({ nodes: held, records: { store, secrets }, cacheMs: 3_600_000 });
      const names = async (a: NodeAccess) => (await a.everyNode(async () => null)).map((o) => o.node);
      t.same(await names(cached), ['fs-a', 'fs-b']);
      await updateNode(store, secrets, refused.id, { enabled: true });
      t.same(await names(cached), ['fs-a', 'fs-b'], 'within the hour: as read');
      t.same(await names(access), ['fs-a', 'fs-b', 'fs-c'], 'cacheMs 0: read again');
    });
  });
}
