/**
 * On the real FreeSWITCH 1.10.12: three Switchplane processes on one PostgreSQL database in front
 * of two FreeSWITCH nodes (src/esl/node-ownership.ts), all on loopback. The nodes are registered
 * through the API; each has its own event-socket port, RTP range and folder, and its SIP profiles
 * on an address of its own (fs-a 127.0.0.1, fs-b 127.0.0.2, the same SIP ports): every instance
 * serves one sofia.conf whose sip-ip is `$${switchplane_sip_ip}`, a global each node sets. Both
 * nodes fetch their XML from the first instance and post their CDRs (mod_json_cdr) to it.
 * Each node is registered with the port of a relay in front of its event socket (tcp-proxy.ts),
 * which records what Switchplane sends it: FreeSWITCH 1.10.12 does not log the `api` commands
 * run over its event socket, and a listener subscribed to its API events heard none for them.
 * - each node is held by exactly one instance, through exactly one event socket from Switchplane
 *   (established connections from a Switchplane PID to the node's port, `ss -tnp`);
 * - calls on both nodes: one CDR row per leg, carrying the core-uuid of the node the leg was on
 *   and that node's name (so its event socket reported it), and the CHANNEL_HANGUP_COMPLETE events
 *   the instances handled from each node add up to its legs;
 * - an extension change: one `xml_flush_cache` per id on each node, as the relay saw it sent;
 * - the owner of a node (not the instance serving the XML) killed with SIGKILL while calls are up
 *   on both nodes: another instance holds the node, through one socket; the calls hung up after
 *   that give one CDR per leg, their hangups handled by the survivors once each.
 * Several instances need one shared database: without TEST_DATABASE_URL one instance on its
 * embedded PGlite database holds both nodes, and the same checks run but the kill (no other
 * instance to take over) and those reading PostgreSQL (a CDR's node and core-uuid); each leg's CDR
 * is then read through `GET /api/v1/cdrs/{callId}`.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import t, { type Test } from 'tap';
import pg from 'pg';
import { createMigratedDatabase } from '../helpers/db-templates.js';
import { eslSocketHolders } from '../helpers/esl-sockets.js';
import { startFreeswitch, type Freeswitch } from '../helpers/freeswitch.js';
import { eslEventsByNode, ownedNodes } from '../helpers/instance-metrics.js';
import { listenForHangups, type HangupListener } from '../helpers/hangup-listener.js';
import { createCustomer, createExtension, until, type Customer, type Extension } from '../helpers/real-switch.js';
import { freeListenPort } from '../helpers/sipp.js';
import { startSipp } from '../helpers/sipp-scenario.js';
import { startSwitchplane, type SwitchplaneProcess } from '../helpers/switchplane-process.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const SERVER = process.env.TEST_DATABASE_URL;
const LEASE_MS = 3000;

interface FleetNode {
  name: string;
  /** The address its SIP profiles bind to. */
  sipIp: string;
  /** The node's registered event-socket port: a relay to the switch's that records what Switchplane sends. */
  eslPort: number;
  relay: TcpProxy;
  fs: Freeswitch;
  events: HangupListener;
  coreUuid: string;
}

let instances: SwitchplaneProcess[];
let nodes: FleetNode[];
/** PostgreSQL (TEST_DATABASE_URL) only. */
let db: pg.Client | undefined;
let acme: Customer;
let caller: Extension;
let callee: Extension;
let internalPort: number;
let callsPlaced = 0;

/** Which instances (indexes) hold `node` by their /metrics, and which hold a socket to it by `ss`. */
async function holders(node: FleetNode, live: SwitchplaneProcess[]): Promise<{ owners: number[]; sockets: number[] }> {
  const owned = await Promise.all(live.map(ownedNodes));
  const owners = live.filter((_, i) => owned[i]!.includes(node.name)).map((sp) => instances.indexOf(sp));
  const pids = await eslSocketHolders(node.eslPort);
  const sockets = pids.flatMap((pid) => instances.filter((sp) => sp.pid === pid).map((sp) => instances.indexOf(sp)));
  return { owners, sockets };
}

const heldOnce = (h: { owners: number[]; sockets: number[] }) => h.owners.length === 1 && h.sockets.length === 1 && h.sockets[0] === h.owners[0];

/** The CHANNEL_HANGUP_COMPLETE events `live` received from each node, added up over the instances, in the order of `nodes`. */
async function hangupsHeard(live: SwitchplaneProcess[]): Promise<number[]> {
  const counts = await Promise.all(live.map((sp) => eslEventsByNode(sp, 'CHANNEL_HANGUP_COMPLETE')));
  return nodes.map((n) => counts.reduce((sum, c) => sum + (c.get(n.name) ?? 0), 0));
}

/** `hangupsHeard` since `before`, once each node's reaches `legs` (or beyond). */
async function hangupsHeardSince(live: SwitchplaneProcess[], before: number[], legs: number): Promise<number[]> {
  return until(`${legs} hangups heard from each node`, async () => {
    const now = (await hangupsHeard(live)).map((n, i) => n - before[i]!);
    return now.every((n) => n >= legs) && now;
  });
}

/** A call from the caller through the trunk, placed on `node`; the caller hangs up after `holdMs`. */
function call(t: Test, node: FleetNode, holdMs: number) {
  const dest = `+1555020${String(callsPlaced++).padStart(4, '0')}`;
  return startSipp(t, {
    scenario: 'call.xml',
    remote: `${node.sipIp}:${internalPort}`,
    auth: { user: caller.number, password: caller.password },
    vars: { USER: caller.number, DOMAIN: acme.sipDomain, DEST: dest, HOLD_MS: holdMs },
    timeoutMs: holdMs + 45_000,
  });
}

/** Resolves once `node` has `count` calls up (`show calls count`: bridged calls). */
async function callsUp(node: FleetNode, count: number): Promise<void> {
  await until(`${count} calls up on ${node.name}`, async () => new RegExp(`^${count} total`, 'm').test(await node.fs.cli('show calls count')));
}

/** The CDR rows of `legs` (Unique-IDs), once every one is stored with the node that reported it. */
async function cdrRows(legs: string[]): Promise<Array<{ unique_id: string; node: string | null; core_uuid: string | null }>> {
  return until(`a CDR for each of ${legs.length} legs, with its node`, async () => {
    if (!db) {
      const found = await Promise.all(legs.map(async (leg) => (await instances[0]!.api('GET', `/api/v1/cdrs/${leg}`, undefined, acme.key)).body?.data));
      const rows = found.filter((c) => c?.callId).map((c) => ({ unique_id: c.callId as string, node: null, core_uuid: null }));
      return rows.length >= legs.length && rows;
    }
    const { rows } = await db.query('select unique_id, node, core_uuid from cdrs where unique_id = any($1)', [legs]);
    return rows.length >= legs.length && rows.every((r) => r.node !== null) && rows;
  }, 60_000);
}

/** Each node's legs have one CDR each, with the node's core-uuid and name. */
async function oneCdrPerLeg(t: Test, legsByNode: string[][]): Promise<void> {
  const rows = await cdrRows(legsByNode.flat());
  t.equal(rows.length, legsByNode.flat().length, `${rows.length} CDR rows for ${legsByNode.flat().length} legs`);
  nodes.forEach((node, i) => {
    const mine = rows.filter((r) => legsByNode[i]!.includes(r.unique_id));
    t.same(mine.map((r) => r.unique_id).sort(), [...legsByNode[i]!].sort(), `${node.name}: each of its ${legsByNode[i]!.length} legs once`);
    if (db) t.ok(mine.every((r) => r.core_uuid === node.coreUuid && r.node === node.name), `${node.name}: its core-uuid and name on each`);
  });
  if (!db) return;
  const { rows: kept } = await db.query('select count(*)::int as n from unattributed_cdrs');
  t.equal(kept[0].n, 0, 'no report refused as another node\'s or tenant\'s');
}

{
  t.setTimeout(600_000);

  t.before(async () => {
    let url: string | undefined;
    if (SERVER) {
      const dbName = `switchplane_test_${randomBytes(6).toString('hex')}`;
      url = await createMigratedDatabase(SERVER, dbName);
      const admin = new pg.Client({ connectionString: SERVER });
      await admin.connect();
      t.teardown(async () => {
        await admin.query(`drop database if exists ${dbName} with (force)`);
        await admin.end();
      });
      const client = new pg.Client({ connectionString: url });
      db = client;
      await client.connect();
      t.teardown(() => client.end());
    }

    internalPort = await freeListenPort();
    const credentials = { username: 'freeswitch', password: randomBytes(18).toString('base64url') };
    const env = {
      ...(url ? { DATABASE_URL: url } : {}),
      SECRETS_KEY: randomBytes(32).toString('hex'),
      ESL_LEASE_MS: String(LEASE_MS),
      ESL_RECONNECT_MAX_MS: '1000',
      XMLCURL_USERNAME: credentials.username,
      XMLCURL_PASSWORD: credentials.password,
      SOFIA_SIP_IP: '$${switchplane_sip_ip}',
      SOFIA_EXTERNAL_IP: '$${switchplane_sip_ip}',
      SOFIA_INTERNAL_PORT: String(internalPort),
      SOFIA_EXTERNAL_PORT: String(await freeListenPort()),
      SOFIA_WSS_PORT: String(await freeListenPort()),
      SOFIA_WS_PORT: String(await freeListenPort()),
    };
    const ports = await Promise.all(Array.from({ length: SERVER ? 3 : 1 }, () => freeListenPort()));
    instances = await Promise.all(ports.map((port) => startSwitchplane(t, port, env)));

    nodes = await Promise.all([['fs-a', '127.0.0.1'], ['fs-b', '127.0.0.2']].map(async ([name, sipIp]) => {
      const eslPort = await freeListenPort();
      const fs = await startFreeswitch(t, { switchplaneUrl: instances[0]!.url, eslPort, name: `fleet-${name}`, credentials, globals: { switchplane_sip_ip: sipIp! } });
      const events = await listenForHangups(t, eslPort);
      const relay = await startTcpProxy(t, eslPort);
      const coreUuid = (await fs.cli('global_getvar core_uuid')).trim();
      return { name: name!, sipIp: sipIp!, eslPort: relay.port, relay, fs, events, coreUuid };
    }));
    for (const n of nodes) {
      await instances[0]!.ok('POST', '/api/v1/nodes', { name: n.name, eslHost: '127.0.0.1', eslPort: n.eslPort, eslPassword: 'ClueCon', sipAddresses: [`${n.sipIp}:${internalPort}`] });
    }

    acme = await createCustomer(instances[0]!, 'acme');
    caller = await createExtension(instances[0]!, acme, { extensionNumber: '1001' });
    callee = await createExtension(instances[0]!, acme, { extensionNumber: '1002' });
    const carrier = await startSipp(t, { scenario: 'carrier-uas.xml' });
    const trunk = await instances[0]!.ok('POST', '/api/v1/trunks', { name: 'carrier', host: '127.0.0.1', port: carrier.port }, acme.key);
    await instances[0]!.ok('POST', '/api/v1/phone-numbers', { number: '+15550100100', trunkId: trunk.id, route: 'extension', routeTarget: '1001' }, acme.key);
    for (const n of nodes) await until(`the gateway loaded on ${n.name}`, async () => (await n.fs.cli('sofia status gateway')).includes(trunk.gatewayName), 60_000);
  });

  t.test('each node is held by one instance, through one event socket from Switchplane', async (t) => {
    const held = await until('each node held once', async () => {
      const h = await Promise.all(nodes.map((n) => holders(n, instances)));
      return h.every(heldOnce) && h;
    }, 120_000);
    nodes.forEach((n, i) => t.comment(`${n.name}: owner instance ${held[i]!.owners[0]}, event sockets from instances ${JSON.stringify(held[i]!.sockets)}`));
    if (SERVER) t.not(held[0]!.owners[0], held[1]!.owners[0], 'two owners for two nodes (ceil(2 / 3) = 1 each)');
    else t.same(held.map((h) => h.owners), [[0], [0]], 'the one instance holds both nodes');
    const listed = await instances.at(-1)!.ok('GET', '/api/v1/nodes');
    t.same(listed.map((n: { name: string }) => n.name).sort(), ['fs-a', 'fs-b'], 'any instance lists both nodes');
    t.ok(listed.every((n: { owner: string | null }) => n.owner !== null), 'each with its owner');
  });

  t.test('calls on both nodes: one CDR per leg, written once from the event socket', async (t) => {
    const heardBefore = await hangupsHeard(instances);
    const since = nodes.map((n) => n.events.hangups.length);
    const calls = nodes.flatMap((n) => [call(t, n, 1000), call(t, n, 1000)]);
    for (const r of await Promise.all((await Promise.all(calls)).map((c) => c.done))) t.equal(r.code, 0, 'a call answered and hung up by the caller');
    const legs = await until('4 legs hung up on each node', () => {
      const l = nodes.map((n, i) => n.events.hangups.slice(since[i]).map((h) => h.uniqueId));
      return l.every((x) => x.length >= 4) && l;
    });
    await oneCdrPerLeg(t, legs);
    t.same(await hangupsHeardSince(instances, heardBefore, 4), [4, 4], 'each leg\'s hangup handled once over the instances');
  });

  t.test('an extension change: one xml_flush_cache per id on each node', async (t) => {
    const idsOf = async (ext: Extension) => [...new Set([ext.number, await sipUsername(ext)])];
    const [callerIds, calleeIds] = [await idsOf(caller), await idsOf(callee)];
    const flushLine = (id: string) => `api xml_flush_cache id ${id} ${acme.sipDomain}\n`;
    /** How often each line was sent to `node`, over every connection the relay carried. */
    const sentCount = (node: FleetNode, line: string) => node.relay.sent().reduce((n, text) => n + text.split(line).length - 1, 0);
    const before = nodes.map((n) => callerIds.map((id) => sentCount(n, flushLine(id))));
    await instances.at(1 % instances.length)!.ok('PATCH', `/api/v1/extensions/${caller.id}`, { callerIdName: 'Changed Caller' }, acme.key);
    // A later change of another user goes through the same single socket of each node after the
    // first: once its flush has arrived, a second flush of the first change would have too.
    await instances.at(-1)!.ok('PATCH', `/api/v1/extensions/${callee.id}`, { callerIdName: 'Marker' }, acme.key);
    await until('the later change flushed on both nodes', () => nodes.every((n) => calleeIds.every((id) => sentCount(n, flushLine(id)) >= 1)));
    nodes.forEach((n, i) => {
      const flushes = callerIds.map((id, j) => sentCount(n, flushLine(id)) - before[i]![j]!);
      t.same(flushes, callerIds.map(() => 1), `${n.name}: one flush for each id of the changed user (${callerIds.join(', ')})`);
    });
    const held = await Promise.all(nodes.map((n) => holders(n, instances)));
    t.ok(held.every(heldOnce), 'still one socket per node');
  });

  if (SERVER) t.test('a node\'s owner killed during calls: another instance takes the node over; every CDR arrives once', async (t) => {
    const before = await Promise.all(nodes.map((n) => holders(n, instances)));
    // The instance serving the nodes' XML and CDR posts stays: the victim is an owner of another node.
    const victimNode = nodes.find((_, i) => before[i]!.owners[0] !== 0)!;
    const victim = instances[before[nodes.indexOf(victimNode)]!.owners[0]!]!;
    const survivors = instances.filter((sp) => sp !== victim);
    const since = nodes.map((n) => n.events.hangups.length);
    const calls = await Promise.all(nodes.flatMap((n) => [call(t, n, 120_000), call(t, n, 120_000)]));
    for (const n of nodes) await callsUp(n, 2);
    const heardBefore = await hangupsHeard(survivors);

    const killedAt = performance.now();
    await victim.stop({ signal: 'SIGKILL' });
    const after = await until(`${victimNode.name} taken over by a survivor`, async () => {
      const h = await holders(victimNode, survivors);
      return heldOnce(h) && h;
    }, 60_000);
    const takeoverMs = Math.round(performance.now() - killedAt);
    t.comment(`${victimNode.name}: instance ${instances.indexOf(victim)} killed, taken over by instance ${after.owners[0]} after ${takeoverMs} ms (ESL_LEASE_MS ${LEASE_MS}, a pass every ${LEASE_MS / 3} ms)`);
    t.ok(survivors.includes(instances[after.owners[0]!]!), 'held by a survivor, through one socket');
    // What changed while nobody held the node is caught up once on the new socket (nodes.ts CATCH_UP).
    const newSocket = () => victimNode.relay.sent().at(-1) ?? '';
    await until('the new owner\'s catch-up flush sent', () => newSocket().includes('api sofia profile external rescan\n'));
    t.equal(newSocket().split('api xml_flush_cache\n').length - 1, 1, 'one full xml_flush_cache on the new socket');
    const other = nodes.find((n) => n !== victimNode)!;
    t.ok(heldOnce(await holders(other, survivors)), `${other.name} still held once`);

    // Hung up now, so that every leg ends after the takeover and is heard on an event socket.
    for (const n of nodes) await n.fs.cli('hupall NORMAL_CLEARING');
    for (const r of await Promise.all(calls.map((c) => c.done))) t.match(r.messages, /BYE sip:/, 'a call hung up by the switch');
    const legs = await until('4 legs hung up on each node', () => {
      const l = nodes.map((n, i) => n.events.hangups.slice(since[i]).map((h) => h.uniqueId));
      return l.every((x) => x.length >= 4) && l;
    });
    await oneCdrPerLeg(t, legs);
    t.same(await hangupsHeardSince(survivors, heardBefore, 4), [4, 4], 'each leg\'s hangup handled once over the survivors');
  });

  t.test('FreeSWITCH logged no unexpected failure on either node', async (t) => {
    for (const n of nodes) t.same(n.fs.unexpectedFailures(), [], n.name);
  });
}

/** The SIP username of an extension, which FreeSWITCH also looks the user up by. */
async function sipUsername(ext: Extension): Promise<string> {
  return (await instances[0]!.ok('GET', `/api/v1/extensions/${ext.id}/credentials`, undefined, acme.key)).username;
}
