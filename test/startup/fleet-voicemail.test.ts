/**
 * Voicemail from any instance (src/esl/node-access.ts, src/esl/voicemail.ts): Switchplane
 * processes (src/main.ts) in front of fake FreeSWITCH nodes (test/helpers/esl-server.ts) answering
 * mod_voicemail's commands, each node holding one message of the same mailbox.
 * - Always: one instance on its embedded database, its nodes from ESL_NODES: the mailbox lists the
 *   messages of both nodes over the sockets it holds, with no other connection.
 * - With PostgreSQL (TEST_DATABASE_URL): two instances, each holding one node's event socket. Each
 *   lists the messages of both nodes, the other instance's node over a short-lived socket that is
 *   closed afterwards (the node is left with its owner's socket only), and marks read a message
 *   on the node it does not hold.
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
/** The message node fs-<i> holds, received at 1796454000 + i × 60 (2026-12-05T07:00:00Z + i min). */
const MESSAGES = ['0b9f1c52-7d0a-4f4e-9d55-0a4c1f3c2e10', '7e1d2c3b-4a59-4687-9123-456789abcdef'];

/** Fake nodes answering vm_fsdb_msg_list/get and vm_read as mod_voicemail does; node i holds MESSAGES[i] of every mailbox. */
async function voicemailNodes(t: Test, n: number): Promise<FakeEslServer[]> {
  const fakes = await Promise.all(Array.from({ length: n }, () => FakeEslServer.start()));
  for (const [i, f] of fakes.entries()) {
    const id = MESSAGES[i]!;
    let readAt = 0;
    f.api = (cmd) => {
      const list = /^vm_fsdb_msg_list json default \S+ \S+ inbox (not-read|read)$/.exec(cmd);
      if (list) {
        const holds = (list[1] === 'read') === readAt > 0;
        return JSON.stringify({ 'VM-List-Count': holds ? '1' : '0', ...(holds ? { 'VM-List-Message-1-UUID': id } : {}) });
      }
      const get = /^vm_fsdb_msg_get json default \S+ \S+ (\S+)$/.exec(cmd);
      if (get) {
        return JSON.stringify(get[1] === id ? {
          'VM-Message-UUID': id, 'VM-Message-Received-Epoch': String(1796454000 + i * 60), 'VM-Message-Read-Epoch': String(readAt),
          'VM-Message-Caller-Name': `Caller ${i}`, 'VM-Message-Caller-Number': `100${i}`, 'VM-Message-Duration': '7', 'VM-Message-Read-Flags': 'B_NORMAL',
        } : { 'Event-Name': 'REQUEST_PARAMS' });
      }
      if (new RegExp(`^vm_read \\S+ read ${id}$`).test(cmd)) {
        readAt = 1796454100;
        return '+OK\n';
      }
      return undefined;
    };
  }
  t.teardown(() => Promise.all(fakes.map((f) => f.stop())));
  return fakes;
}

const eslNodes = (fakes: FakeEslServer[]) => fakes.map((f, i) => `fs-${i}@${f.host}:${f.port}`).join(',');


/** A customer with extension 1001, through the admin API; resolves with the extension's voicemail path. */
async function mailbox(sp: SwitchplaneProcess): Promise<string> {
  const slug = `vm-${randomBytes(3).toString('hex')}`;
  const customer = await sp.ok('POST', '/api/v1/customers', { name: slug, slug, sipDomain: `${slug}.switchplane.test` });
  const ext = await sp.ok('POST', `/api/v1/customers/${customer.id}/extensions`, { extensionNumber: '1001', password: 'Fleet-Sip-Password-1' });
  return `/api/v1/customers/${customer.id}/extensions/${ext.id}/voicemail`;
}

/** The [id, node] of each message a list answers, newest first. */
const listed = async (sp: SwitchplaneProcess, path: string): Promise<string[][]> => (await sp.ok('GET', path)).map((m: { id: string; node: string }) => [m.id, m.node]);
const BOTH = [[MESSAGES[1], 'fs-1'], [MESSAGES[0], 'fs-0']];

t.test('one instance holding both nodes: the messages of both, over its own sockets', async (t) => {
  const fakes = await voicemailNodes(t, 2);
  const sp = await startSwitchplane(t, await freePort('tcp'), { ESL_NODES: eslNodes(fakes), ESL_PASSWORD: 'ClueCon', ESL_LEASE_MS: '3000' });
  await eventually('both nodes held', () => owned(sp), { until: (o) => o.length === 2, timeoutMs: 60_000, intervalMs: 100 });
  const path = await mailbox(sp);
  const accepted = fakes.map((f) => f.connectionsAccepted);
  t.same(await listed(sp, path), BOTH);
  t.same(fakes.map((f) => f.connectionsAccepted), accepted, 'no other connection');
});

if (SERVER) t.test('PostgreSQL: two instances, one node each: either lists both nodes\' messages and changes one on the other\'s node', async (t) => {
  const fakes = await voicemailNodes(t, 2);
  const instances = await startFleet(t, SERVER, { count: 2, eslNodes: eslNodes(fakes) });
  const first = instances[0]!;
  const { held } = await eventually('one node held by each instance', async () => ({ clients: fakes.map((f) => f.authedClients), held: await Promise.all(instances.map(owned)) }), {
    until: ({ clients, held }) => clients.every((n) => n === 1) && held.every((h) => h.length === 1),
    timeoutMs: 120_000, intervalMs: 200,
  });
  t.comment(`held: ${JSON.stringify(held)}`);
  const path = await mailbox(first);

  for (const [i, sp] of instances.entries()) {
    const other = fakes[held[i]![0] === 'fs-0' ? 1 : 0]!;
    const accepted = other.connectionsAccepted;
    t.same(await listed(sp, path), BOTH, `instance ${i + 1}, holding ${held[i]![0]}, lists both nodes' messages`);
    t.ok(other.connectionsAccepted > accepted, 'the node it does not hold, over a socket of its own');
    await eventually('that socket closed: the node has its owner\'s only', () => fakes.every((f) => f.authedClients === 1));
  }

  const holderOfFirst = instances[held.findIndex((h) => h[0] === 'fs-0')]!;
  const notHolding = instances.find((sp) => sp !== holderOfFirst)!;
  t.match(await notHolding.ok('PATCH', `${path}/${MESSAGES[0]}`, { read: true }), { id: MESSAGES[0], node: 'fs-0', read: true }, 'marked read from the instance not holding fs-0');
  t.ok(fakes[0]!.commands.some((c) => c.startsWith('api vm_read ') && c.endsWith(` read ${MESSAGES[0]}`)), 'vm_read reached fs-0');
  t.notOk(fakes[1]!.commands.some((c) => c.startsWith('api vm_read ')), 'and not fs-1');
  t.match(await holderOfFirst.ok('GET', `${path}/${MESSAGES[0]}`), { read: true }, 'its owner sees it read');
  await eventually('every short-lived socket closed', () => fakes.every((f) => f.authedClients === 1));
});
