/**
 * `npm run bench:fleet`: Switchplane instances in front of a fleet of FreeSWITCH nodes, with and
 * without node ownership (src/esl/node-ownership.ts). INSTANCES (5) Switchplane processes
 * (src/main.ts) share one fresh PostgreSQL database (BENCH_DATABASE_URL or TEST_DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/postgres; the database is dropped at the end) in
 * front of NODES (50) fake event sockets (test/helpers/esl-server.ts, the real protocol). The fake
 * nodes fire CHANNEL_CREATE, CHANNEL_ANSWER and CHANNEL_HANGUP_COMPLETE for CALLS (1000) calls
 * spread over them. Printed, each beside the same figure without ownership:
 * - event-socket connections (target: one per node);
 * - CDR writes over the event socket: CHANNEL_HANGUP_COMPLETE events handled (each is one CDR
 *   insert sent to PostgreSQL; a second one of a Unique-ID is dropped there by its constraint and
 *   not counted in `switchplane_cdrs_written_total`), summed over every instance (target: one per call);
 * - takeover: from a SIGKILL of an owning instance until every node has one socket again.
 * Without ownership is the behaviour before it: every instance connects to every node of
 * ESL_NODES and writes every CDR it hears (measured with INSTANCES in-process EslNodes +
 * controller + CdrWriter on the same database, what src/wiring/event-handlers.ts wires per
 * instance); no takeover is needed there, since every instance holds every node already.
 * Also printed: the machine's load average at the start and end (figures vary under load).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CdrSpool } from '../src/cdr/spool.js';
import { CdrWriter } from '../src/cdr/writer.js';
import { openPostgres } from '../src/db/postgres.js';
import { EslController } from '../src/esl/controller.js';
import { EslNodes } from '../src/esl/nodes.js';
import { createMetrics } from '../src/metrics.js';
import { hangupEvent } from '../test/helpers/cdr.js';
import { FakeEslServer } from '../test/helpers/esl-server.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 5);
const NODES = Number(process.env.BENCH_NODES ?? 50);
const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const LEASE_MS = Number(process.env.BENCH_LEASE_MS ?? 3000);
const SERVER = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await sleep(100);
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  await client.query(sqlText).finally(() => client.end());
}

/** A Switchplane process; its log (JSON lines) is `log`, kept after the run for a look. */
interface Instance { child: ChildProcess; url: string; dir: string; log: string }

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-fleet-'));
  const log = path.join(tmpdir(), `bench-fleet-${port}.log`);
  const out = openSync(log, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT, stdio: ['ignore', out, out],
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir, DEMO_SEED: 'false', LOG_LEVEL: 'info', ESL_LEASE_MS: String(LEASE_MS), ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  await until('instance healthy', async () => (await fetch(`${url}/health`).catch(() => undefined))?.status, (s) => s === 200, 300_000);
  return { child, url, dir, log };
}

/** Nodes given up by the instances so far (src/main.ts logs each `released`), by reason. */
function handovers(instances: Instance[]): Record<string, number> {
  const byReason: Record<string, number> = {};
  for (const i of instances) {
    for (const line of readFileSync(i.log, 'utf8').split('\n')) {
      if (!line.includes('FreeSWITCH node given up')) continue;
      const reason = (JSON.parse(line) as { reason?: string }).reason ?? 'unknown';
      byReason[reason] = (byReason[reason] ?? 0) + 1;
    }
  }
  return byReason;
}

/** Reads `read` until it reaches `target` or stays unchanged for `quietMs`; returns the last value. */
async function settled(read: () => Promise<number>, target: number, quietMs: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  for (;;) {
    const v = await read();
    if (v !== last) [last, since] = [v, Date.now()];
    if (v >= target || Date.now() - since > quietMs || Date.now() > end) return v;
    await sleep(200);
  }
}

/** Every client of every fake node has asked for CHANNEL_HANGUP_COMPLETE `perNode` times over. */
const subscribed = (fakes: FakeEslServer[], perNode: number) =>
  fakes.every((f) => f.commands.filter((c) => c.startsWith('event json') && c.includes('CHANNEL_HANGUP_COMPLETE')).length >= perNode);

/** CHANNEL_HANGUP_COMPLETE events an instance handled (its /metrics `switchplane_esl_events_total`). */
async function eslCdrWrites(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^switchplane_esl_events_total\{[^}]*event="CHANNEL_HANGUP_COMPLETE"[^}]*result="handled"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/** CALLS calls spread over the nodes: CHANNEL_CREATE, CHANNEL_ANSWER, then CHANNEL_HANGUP_COMPLETE. */
async function fireCalls(fakes: FakeEslServer[]): Promise<void> {
  for (let i = 0; i < CALLS; i++) {
    const fake = fakes[i % fakes.length]!;
    const hangup = hangupEvent();
    const ids = { 'Unique-ID': hangup['Unique-ID'] as string, 'Channel-Call-UUID': hangup['Unique-ID'] as string, 'Call-Direction': 'inbound', 'Channel-Name': `sofia/internal/${i}@bench` };
    fake.pushEvent(fake.event('CHANNEL_CREATE', { ...ids, 'Answer-State': 'ringing' }));
    fake.pushEvent(fake.event('CHANNEL_ANSWER', { ...ids, 'Answer-State': 'answered' }));
    fake.pushEvent(hangup);
    if (i % 50 === 49) await Promise.all(fakes.map((f) => f.drained()));
  }
}

const connections = (fakes: FakeEslServer[]) => fakes.reduce((n, f) => n + f.authedClients, 0);
const oneEach = (fakes: FakeEslServer[]) => fakes.every((f) => f.authedClients === 1);

async function withOwnership(dbUrl: string, fakes: FakeEslServer[]) {
  const env = { DATABASE_URL: dbUrl, SECRETS_KEY: randomBytes(32).toString('hex') };
  const eslNodes = fakes.map((f, i) => `fs-${i}@${f.host}:${f.port}`).join(',');
  const instances: Instance[] = [await startInstance({ ...env, ESL_NODES: eslNodes })];
  instances.push(...(await Promise.all(Array.from({ length: INSTANCES - 1 }, () => startInstance(env)))));
  try {
    // Settled: one socket per node and every instance at its share (a handover loses the
    // event-socket events of its gap; mod_json_cdr covers those CDRs on a real node).
    const share = Math.ceil(NODES / INSTANCES);
    const ownedCounts = () => Promise.all(instances.map(async (i) => (await (await fetch(`${i.url}/metrics`)).text()).match(/^switchplane_freeswitch_node_owned\{/gm)?.length ?? 0));
    await until('every instance at its share', async () => oneEach(fakes) && (await ownedCounts()), (c) => Array.isArray(c) && c.every((n) => n >= share - 1 && n <= share), 300_000);
    await until('every socket subscribed', () => subscribed(fakes, 1), Boolean, 60_000);
    await sleep(LEASE_MS); // a node handed over while settling: its new owner's subscription
    const before = handovers(instances);
    const conns = connections(fakes);
    await fireCalls(fakes);
    const total = () => Promise.all(instances.map((i) => eslCdrWrites(i.url))).then((a) => a.reduce((x, y) => x + y, 0));
    await settled(total, CALLS, 15_000, 300_000);
    await sleep(2000); // any duplicate would show by now
    const writes = await total();
    const after = handovers(instances);
    const moved = Object.entries(after).map(([r, n]) => [r, n - (before[r] ?? 0)] as const).filter(([, n]) => n > 0);
    const victim = instances[instances.length - 1]!;
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await until('a socket closed by the kill', () => !oneEach(fakes), Boolean, 10_000).catch(() => undefined);
    await until('every node held again', () => oneEach(fakes), Boolean, 120_000);
    const takeoverMs = Date.now() - killedAt;
    return { conns, writes, takeoverMs, moved: moved.map(([r, n]) => `${n} ${r}`).join(', ') || 'none' };
  } finally {
    for (const i of instances) {
      i.child.kill('SIGTERM');
      rmSync(i.dir, { recursive: true, force: true });
    }
    await sleep(1000);
    for (const i of instances) i.child.kill('SIGKILL');
    console.log(`instance logs: ${instances.map((i) => i.log).join(' ')}`);
  }
}

async function withoutOwnership(dbUrl: string, fakes: FakeEslServer[]) {
  const nodes = fakes.map((f, i) => ({ name: `fs-${i}`, host: f.host, port: f.port }));
  const parts = await Promise.all(Array.from({ length: INSTANCES }, async () => {
    const store = await openPostgres({ url: dbUrl, poolSize: 4, lookupBudgetMs: 1000 });
    const metrics = createMetrics();
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'bench-fleet-spool-'));
    const cdrs = new CdrWriter({ store, metrics, spool: new CdrSpool(spoolDir), onError: () => undefined });
    cdrs.start();
    const esl = new EslNodes({ nodes, password: 'ClueCon' }, () => undefined);
    new EslController(esl, [cdrs], metrics, () => undefined);
    esl.start();
    return { store, metrics, cdrs, esl, spoolDir };
  }));
  try {
    await until('every instance on every node', () => fakes.every((f) => f.authedClients === INSTANCES) && subscribed(fakes, INSTANCES), Boolean, 300_000);
    const conns = connections(fakes);
    await fireCalls(fakes);
    const total = async () => {
      let n = 0;
      for (const p of parts) for (const v of (await p.metrics.eslEvents.get()).values) if (v.labels.event === 'CHANNEL_HANGUP_COMPLETE' && v.labels.result === 'handled') n += v.value;
      return n;
    };
    await settled(total, CALLS * INSTANCES, 15_000, 300_000);
    await sleep(2000);
    return { conns, writes: await total() };
  } finally {
    for (const p of parts) {
      await p.esl.close();
      await p.cdrs.stop();
      await p.store.close();
      rmSync(p.spoolDir, { recursive: true, force: true });
    }
  }
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadAtStart = load();
const dbName = `switchplane_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
await admin(`create database ${dbName}`);
const dbUrl = Object.assign(new URL(SERVER), { pathname: `/${dbName}` }).toString();
const fakes = await Promise.all(Array.from({ length: NODES }, () => FakeEslServer.start()));
try {
  const owned = await withOwnership(dbUrl, fakes);
  await until('the last instance gone from the fake nodes', () => connections(fakes) === 0, Boolean, 60_000);
  const every = await withoutOwnership(dbUrl, fakes);
  const row = (what: string, a: string, b: string, target: string) => console.log(`${what.padEnd(34)}${a.padStart(16)}${b.padStart(20)}   ${target}`);
  console.log(`\n${INSTANCES} instances, ${NODES} fake nodes, ${CALLS} calls, ESL_LEASE_MS=${LEASE_MS}; load average ${loadAtStart} at start, ${load()} at end\n`);
  row('', 'with ownership', 'without ownership', 'target');
  row('event-socket connections', String(owned.conns), String(every.conns), `${NODES} (ratio ${(every.conns / owned.conns).toFixed(1)}×)`);
  row('CDR writes (event socket)', String(owned.writes), String(every.writes), `${CALLS} (ratio ${(every.writes / owned.writes).toFixed(1)}×)`);
  row('nodes handed over during calls', owned.moved, '—', 'none');
  row('takeover after kill -9 (s)', (owned.takeoverMs / 1000).toFixed(1), '— (all hold all)', `ceiling: lease ${(LEASE_MS / 1000).toFixed(1)} s + a pass; ratio ${(owned.takeoverMs / LEASE_MS).toFixed(2)}`);
} finally {
  await Promise.all(fakes.map((f) => f.stop()));
  await admin(`drop database if exists ${dbName} with (force)`);
}
process.exit(0);
