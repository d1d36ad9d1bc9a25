/**
 * A database that is unreachable or drops sessions: the API answers 503 `database_unavailable`
 * with Retry-After and recovers by itself, FreeSWITCH keeps getting 200 answers (cached or
 * `not found`), and with PostgreSQL (TEST_DATABASE_URL) sessions terminated by the server
 * (`pg_terminate_backend`, 57P01) or cut by the network never end the process: every pool and the
 * change listener reconnect, and no acknowledged CDR is lost.
 */
import t, { type Test } from 'tap';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import { CHANGE_CHANNEL, type Change } from '../../src/db/store.js';
import { isDatabaseUnavailable } from '../../src/db/unavailable.js';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp } from '../helpers/app.js';
import type { Backend } from '../helpers/backends.js';
import { FORM, fixtureBody, isNotFound, rewrite } from '../helpers/fixtures.js';
import { freePort } from '../helpers/sipp.js';
import { startSwitchplane } from '../helpers/switchplane-process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { jsonCdr } from '../cdr/service-rig.js';
import { eventually } from '../helpers/eventually.js';

t.setTimeout(300_000); // with PostgreSQL: a Switchplane process through 20 session terminations

const SERVER = process.env.TEST_DATABASE_URL;
const ACME = 'acme.switchplane.test';

/** An error as pg gives it, of `run`; fails the test if `run` succeeds. */
async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

t.test('what counts as an unavailable database', async (t) => {
  const closedPort = await freePort('tcp');
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${closedPort}/none` });
  t.ok(isDatabaseUnavailable(await errorOf(() => client.connect())), 'a refused connection (pg.Client)');
  const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${closedPort}/none` });
  t.teardown(() => pool.end());
  t.ok(isDatabaseUnavailable(await errorOf(() => pool.query('select 1'))), 'a refused connection (pg.Pool)');
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  t.ok(isDatabaseUnavailable(coded('57P01', 'terminating connection due to administrator command')), '57P01 admin shutdown');
  t.ok(isDatabaseUnavailable(coded('57P03', 'the database system is starting up')), '57P03 cannot connect now');
  t.ok(isDatabaseUnavailable(coded('08006')), '08006 connection failure');
  t.ok(isDatabaseUnavailable(coded('ECONNRESET', 'read ECONNRESET')), 'a reset connection');
  t.ok(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')), 'pg: a session lost');
  t.ok(isDatabaseUnavailable(new Error('Client has encountered a connection error and is not queryable')), 'pg: a session lost before');
  t.ok(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect')), 'pg-pool: no session in time');
  t.ok(isDatabaseUnavailable(new Error('migration 001 failed', { cause: coded('57P01') })), 'wrapped as a cause');
  t.notOk(isDatabaseUnavailable(coded('57014', 'canceling statement due to statement timeout')), 'a statement timeout is not');
  t.notOk(isDatabaseUnavailable(coded('23505', 'duplicate key')), 'a constraint violation is not');
  t.notOk(isDatabaseUnavailable(new TypeError('x is undefined')), 'a programming error is not');
  t.notOk(isDatabaseUnavailable('ECONNREFUSED'), 'a string is not');
});

t.test('API 503 with Retry-After while the database refuses connections; FreeSWITCH answers stay 200; both recover', async (t) => {
  // The store's transactions go to a pool at a closed port while `down`: real pg errors.
  const unreachable = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort('tcp')}/none` });
  t.teardown(() => unreachable.end());
  let down = false;
  const viaClosedPort = async <T>(run: () => Promise<T>): Promise<T> => {
    if (!down) return run();
    const client = await unreachable.connect();
    client.release();
    throw new Error('a closed port accepted a connection');
  };
  const backend: Backend = {
    name: 'pglite',
    open: async () => {
      const store = await openPglite(undefined);
      return {
        ...store,
        withTenant: (id, fn) => viaClosedPort(() => store.withTenant(id, fn)),
        withOperator: (fn) => viaClosedPort(() => store.withOperator(fn)),
        withLookup: (fn, opts) => viaClosedPort(() => store.withLookup(fn, opts)),
        withIngest: (fn) => viaClosedPort(() => store.withIngest(fn)),
        withScheduler: (fn) => viaClosedPort(() => store.withScheduler(fn)),
      };
    },
  };
  const ctx = await demoApp(backend);
  t.teardown(ctx.close);
  const keys = await demoKeys(ctx.store);
  const register = (user: string) => rewrite(fixtureBody('directory-register.txt'), { user, domain: ACME, key_value: ACME });
  const lookup = async (user: string) => (await ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload: register(user) }));

  t.equal((await call(ctx.app, keys.acme, 'GET', '/api/v1/extensions')).status, 200, 'up: 200');
  const cachedUser = await lookup('1001');
  t.notOk(isNotFound(cachedUser.body), 'up: extension 1001 found');

  down = true;
  for (const [key, url] of [[keys.acme, '/api/v1/extensions'], [keys.admin, '/api/v1/customers'], [keys.acme, `/api/v1/customers/${keys.acmeId}`]] as const) {
    const res = await call(ctx.app, key, 'GET', url);
    t.equal(res.status, 503, `down: GET ${url} 503`);
    t.equal(res.headers['retry-after'], '5', 'Retry-After');
    t.equal(res.body.error.code, 'database_unavailable');
  }
  const created = await call(ctx.app, keys.acme, 'POST', '/api/v1/extensions', { extensionNumber: '1999', displayName: 'Down' });
  t.equal(created.status, 503, 'down: a write is 503 too');
  const stillCached = await lookup('1001');
  t.equal(stillCached.statusCode, 200, 'down: FreeSWITCH gets 200');
  t.equal(stillCached.body, cachedUser.body, 'down: the cached user is answered as before');
  const unknown = await lookup('1777');
  t.equal(unknown.statusCode, 200);
  t.ok(isNotFound(unknown.body), 'down: an unknown user is not found');

  down = false;
  t.equal((await call(ctx.app, keys.acme, 'GET', '/api/v1/extensions')).status, 200, 'back: 200');
});

interface FreshDatabase {
  name: string;
  /** Its URL, through `port` if given. */
  url(port?: number): string;
  /** A session on the server's own database, which terminations leave alone. */
  admin: pg.Client;
  /** Runs `text` in this database as the server's superuser (row-level security does not apply). */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
}

/** A fresh database on the test server, dropped when the test ends. */
async function freshDatabase(t: Test, server: string): Promise<FreshDatabase> {
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  const name = `switchplane_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`create database ${name}`);
  t.teardown(async () => {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  const url = (port?: number) => {
    const u = new URL(server);
    u.pathname = `/${name}`;
    if (port) u.port = String(port);
    return u.toString();
  };
  return {
    name,
    admin,
    url,
    query: async (text, values) => {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end();
      }
    },
  };
}

/** Terminates every session of `database` but the caller's; resolves with how many. */
async function terminateSessions(admin: pg.Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    'select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()) s',
    [database],
  );
  return rows[0]!.n;
}

if (SERVER) {
  t.test('PostgreSQL: sessions terminated between the statements of open transactions, and the change listener\'s', async (t) => {
    const db = await freshDatabase(t, SERVER);
    const store = await openPostgres({ url: db.url(), poolSize: 4, lookupBudgetMs: 1000 });
    t.teardown(() => store.close());
    const changes: Change[] = [];
    t.teardown(await store.onChange((c) => changes.push(c)));
    let committed = 0;
    const failures: unknown[] = [];
    let terminating = true;
    // A pause between two statements leaves each session checked out and idle when it is dropped.
    const worker = async () => {
      while (terminating) {
        await store
          .withIngest(async (trx) => {
            await sql`select 1`.execute(trx);
            await sleep(5);
            await sql`select 2`.execute(trx);
          })
          .then(
            () => committed++,
            (err: unknown) => failures.push(err),
          );
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    let terminated = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(40);
      terminated += await terminateSessions(db.admin, db.name);
    }
    terminating = false;
    await Promise.all(workers);
    t.ok(terminated >= 20, `${terminated} sessions terminated`);
    t.ok(failures.length > 0, 'transactions on terminated sessions failed');
    t.same(failures.filter((err) => !isDatabaseUnavailable(err)), [], 'each failure is told as an unavailable database');
    t.comment(`20 rounds, ${terminated} sessions terminated: ${committed} transactions committed, ${failures.length} failed as unavailable, the process lives on`);
    // Sessions lost while being set up must not stay checked out: the pool of 4 serves 40 at once.
    const after = await Promise.all(Array.from({ length: 40 }, () => store.withIngest((trx) => sql<{ one: number }>`select 1 as one`.execute(trx))));
    t.equal(after.length, 40, 'every pool serves again');
    const lookup = await store.withLookup((d) => sql<{ one: number }>`select 1 as one`.execute(d));
    t.equal(lookup.rows[0]!.one, 1, 'the lookup pool serves again');
    t.ok(changes.some((c) => c.table === '*'), 'the change listener was told that anything may have changed');
    // A notice sent before the listener is back is missed (that is what `*` is for): send until one is heard.
    await eventually('a change notice heard after the terminations', async () => {
      if (changes.some((c) => c.table === 'probe')) return true;
      await db.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify({ table: 'probe', tenant_id: null })]);
      return false;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    t.pass('the change listener hears notices again');
  });

  t.test('PostgreSQL: a network cut gives API 503 and FreeSWITCH answers; pools and the change listener reconnect', async (t) => {
    const db = await freshDatabase(t, SERVER);
    const proxy = await startTcpProxy(t, Number(new URL(SERVER).port || 5432));
    const backend: Backend = { name: 'postgres', open: (opts) => openPostgres({ url: db.url(proxy.port), poolSize: 4, lookupBudgetMs: opts?.lookupBudgetMs ?? 1000 }) };
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const changes: Change[] = [];
    const unlisten = await ctx.store.onChange((c) => changes.push(c));
    t.teardown(unlisten);
    const until = (what: string, ok: () => boolean) => eventually(what, ok, { timeoutMs: 30_000, intervalMs: 50 });
    t.equal((await call(ctx.app, keys.acme, 'GET', '/api/v1/extensions')).status, 200, 'up: 200');

    proxy.cut();
    const res = await call(ctx.app, keys.acme, 'GET', '/api/v1/extensions');
    t.equal(res.status, 503, 'cut: 503');
    t.equal(res.headers['retry-after'], '5');
    t.equal(res.body.error.code, 'database_unavailable');
    const xml = await ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload: rewrite(fixtureBody('directory-register.txt'), { user: '1777', domain: ACME, key_value: ACME }) });
    t.equal(xml.statusCode, 200, 'cut: FreeSWITCH gets 200');
    t.ok(isNotFound(xml.body), 'cut: not found');

    const heard = changes.length;
    proxy.restore();
    await until('the change listener reconnects', () => changes.slice(heard).some((c) => c.table === '*'));
    t.pass('after reconnecting, the listener hears that anything may have changed');
    const back = await call(ctx.app, keys.acme, 'POST', '/api/v1/extensions', { extensionNumber: '1998', displayName: 'Back' });
    t.equal(back.status, 201, 'restored: the API writes again');
    await until('the change notice of that write', () => changes.some((c) => c.table === 'extensions' && c.tenantId === keys.acmeId));
    t.pass('and notices arrive on the new session');
  });

  t.test('PostgreSQL: 20 session terminations during a CDR burst into a Switchplane process: 0 crashes, 0 lost CDRs', async (t) => {
    const db = await freshDatabase(t, SERVER);
    const sp = await startSwitchplane(t, await freePort('tcp'), { DATABASE_URL: db.url(), DB_POOL_SIZE: '4' });
    const customer = await sp.ok('POST', '/api/v1/customers', { name: 'Burst', slug: 'burst', sipDomain: 'burst.switchplane.test' });

    const acknowledged: string[] = [];
    const postErrors: string[] = [];
    const apiStatus = new Map<number, number>();
    let bursting = true;
    const poster = async () => {
      while (bursting) {
        const uuid = randomUUID();
        const res = await fetch(`${sp.url}/freeswitch/cdr?uuid=${uuid}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: jsonCdr(uuid, 'burst-core', { accountcode: customer.id }),
        }).catch((err: Error) => err);
        if (res instanceof Error) postErrors.push(res.message);
        else if (res.status === 200) acknowledged.push(uuid);
        else postErrors.push(`${res.status} ${await res.text()}`);
      }
    };
    const reader = async () => {
      while (bursting) {
        const res = await sp.api('GET', `/api/v1/customers/${customer.id}`).catch(() => ({ status: 0 }));
        apiStatus.set(res.status, (apiStatus.get(res.status) ?? 0) + 1);
      }
    };
    const load = [poster(), poster(), poster(), poster(), reader(), reader()];
    let terminated = 0;
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      await sleep(250);
      terminated += await terminateSessions(db.admin, db.name);
    }
    bursting = false;
    await Promise.all(load);
    const burstMs = Date.now() - started;

    const stored = async () =>
      (await db.query<{ n: number }>('select count(*)::int as n from (select unique_id from cdrs union select unique_id from unattributed_cdrs) s where unique_id = any($1)', [acknowledged]))[0]!.n;
    const landed = await eventually('every acknowledged CDR stored', stored, { until: (n) => n >= acknowledged.length, timeoutMs: 60_000, intervalMs: 200 }).catch(stored);
    const attributed = (await db.query<{ n: number }>('select count(*)::int as n from cdrs where tenant_id = $1', [customer.id]))[0]!.n;
    const health = await fetch(`${sp.url}/health`).then((r) => r.status, () => 0);
    const crashed = /Unhandled 'error' event|uncaughtException/.test(sp.output()) || health === 0;

    t.ok(terminated >= 20, `${terminated} sessions terminated`);
    t.ok(acknowledged.length >= 100, `${acknowledged.length} CDRs acknowledged during the burst`);
    t.equal(postErrors.length, 0, `every CDR post was acknowledged${postErrors.length ? ` (first failures: ${postErrors.slice(0, 3).join('; ')})` : ''}`);
    t.equal(landed, acknowledged.length, 'every acknowledged CDR is in the database');
    t.equal(attributed, acknowledged.length, 'each under its customer');
    t.equal(health, 200, 'the process is alive and healthy');
    t.notOk(crashed, 'no crash');
    t.notOk(apiStatus.has(500), 'the API never answered 500');
    t.ok((apiStatus.get(200) ?? 0) > 0, 'the API answered between terminations');
    const statuses = [...apiStatus].map(([s, n]) => `${n}×${s}`).join(', ');
    t.comment(
      `20 termination rounds in ${burstMs} ms, ${terminated} sessions terminated: ${crashed ? 1 : 0} crashes, ` +
        `${acknowledged.length} CDRs acknowledged, ${landed} stored, ${acknowledged.length - landed} lost; API answers ${statuses}`,
    );
  });
}
