/**
 * Migrated databases to copy, so that a test's database starts with every migration applied instead
 * of running PGlite's initdb (seconds of WebAssembly) and 20-odd migrations each time:
 * - `pgliteDump`: a PGDATA tarball of a migrated in-memory PGlite (`migratedDump`), which
 *   `openPglite(undefined, { loadDataDir })` starts from;
 * - `pgliteDataDir`: a migrated on-disk PGlite data directory, copied into a Switchplane process's
 *   fresh DATA_DIR as its `pglite/`;
 * - `postgresTemplate`: a migrated PostgreSQL database that `create database … template …` copies.
 * The PGlite copies run with `shared_buffers = 16MB` (TEST_PGLITE_SETTINGS, in their
 * postgresql.auto.conf) instead of the 128MB of PGlite's initdb: a start from the dump took
 * 0.5–0.8 s instead of 1.0–1.5 s, and test databases are small. They also lack template0 and
 * template1 (DROP_TEMPLATE_DATABASES), which only CREATE DATABASE copies: the dump holds 26 MB in
 * 540 files instead of 41 MB in 1,140, and a start from it took 0.23–0.33 CPU s instead of 0.42–0.56.
 * Each is made once per set of migrations (keyed by a hash of sql/*.sql, PGlite's version and
 * those settings) and kept: the PGlite ones under the system temp folder, the PostgreSQL one on
 * the server as `switchplane_template_<key>`. Concurrent test processes build under a lock and
 * publish by rename. The copies still run `migrateToLatest`, which finds nothing pending.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import lockfile from 'proper-lockfile';
import { SQL_DIR } from '../../src/db/migrator.js';
import { migratedDump, openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';

/** PGlite's version, from its package.json (which its `exports` do not list), found from its entry point. */
const PGLITE_VERSION = (JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite'))), '..', 'package.json'), 'utf8')) as { version: string }).version;

/** Settings of the PGlite test databases: a smaller buffer pool, which PostgreSQL sets up at every start. */
const TEST_PGLITE_SETTINGS = "shared_buffers = '16MB'";

/**
 * Drops the cluster's template databases, which PGlite never connects to; `datistemplate` must be
 * cleared first (PostgreSQL refuses to drop a template), and each DROP DATABASE runs on its own,
 * outside a transaction block.
 */
const DROP_TEMPLATE_DATABASES = [
  "update pg_database set datistemplate = false where datname in ('template0', 'template1')",
  'drop database template0',
  'drop database template1',
  'checkpoint',
];

/** Applies the test settings and drops the template databases in a migrated PGlite cluster. */
async function trimForTests(pglite: PGlite): Promise<void> {
  await pglite.exec(`alter system set ${TEST_PGLITE_SETTINGS}`);
  for (const statement of DROP_TEMPLATE_DATABASES) await pglite.exec(statement);
}

/** What the migrated database depends on: every migration's name and text, PGlite's version, the test trimming. */
function migrationsKey(): string {
  const hash = createHash('sha256').update(PGLITE_VERSION).update(TEST_PGLITE_SETTINGS).update(DROP_TEMPLATE_DATABASES.join(';'));
  for (const file of readdirSync(SQL_DIR).filter((f) => f.endsWith('.sql')).sort()) hash.update(file).update(readFileSync(path.join(SQL_DIR, file)));
  return hash.digest('hex').slice(0, 16);
}

const KEY = migrationsKey();
const CACHE = path.join(tmpdir(), 'switchplane-test-db');

/**
 * Returns `target` (a path under CACHE), made by `build(tmp)` into a temporary path and renamed
 * into place, under a lock so that concurrent test processes build it once.
 */
async function cached(target: string, build: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(target)) return target;
  mkdirSync(CACHE, { recursive: true });
  const release = await lockfile.lock(CACHE, { realpath: false, lockfilePath: `${target}.lock`, stale: 60_000, update: 10_000, retries: { retries: 600, minTimeout: 200, maxTimeout: 1000 } });
  try {
    if (!existsSync(target)) {
      const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}`;
      try {
        await build(tmp);
        renameSync(tmp, target);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  } finally {
    await release();
  }
  return target;
}

let dump: Promise<Blob> | undefined;

/** The migrated in-memory PGlite as a PGDATA tarball (read once per process). */
export function pgliteDump(): Promise<Blob> {
  dump ??= cached(path.join(CACHE, `pglite-${KEY}.tar`), async (tmp) => {
    const pglite = await PGlite.create({ loadDataDir: await migratedDump() });
    try {
      await trimForTests(pglite);
      writeFileSync(tmp, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
    } finally {
      await pglite.close();
    }
  }).then((file) => new Blob([readFileSync(file)]));
  return dump;
}

/** Copies a migrated PGlite data directory to `dir` (which must not exist yet). */
export async function copyPgliteDataDir(dir: string): Promise<void> {
  const template = await cached(path.join(CACHE, `pglite-${KEY}`), async (tmp) => {
    const store = await openPglite(tmp);
    await store.close();
    const pglite = await PGlite.create({ dataDir: tmp });
    try {
      await trimForTests(pglite);
    } finally {
      await pglite.close();
    }
  });
  cpSync(template, dir, { recursive: true });
}

async function adminQuery(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const templates = new Map<string, Promise<string>>();

/**
 * The name of the migrated template database on the server of `serverUrl`, made when missing: a
 * database is migrated under a temporary name, then renamed (a concurrent maker's rename loses with
 * 42P04 and drops its copy).
 */
export function postgresTemplate(serverUrl: string): Promise<string> {
  const name = `switchplane_template_${KEY}`;
  let made = templates.get(serverUrl);
  if (!made) {
    made = (async () => {
      const found = await adminQuery(serverUrl, `select 1 from pg_database where datname = '${name}'`);
      if (found.rowCount) return name;
      const tmp = `switchplane_template_tmp_${randomBytes(6).toString('hex')}`;
      await adminQuery(serverUrl, `create database ${tmp}`);
      try {
        const store = await openPostgres({ url: databaseUrl(serverUrl, tmp), poolSize: 1, lookupBudgetMs: 5000 });
        await store.close();
        await adminQuery(serverUrl, `alter database ${tmp} rename to ${name}`);
      } catch (err) {
        if ((err as { code?: string }).code !== '42P04') throw err;
      } finally {
        await adminQuery(serverUrl, `drop database if exists ${tmp} with (force)`);
      }
      return name;
    })();
    made.catch(() => templates.delete(serverUrl));
    templates.set(serverUrl, made);
  }
  return made;
}

/**
 * Creates database `name` as a copy of the migrated template; retries while another session is
 * still connected to the template (55006), which only a concurrent maker's migration can be.
 */
export async function createMigratedDatabase(serverUrl: string, name: string): Promise<string> {
  const template = await postgresTemplate(serverUrl);
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(serverUrl, `create database ${name} template ${template}`);
      return databaseUrl(serverUrl, name);
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
