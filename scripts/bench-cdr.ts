/**
 * `npm run bench:cdr`: CDRs from the event socket into PostgreSQL.
 *
 * Creates a fresh database on BENCH_DATABASE_URL (else DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres), migrates it, and loads BENCH_TENANTS (100) tenants
 * with 10 extensions and a trunk each through the store. A FakeEslServer in a child process
 * (scripts/bench/esl-sender.ts) then replays BENCH_CALLS (20,000) synthetic calls built from the
 * recorded 9999 call (scripts/bench/cdr-calls.ts: the call's events the controller subscribes to,
 * with all their channel variables, up to 184; a quarter outbound through the tenant's trunk) to
 * the service's own classes in this process: EslNodes (one node) → EslController → CdrWriter
 * (batches of BENCH_BATCH, default the writer's; a real spool in a temporary directory) → `cdrs`.
 * Unpaced (BENCH_RATE unset) it sends as fast as its socket takes them: the throughput. With
 * BENCH_RATE calls/s offered it spreads them evenly (every 10 ms the calls due by then, rate/100 a
 * tick), so the latency is what a caller sees at that load rather than a queue behind an
 * overload; the CDRs/s sustained is then bounded by the offered rate.
 *
 * Prints: the offered rate (and the rate the calls went out at, and in paced mode how late against
 * its tick the latest call was sent); calls, events sent and received, rows written; CDRs/s
 * sustained (rows ÷ seconds from the first hangup sent to the last row committed); event-to-row
 * latency p50/p99/max in ms (commit time − the hangup's Event-Date-Timestamp, stamped as it is
 * written to the socket); the read loop's lag p50/p99/max in ms (perf_hooks.monitorEventLoopDelay
 * at 1 ms, less the 1 ms); the writer's peak depth (CDRs accepted, not yet committed); the
 * sender's CPU time. The ceiling is the same N
 * records (cdrFromEvent of the same hangups) written by the same statement (writeCdrRows in
 * store.withIngest), batch after batch, with no ESL, spool or parsing, into an empty table, just
 * before and just after the run; the ratio is against their mean. Then the target: ≥ 2,000
 * CDRs/s (unpaced; a paced run checks only the rest), every event received, every row present and
 * attributed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { cdrFromEvent } from '../src/cdr/records.js';
import type { CdrRecord } from '../src/domain/cdrs.js';
import { writeCdrRows } from '../src/domain/cdrs.js';
import { CdrSpool } from '../src/cdr/spool.js';
import { CdrWriter, DEFAULT_BATCH_SIZE } from '../src/cdr/writer.js';
import { loadConfig } from '../src/config.js';
import { openPostgres } from '../src/db/postgres.js';
import type { Store } from '../src/db/store.js';
import { SecretBox } from '../src/domain/secrets.js';
import { EslController } from '../src/esl/controller.js';
import { EslNodes } from '../src/esl/nodes.js';
import { createMetrics } from '../src/metrics.js';
import { CALL_EVENTS, callBuilder, EXTENSIONS_PER_TENANT, isOutbound, TICK_MS, type BenchTenant } from './bench/cdr-calls.js';
import type { SenderDone, SenderGo } from './bench/esl-sender.js';

const env = process.env;
const CALLS = Number(env.BENCH_CALLS ?? 20000);
const TENANTS = Number(env.BENCH_TENANTS ?? 100);
const BATCH = env.BENCH_BATCH ? Number(env.BENCH_BATCH) : undefined;
/** Calls a second offered; undefined = as fast as the socket takes them. */
const RATE = env.BENCH_RATE ? Number(env.BENCH_RATE) : undefined;
if (RATE !== undefined && !(RATE > 0 && Number.isFinite(RATE))) throw new Error(`BENCH_RATE must be a positive number of calls a second, not ${env.BENCH_RATE}`);
const SERVER_URL = env.BENCH_DATABASE_URL ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET_PER_SECOND = 2000;
/** Give up when no event arrives, or the writer commits nothing, for this long (ms). */
const STALL_MS = 30_000;
const RUN = randomBytes(4).toString('hex');

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return (await c.query<T>(text).finally(() => c.end())).rows;
}

async function loadTenants(store: Store, secrets: SecretBox): Promise<BenchTenant[]> {
  const tenants: BenchTenant[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const id = randomUUID();
    const domain = `t${i}.cdr-bench.switchplane.test`;
    const trunkId = await store.withTenant(id, async (db) => {
      await db.insertInto('tenants').values({ id, name: `Tenant ${i}`, slug: `t${i}`, sip_domain: domain, timezone: 'Europe/Rome' }).execute();
      const extensions = Array.from({ length: EXTENSIONS_PER_TENANT }, (_, x) => String(1001 + x));
      await db
        .insertInto('extensions')
        .values(extensions.map((e) => ({ tenant_id: id, extension: e, sip_username: e, display_name: `User ${e}`, password_enc: secrets.seal(`secret-${i}-${e}`) })))
        .execute();
      const trunk = await db.insertInto('trunks').values({ tenant_id: id, name: 'main', host: '127.0.0.1', port: 5060, priority: 1 }).returning('id').executeTakeFirstOrThrow();
      return trunk.id;
    });
    tenants.push({ id, domain, trunkId });
  }
  return tenants;
}

/**
 * Empties the CDR tables (and, in this throwaway database, whatever references them) and the trunk
 * counters, and checkpoints, so every phase starts alike.
 */
const reset = (dbUrl: string) =>
  sql(dbUrl, 'truncate cdrs, unattributed_cdrs cascade; update trunks set total_calls = 0, successful_calls = 0, failed_calls = 0; checkpoint');

/** The database's ceiling: the run's records through writeCdrRows, one batch after another; CDRs/s. */
async function ceiling(store: Store, dbUrl: string, tenants: BenchTenant[], batch: number): Promise<number> {
  await reset(dbUrl);
  const call = callBuilder(RUN, tenants);
  const records = Array.from({ length: CALLS }, (_, i) => cdrFromEvent(call(i, Date.now() * 1000).at(-1)!)!);
  const started = performance.now();
  for (let i = 0; i < records.length; i += batch) {
    const chunk = records.slice(i, i + batch);
    await store.withIngest((trx) => writeCdrRows(trx, chunk));
  }
  const seconds = (performance.now() - started) / 1000;
  const [{ n }] = (await sql<{ n: number }>(dbUrl, 'select count(*)::int as n from cdrs')) as [{ n: number }];
  if (n !== CALLS) throw new Error(`ceiling wrote ${n} rows, expected ${CALLS}`);
  return CALLS / seconds;
}

interface RunResult {
  eventsSent: number;
  eventsReceived: number;
  sendMs: number;
  senderCpuMs: number;
  behindMs: number;
  committed: number;
  perSecond: number;
  latencyMs: Float64Array;
  lagMs: { p50: number; p99: number; max: number };
  peakDepth: number;
  batches: number;
  writeErrors: number;
}

/** Resolves true when `done()` holds, polling; false once `progress()` has not changed for STALL_MS. */
async function until(done: () => boolean, progress: () => number): Promise<boolean> {
  let last = progress();
  let lastChange = performance.now();
  while (!done()) {
    await new Promise((r) => setTimeout(r, 20));
    if (progress() !== last) [last, lastChange] = [progress(), performance.now()];
    else if (performance.now() - lastChange > STALL_MS) return false;
  }
  return true;
}

/** The child's next IPC message; rejects if it exits first. */
function message<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const exit = (code: number | null) => reject(new Error(`the ESL sender exited (code ${code}) before answering`));
    child.once('exit', exit);
    child.once('message', (m) => {
      child.off('exit', exit);
      resolve(m as T);
    });
  });
}

/** The service path: sender process → EslNodes → EslController → CdrWriter → PostgreSQL. */
async function switchplane(store: Store, dbUrl: string, tenants: BenchTenant[]): Promise<RunResult> {
  await reset(dbUrl);
  const sender = fork(new URL('./bench/esl-sender.ts', import.meta.url).pathname, { execArgv: ['--import', 'tsx'] });
  const exited = once(sender, 'exit');
  const spoolDir = mkdtempSync(path.join(tmpdir(), 'switchplane-bench-spool-'));
  const { port } = await message<{ port: number }>(sender);
  const metrics = createMetrics();
  const latencyMs = new Float64Array(CALLS);
  let committed = 0;
  let firstReportedMs = Infinity;
  let lastCommitMs = 0;
  let batches = 0;
  let writeErrors = 0;
  const writer = new CdrWriter({
    store,
    spool: new CdrSpool(spoolDir),
    metrics,
    ...(BATCH ? { batchSize: BATCH } : {}),
    onError: (err) => {
      writeErrors++;
      console.error('CDR write failed (retried):', err);
    },
    onCommitted: (records, at) => {
      batches++;
      for (const r of records) {
        if (committed < CALLS) latencyMs[committed] = at - r.reportedAtMs;
        committed++;
        firstReportedMs = Math.min(firstReportedMs, r.reportedAtMs);
      }
      lastCommitMs = at;
    },
  });
  const nodes = new EslNodes({ nodes: [{ name: 'fs1', host: '127.0.0.1', port }], password: 'ClueCon' }, (err) => console.error(err));
  const handlerErrors: unknown[] = [];
  new EslController(nodes, [writer], metrics, (err) => handlerErrors.push(err));
  const conn = nodes.connections[0]!;
  let peakDepth = 0;
  conn.on('event', () => (peakDepth = Math.max(peakDepth, writer.depth)));
  try {
    writer.start();
    const up = once(conn, 'connected');
    nodes.start();
    await up;

    const lag = monitorEventLoopDelay({ resolution: 1 });
    lag.enable();
    sender.send({ run: RUN, calls: CALLS, tenants, ...(RATE ? { rate: RATE } : {}) } satisfies SenderGo);
    const done = await message<SenderDone>(sender);
    const received = () => conn.health().eventsReceived;
    if (!(await until(() => received() >= done.eventsSent, received))) console.error(`events stopped arriving: ${received()} of ${done.eventsSent}`);
    if (!(await until(() => writer.depth === 0, () => committed))) throw new Error(`the writer committed nothing for ${STALL_MS / 1000} s`);
    await writer.idle();
    lag.disable();
    if (handlerErrors.length) throw new Error(`${handlerErrors.length} events failed in their handler, e.g. ${String(handlerErrors[0])}`);

    const ms = (ns: number) => Math.max(0, ns / 1e6 - 1);
    return {
      eventsSent: done.eventsSent,
      eventsReceived: received(),
      sendMs: done.sendMs,
      senderCpuMs: done.cpuMs,
      behindMs: done.behindMs,
      committed,
      perSecond: committed / ((lastCommitMs - firstReportedMs) / 1000),
      latencyMs: latencyMs.slice(0, Math.min(committed, CALLS)).sort(),
      lagMs: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) },
      peakDepth,
      batches,
      writeErrors,
    };
  } finally {
    await nodes.close();
    await writer.stop();
    sender.disconnect();
    await exited;
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

const pct = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const offered = RATE
  ? `offered at ${fmt(RATE)} calls/s (${fmt((RATE * TICK_MS) / 1000, 1)} every ${TICK_MS} ms)`
  : 'unpaced (as fast as the socket takes them)';

async function main(): Promise<void> {
  const dbName = `switchplane_bench_cdr_${RUN}`;
  await sql(SERVER_URL, `create database ${dbName}`);
  const dbUrl = Object.assign(new URL(SERVER_URL), { pathname: `/${dbName}` }).toString();
  try {
    const config = loadConfig({ DATABASE_URL: dbUrl });
    const store = await openPostgres({ url: dbUrl, poolSize: config.dbPoolSize, lookupBudgetMs: config.xmlcurl.budgetMs });
    try {
      const tenants = await loadTenants(store, new SecretBox(randomBytes(32)));
      await sql(dbUrl, 'vacuum analyze');
      const [server] = await sql<{ version: string }>(dbUrl, "select current_setting('server_version') as version");
      const batch = BATCH ?? DEFAULT_BATCH_SIZE;
      console.log(`${TENANTS} tenants loaded; ${fmt(CALLS)} calls ${offered}; batch ${batch}; node ${process.version}, PostgreSQL ${server?.version}; ` +
        `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`);

      const before = await ceiling(store, dbUrl, tenants, batch);
      console.log(`ceiling before: ${fmt(before)} CDRs/s`);
      const run = await switchplane(store, dbUrl, tenants);
      const [rows] = await sql<{ n: number; trunk: number; ext: number; orphans: number; counted: number }>(
        dbUrl,
        `select (select count(*)::int from cdrs) as n, (select count(trunk_id)::int from cdrs) as trunk,
           (select count(extension_id)::int from cdrs) as ext, (select count(*)::int from unattributed_cdrs) as orphans,
           (select sum(total_calls)::int from trunks) as counted`,
      );
      const after = await ceiling(store, dbUrl, tenants, batch);
      console.log(`ceiling after: ${fmt(after)} CDRs/s`);

      const ceil = (before + after) / 2;
      const outbound = Array.from({ length: CALLS }, (_, i) => i).filter(isOutbound).length;
      const lat = run.latencyMs;
      const callBytes = CALL_EVENTS.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
      // Paced, the last tick's calls go out at its start: count that tick in full.
      const sentAt = `sent at ${fmt(CALLS / ((run.sendMs + (RATE ? TICK_MS : 0)) / 1000))} calls/s`;
      console.log(`
offered rate          ${RATE ? `${fmt(RATE)} calls/s (${sentAt}, the latest ${fmt(run.behindMs, 1)} ms after its tick)` : `unpaced, as fast as the socket takes them (${sentAt})`}
calls sent            ${fmt(CALLS)}
events sent/received  ${fmt(run.eventsSent)} / ${fmt(run.eventsReceived)} (${fmt(CALL_EVENTS.length)} a call, ${fmt(callBytes / 1024, 1)} KB of JSON; sent in ${fmt(run.sendMs / 1000, 1)} s, sender CPU ${fmt(run.senderCpuMs / 1000, 1)} s)
CDR rows              ${fmt(rows!.n)} (with trunk ${fmt(rows!.trunk)} of ${fmt(outbound)} outbound, with extension ${fmt(rows!.ext)}, unattributed ${rows!.orphans}, trunk total_calls ${fmt(rows!.counted)})
batches committed     ${fmt(run.batches)} (write errors ${run.writeErrors}), peak writer depth ${fmt(run.peakDepth)}
CDRs/s sustained      ${fmt(run.perSecond)} (first hangup sent → last row committed: ${fmt(run.committed / run.perSecond, 1)} s)
event-to-row ms       p50 ${fmt(pct(lat, 50))}  p99 ${fmt(pct(lat, 99))}  max ${fmt(lat.at(-1) ?? NaN)}
read-loop lag ms      p50 ${fmt(run.lagMs.p50, 1)}  p99 ${fmt(run.lagMs.p99, 1)}  max ${fmt(run.lagMs.max, 1)}
ceiling CDRs/s        ${fmt(ceil)} (before ${fmt(before)}, after ${fmt(after)})
ratio                 ${(run.perSecond / ceil).toFixed(2)}`);
      const allRows = rows!.n === CALLS && rows!.orphans === 0 && rows!.trunk === outbound && rows!.ext === CALLS && run.committed === CALLS;
      const allEvents = run.eventsReceived === run.eventsSent && run.eventsSent === CALLS * CALL_EVENTS.length;
      const met = (RATE !== undefined || run.perSecond >= TARGET_PER_SECOND) && allRows && allEvents;
      const throughput = RATE ? `≥ ${fmt(TARGET_PER_SECOND)} CDRs/s is measured unpaced; at ${fmt(RATE)} calls/s offered:` : `≥ ${fmt(TARGET_PER_SECOND)} CDRs/s sustained,`;
      console.log(`\ntarget: ${throughput} every event received, every row present and attributed: ${met ? 'met' : 'NOT met'}`);
      if (!allRows || !allEvents) process.exitCode = 1;
    } finally {
      await store.close();
    }
  } finally {
    await sql(SERVER_URL, `drop database if exists ${dbName} with (force)`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench:cdr failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
