/**
 * `npm run bench:xmlcurl`: mod_xml_curl lookup throughput against PostgreSQL, as a ratio to a
 * ceiling measured in the same run.
 *
 * Loads BENCH_TENANTS (10,000) tenants × BENCH_EXTENSIONS (10) extensions (one trunk and one DID
 * each) into a fresh database on BENCH_DATABASE_URL (else DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres) and starts Switchplane, waiting until its tenant
 * cache is loaded and the directory and DID answers rendered (/health). The ceiling is a plain
 * node:http server in its own process answering Switchplane's own answer as a fixed body
 * (scripts/bench/ceiling.ts). For REGISTER `sip_auth` directory lookups of random users and
 * inbound `public` dialplan lookups of random DIDs (bodies built from FreeSWITCH captures), one
 * load generator process (scripts/bench/load.ts, BENCH_CONNECTIONS = 16) alternates between the
 * two in slices of BENCH_SLICE_SECONDS (2) for BENCH_SECONDS (20) per arm
 * (scripts/bench/arms.ts): the ratio is the median of the per-pair ratios, so a machine whose
 * speed changes mid-run cannot fake it. BENCH_KEEPALIVE: `1` persistent connections only, `0`
 * a new connection per lookup only (as mod_xml_curl), unset both.
 * Prints, per arm, lookups/s, p50/p99 latency (ms), errors and the share of Switchplane's
 * answers that were real finds (its own lookup counter), the ratios, the load average, and
 * PASS/FAIL per target.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import pg from 'pg';
import { buildApp } from '../src/wiring/http.js';
import { loadConfig } from '../src/config.js';
import { openPostgres } from '../src/db/postgres.js';
import { SecretBox } from '../src/domain/secrets.js';
import { TenantCache } from '../src/domain/tenant-cache.js';
import { createMetrics } from '../src/metrics.js';
import { applyV8Flags } from '../src/v8-flags.js';
import { LoadWorker, runPaired, type ArmFigures, type PairedRun } from './bench/arms.js';

applyV8Flags();
const env = process.env;
const TENANTS = Number(env.BENCH_TENANTS ?? 10000);
const EXTENSIONS = Number(env.BENCH_EXTENSIONS ?? 10);
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 16);
const SLICE = Number(env.BENCH_SLICE_SECONDS ?? 2);
const PAIRS = Math.max(1, Math.round(SECONDS / SLICE));
const KEEPALIVE = env.BENCH_KEEPALIVE === '1' ? [true] : env.BENCH_KEEPALIVE === '0' ? [false] : [true, false];
const SERVER_URL = env.BENCH_DATABASE_URL ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Ratios to the ceiling with persistent connections, and p99 there (ms, below). */
const TARGET = { directory: 0.9, dialplan: 0.8, p99Ms: 10 };
type Mode = 'directory' | 'dialplan';

async function admin(sql: string, url = SERVER_URL): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(sql).finally(() => c.end());
}

async function load(dbUrl: string, secrets: SecretBox): Promise<void> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const tenants = await c.query<{ id: string; i: number }>(
      `insert into tenants (name, slug, sip_domain, timezone)
       select 'Tenant ' || i, 't' || i, 't' || i || '.bench.switchplane.test', 'Europe/Rome' from generate_series(0, $1::int - 1) i
       returning id, substr(slug, 2)::int as i`, [TENANTS]);
    const cols: [string[], string[], string[], string[]] = [[], [], [], []];
    const flush = async () => {
      await c.query(
        `insert into extensions (tenant_id, extension, sip_username, display_name, password_enc)
         select t, e, e, d, p from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as u(t, e, d, p)`, cols);
      cols.forEach((col) => (col.length = 0));
    };
    for (const t of tenants.rows) {
      for (let x = 0; x < EXTENSIONS; x++) {
        const ext = String(1001 + x);
        cols[0].push(t.id); cols[1].push(ext); cols[2].push(`User ${ext} of tenant ${t.i}`); cols[3].push(secrets.seal(`secret-${t.i}-${ext}`));
      }
      if (cols[0].length >= 10000) await flush();
    }
    if (cols[0].length) await flush();
    await c.query(`insert into trunks (tenant_id, name, host, port, priority, max_channels) select id, 'main', '127.0.0.1', 5060, 1, 10 from tenants`);
    await c.query(`insert into phone_numbers (tenant_id, number, route, route_target)
                   select id, '+1555' || lpad(substr(slug, 2), 7, '0'), 'extension', '1001' from tenants`);
    // Steady state: no autovacuum or checkpoint work left to compete for the two cores mid-run.
    await c.query('vacuum analyze');
    await c.query('checkpoint');
  } finally {
    await c.end();
  }
}

/** The ceiling server (scripts/bench/ceiling.ts) answering `body`; returns its URL and a stop. */
async function startCeiling(body: string): Promise<{ url: string; stop: () => void }> {
  const script = new URL('./bench/ceiling.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(body);
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${Number(line.toString().trim())}/freeswitch/xml`, stop: () => child.kill() };
}

const load1 = () => loadavg()[0]!.toFixed(2);
const cell = (v: string | number, w: number) => String(v).padStart(w);
function row(mode: string, conn: string, arm: string, f: ArmFigures, found: string): string {
  return `${mode.padEnd(9)} | ${conn.padEnd(13)} | ${arm.padEnd(11)} | ${cell(f.perSecond.toFixed(0), 9)} | ${cell(f.p50.toFixed(1), 6)} | ${cell(f.p99.toFixed(1), 6)} | ${cell(f.errors, 6)} | ${cell(found, 6)}`;
}
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

const dbName = `switchplane_bench_${randomBytes(4).toString('hex')}`;
await admin(`create database ${dbName}`);
const dbUrl = Object.assign(new URL(SERVER_URL), { pathname: `/${dbName}` }).toString();
try {
  const config = loadConfig({ ...env, DATABASE_URL: dbUrl, LOG_LEVEL: 'silent' });
  // The start-up read of every tenant connects with the lookup budget as its timeout; on a loaded
  // machine that is too short. What is measured is answered from the cache, without the database.
  const store = await openPostgres({ url: dbUrl, poolSize: config.dbPoolSize, lookupBudgetMs: Math.max(config.xmlcurl.budgetMs, 30_000) });
  const secrets = new SecretBox(randomBytes(32));
  let started = performance.now();
  await load(dbUrl, secrets);
  console.log(`loaded ${TENANTS} tenants × ${EXTENSIONS} extensions in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  started = performance.now();
  const metrics = createMetrics();
  // Start-up state an operator waits for: every tenant cached, its directory and DID answers rendered.
  // A start-up read that failed (a database connection timing out on a loaded machine) leaves the
  // cache cold, which is not what is measured here: Switchplane is started again.
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  for (let attempt = 1; !app; attempt++) {
    const tenants = new TenantCache(store, config.lookupCache);
    const candidate = await buildApp({ config, store, secrets, metrics, tenants });
    // /health without `tenantCache` is its database check timing out: asked again.
    let health: { tenantCache?: string; directoryPrerenderPending?: number; dialplanPrerenderPending?: number };
    while ((health = (await candidate.inject({ method: 'GET', url: '/health' })).json()).tenantCache === undefined || health.tenantCache === 'warming' || health.directoryPrerenderPending! > 0 || health.dialplanPrerenderPending! > 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (health.tenantCache === 'warm') app = candidate;
    else if (attempt === 3) throw new Error('the tenant cache could not be loaded at start three times');
    else {
      console.log(`tenant cache not loaded at start-up (${JSON.stringify(health)}); starting again`);
      await candidate.close();
    }
  }
  // Every answer must be a real find, not a fast `not found`: counted by the app itself.
  const found = async (section: string) =>
    (await metrics.xmlcurlLookups.get()).values.find((v) => v.labels.section === section && v.labels.result === 'found')?.value ?? 0;
  await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(`start-up: tenant cache loaded, directory and DID answers rendered in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/freeswitch/xml`;

  // Sample answers: they must be real finds, and they are the ceiling server's fixed bodies.
  const sample = async (payload: string) => (await app!.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload })).body;
  const dirBody = await sample(`section=directory&key_value=t7.bench.switchplane.test&domain=t7.bench.switchplane.test&user=1003&action=sip_auth&sip_auth_realm=t7.bench.switchplane.test`);
  const dpBody = await sample(`section=dialplan&Hunt-Context=public&Hunt-Destination-Number=%2B15550000007&Caller-Caller-ID-Number=100`);
  if (!dirBody.includes('a1-hash') || !dpBody.includes('bridge')) throw new Error('sample lookups did not find the loaded records');

  const worker = new LoadWorker();
  const runs: Array<{ mode: Mode; keepAlive: boolean; run: PairedRun; found: number }> = [];
  const loadBefore = load1();
  try {
    for (const [mode, body] of [['directory', dirBody], ['dialplan', dpBody]] as const) {
      const ceiling = await startCeiling(body);
      try {
        for (const keepAlive of KEEPALIVE) {
          let foundCount = 0;
          let at = 0;
          const run = await runPaired(
            worker,
            { mode, connections: CONNECTIONS, keepAlive, tenants: TENANTS, extensions: EXTENSIONS },
            { ceiling: ceiling.url, ours: url },
            PAIRS,
            SLICE,
            { before: async () => void (at = await found(mode)), after: async () => void (foundCount += (await found(mode)) - at) },
          );
          runs.push({ mode, keepAlive, run, found: foundCount });
          console.log(`${mode}, ${keepAlive ? 'keep-alive' : 'no keep-alive'}: pair ratios ${run.pairRatios.map((r) => r.toFixed(2)).join(' ')} (load average ${load1()})`);
        }
      } finally {
        ceiling.stop();
      }
    }
  } finally {
    worker.stop();
  }
  await app.close();
  await store.close();

  console.log(`\n${PAIRS} pairs of ${SLICE} s slices per run (${PAIRS * SLICE} s per arm), ${CONNECTIONS} connections, ${process.platform} ${process.arch}, node ${process.version}`);
  console.log(`load average (1 min): ${loadBefore} at the first slice, ${load1()} at the last`);
  const bytes = (m: Mode) => runs.find((r) => r.mode === m)?.run.ours.bodyBytes.toFixed(0) ?? '-';
  console.log(`request bodies: directory ${bytes('directory')} bytes (REGISTER sip_auth capture), dialplan ${bytes('dialplan')} bytes (INVITE capture)\n`);
  console.log('lookup    | connections   | arm         | lookups/s | p50 ms | p99 ms | errors | found');
  for (const { mode, keepAlive, run, found: n } of runs) {
    const conn = keepAlive ? 'keep-alive' : 'no keep-alive';
    console.log(row(mode, conn, 'ceiling', run.ceiling, '-'));
    console.log(row(mode, conn, 'Switchplane', run.ours, `${((100 * n) / Math.max(1, run.ours.requests)).toFixed(1)}%`));
  }
  console.log('\nratio to the ceiling: median of per-pair ratios (lowest–highest pair), ratio of totals');
  let pass = true;
  for (const { mode, keepAlive, run, found: n } of runs) {
    const spread = `${Math.min(...run.pairRatios).toFixed(2)}–${Math.max(...run.pairRatios).toFixed(2)}`;
    let line = `${mode.padEnd(9)} ${(keepAlive ? 'keep-alive' : 'no keep-alive').padEnd(13)} ${run.ratio.toFixed(2)} (${spread}), totals ${run.totalsRatio.toFixed(2)}`;
    if (keepAlive) {
      const ratioOk = run.ratio >= TARGET[mode];
      const p99Ok = run.ours.p99 < TARGET.p99Ms;
      const foundOk = n >= run.ours.requests && run.ours.errors === 0;
      pass &&= ratioOk && p99Ok && foundOk;
      line += `; target ratio ≥ ${TARGET[mode]}: ${verdict(ratioOk)}, p99 < ${TARGET.p99Ms} ms: ${verdict(p99Ok)}, every answer found, no errors: ${verdict(foundOk)}`;
    }
    console.log(line);
  }
  if (KEEPALIVE.includes(true)) console.log(`\ntargets (keep-alive, ${CONNECTIONS} connections): ${pass ? 'PASS' : 'FAIL'}`);
} finally {
  await admin(`drop database if exists ${dbName} with (force)`);
}
