/**
 * `npm run bench:xmlcurl`: mod_xml_curl lookup throughput against PostgreSQL.
 *
 * Loads BENCH_TENANTS (10,000) tenants × BENCH_EXTENSIONS (10) extensions into a fresh database
 * on BENCH_DATABASE_URL (else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres),
 * starts Switchplane, and fires REGISTER-auth directory lookups for random users, then inbound
 * dialplan lookups for random DIDs, from a second process at full speed for BENCH_SECONDS (20)
 * each. The same load against a trivial HTTP server answering a fixed XML body, measured just
 * before and just after, is the ceiling (the mean of the two).
 * Prints lookups/s, the share answered with a real find (from the app's own counter), p50/p99
 * latency (ms) and the ratio to the ceiling, with the targets.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';
import { buildApp } from '../src/wiring/http.js';
import { loadConfig } from '../src/config.js';
import { openPostgres } from '../src/db/postgres.js';
import { SecretBox } from '../src/domain/secrets.js';
import { createMetrics } from '../src/metrics.js';

const env = process.env;
const TENANTS = Number(env.BENCH_TENANTS ?? 10000);
const EXTENSIONS = Number(env.BENCH_EXTENSIONS ?? 10);
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 16);
const SERVER_URL = env.BENCH_DATABASE_URL ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET = { directoryPerSecond: 5000, p99Ms: 10, ratio: 0.5 };

interface LoadResult { requests: number; perSecond: number; p50: number; p99: number; errors: number; non2xx: number }

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

function fire(url: string, mode: 'directory' | 'dialplan'): Promise<LoadResult> {
  const script = new URL('./bench/load.ts', import.meta.url).pathname;
  return promisify(execFile)(process.execPath, ['--import', 'tsx', script, url, mode, String(SECONDS), String(CONNECTIONS), String(TENANTS), String(EXTENSIONS)], {
    maxBuffer: 1 << 20,
  }).then(({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult);
}

/** The same load against the ceiling server (scripts/bench/ceiling.ts) answering `body`. */
async function ceiling(body: string, mode: 'directory' | 'dialplan'): Promise<LoadResult> {
  const script = new URL('./bench/ceiling.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(body);
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  try {
    return await fire(`http://127.0.0.1:${Number(line.toString().trim())}/freeswitch/xml`, mode);
  } finally {
    child.kill();
  }
}

const dbName = `switchplane_bench_${randomBytes(4).toString('hex')}`;
await admin(`create database ${dbName}`);
const dbUrl = Object.assign(new URL(SERVER_URL), { pathname: `/${dbName}` }).toString();
try {
  const config = loadConfig({ ...env, DATABASE_URL: dbUrl, LOG_LEVEL: 'silent' });
  const store = await openPostgres({ url: dbUrl, poolSize: config.dbPoolSize, lookupBudgetMs: config.xmlcurl.budgetMs });
  const secrets = new SecretBox(randomBytes(32));
  let started = performance.now();
  await load(dbUrl, secrets);
  console.log(`loaded ${TENANTS} tenants × ${EXTENSIONS} extensions in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  started = performance.now();
  const metrics = createMetrics();
  const app = await buildApp({ config, store, secrets, metrics });
  // Every answer must be a real find, not a fast `not found`: counted by the app itself.
  const found = async (section: string) =>
    (await metrics.xmlcurlLookups.get()).values.find((v) => v.labels.section === section && v.labels.result === 'found')?.value ?? 0;
  await app.listen({ host: '127.0.0.1', port: 0 });
  // Start-up state an operator waits for: tenants cached and their directory answers rendered.
  const settled = (h: { tenantCache: string; directoryPrerenderPending: number }) => h.tenantCache !== 'warming' && h.directoryPrerenderPending === 0;
  while (!settled((await app.inject({ method: 'GET', url: '/health' })).json())) {
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`start-up: tenant cache loaded and directory answers rendered in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/freeswitch/xml`;

  // Sample answers: they must be real finds, and they are the ceiling server's fixed bodies.
  const sample = async (payload: string) => (await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload })).body;
  const dirBody = await sample(`section=directory&key_value=t7.bench.switchplane.test&domain=t7.bench.switchplane.test&user=1003&action=sip_auth&sip_auth_realm=t7.bench.switchplane.test`);
  const dpBody = await sample(`section=dialplan&Hunt-Context=public&Hunt-Destination-Number=%2B15550000007&Caller-Caller-ID-Number=100`);
  if (!dirBody.includes('a1-hash') || !dpBody.includes('bridge')) throw new Error('sample lookups did not find the loaded records');

  const results: Array<[string, LoadResult & { found: number }, LoadResult]> = [];
  // The ceiling is measured right before and right after Switchplane and averaged, so that
  // drift in the machine's speed during the run affects both sides alike.
  for (const [mode, body] of [['directory', dirBody], ['dialplan', dpBody]] as const) {
    const before = await ceiling(body, mode);
    const foundBefore = await found(mode);
    const ours = { ...(await fire(url, mode)), found: 0 };
    ours.found = (await found(mode)) - foundBefore;
    const after = await ceiling(body, mode);
    console.log(`${mode}: ceiling ${before.perSecond.toFixed(0)}/s before, ${after.perSecond.toFixed(0)}/s after`);
    results.push([mode, ours, { ...before, perSecond: (before.perSecond + after.perSecond) / 2 }]);
  }
  await app.close();
  await store.close();

  console.log(`\n${SECONDS} s per run, ${CONNECTIONS} connections, ${process.platform} ${process.arch}, node ${process.version}`);
  console.log('lookup     | lookups/s | found  | p50 ms | p99 ms | errors | ceiling/s | ratio');
  for (const [mode, ours, ceil] of results) {
    console.log(
      `${mode.padEnd(10)} | ${ours.perSecond.toFixed(0).padStart(9)} | ${`${((100 * ours.found) / ours.requests).toFixed(1)}%`.padStart(6)} | ${String(ours.p50).padStart(6)} | ${String(ours.p99).padStart(6)} | ${String(ours.errors + ours.non2xx).padStart(6)} | ${ceil.perSecond.toFixed(0).padStart(9)} | ${(ours.perSecond / ceil.perSecond).toFixed(2)}`,
    );
  }
  const [, dir, dirCeil] = results[0]!;
  const meets = dir.found >= dir.requests && dir.perSecond >= TARGET.directoryPerSecond && dir.p99 <= TARGET.p99Ms && dir.perSecond / dirCeil.perSecond >= TARGET.ratio;
  console.log(`\ntarget (directory): every answer found, ≥ ${TARGET.directoryPerSecond}/s, p99 ≤ ${TARGET.p99Ms} ms, ≥ ${TARGET.ratio} of ceiling: ${meets ? 'met' : 'NOT met'}`);
} finally {
  await admin(`drop database if exists ${dbName} with (force)`);
}
