/**
 * Embedded backend: PostgreSQL compiled to WebAssembly (PGlite) in this process, kept under
 * `dataDir` (or in memory when `dataDir` is undefined). PGlite has a single session, so the
 * dialect serialises transactions; the session runs as `switchplane_app` after migrating and
 * lookups switch to `switchplane_lookup` for their own read-only transaction. One process at a
 * time opens a directory: it holds the directory's lock (data-dir-lock.ts) until `close`.
 * An in-memory database may start from a dump of another (`migratedDump`), which skips PGlite's
 * initdb and the migrations the dump already holds.
 */
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { lockDataDir } from './data-dir-lock.js';
import { migrateToLatest } from './migrator.js';
import type { Database } from './schema.js';
import { APP_ROLE, CHANGE_CHANNEL, LOOKUP_ROLE, INGEST_ROLE, OPERATOR_ROLE, SCHEDULER_ROLE, TENANT_SETTING, parseChange, asRole, type Store } from './store.js';

export interface PgliteOptions {
  /**
   * For an in-memory database: the PGDATA tarball to start from (`PGlite.dumpDataDir`, e.g. from
   * `migratedDump`) instead of an empty cluster; migrations it lacks are still applied.
   */
  loadDataDir?: Blob;
}

/**
 * Opens (creating if needed) the embedded database and applies pending migrations.
 * @throws DataDirInUseError (data-dir-lock.ts) when another process, or another open in this
 *   one, holds `dataDir`
 * @throws Error when `loadDataDir` is given with a `dataDir`
 * @throws when the data directory is unusable or a migration fails
 */
export async function openPglite(dataDir: string | undefined, opts: PgliteOptions = {}): Promise<Store> {
  if (!dataDir) return openDatabase(undefined, opts.loadDataDir);
  if (opts.loadDataDir) throw new Error('loadDataDir starts an in-memory database only; copy a data directory instead');
  const unlock = await lockDataDir(dataDir, lockLost(dataDir));
  try {
    const store = await openDatabase(dataDir);
    return {
      ...store,
      close: async () => {
        await store.close();
        await unlock();
      },
    };
  } catch (err) {
    await unlock();
    throw err;
  }
}

/**
 * Another process took the lock over (this one did not refresh it for 30 s, or its files were
 * removed): going on would let two processes write one database, so the process stops.
 */
const lockLost = (dataDir: string) => (err: Error) => {
  throw new Error(`the lock on ${dataDir} was taken over by another process; stopping so that only one process writes the embedded database`, { cause: err });
};

/**
 * An in-memory database with every migration applied, dumped as an uncompressed PGDATA tarball
 * (`PGlite.dumpDataDir('none')`): what `openPglite(undefined, { loadDataDir })` starts from.
 */
export async function migratedDump(): Promise<Blob> {
  const pglite = await PGlite.create({});
  try {
    await migrate(pglite, new Kysely<Database>({ dialect: new PGliteDialect(pglite) }));
    return await pglite.dumpDataDir('none');
  } finally {
    await pglite.close();
  }
}

/**
 * Migrations run inside the migrator's transaction on PGlite's single session; `exec` takes
 * multi-statement scripts, which PGlite's parameterised `query` does not.
 */
async function migrate(pglite: PGlite, db: Kysely<Database>): Promise<void> {
  await migrateToLatest(db as unknown as Kysely<unknown>, async (_db, script) => {
    await pglite.exec(script);
  });
}

async function openDatabase(dataDir: string | undefined, loadDataDir?: Blob): Promise<Store> {
  const pglite = await PGlite.create(dataDir ? { dataDir } : loadDataDir ? { loadDataDir } : {});
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  try {
    await migrate(pglite, db);
    await sql.raw(`set role ${APP_ROLE}`).execute(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    kind: 'pglite',
    withTenant: (tenantId, fn) =>
      db.transaction().execute(async (trx) => {
        await sql`select set_config('role', ${APP_ROLE}, true), set_config(${TENANT_SETTING}, ${tenantId}, true)`.execute(trx);
        return fn(trx);
      }),
    withOperator: (fn) => asRole(db, OPERATOR_ROLE, fn),
    withIngest: (fn) => asRole(db, INGEST_ROLE, fn),
    withScheduler: (fn) => asRole(db, SCHEDULER_ROLE, fn),
    withLookup: (fn) =>
      db.transaction().execute(async (trx) => {
        await sql.raw(`set transaction read only`).execute(trx);
        await sql`select set_config('role', ${LOOKUP_ROLE}, true)`.execute(trx);
        return fn(trx);
      }),
    onChange: async (listener, channel = CHANGE_CHANNEL) => {
      const unlisten = await pglite.listen(channel, (payload) => listener(parseChange(payload)));
      return unlisten;
    },
    close: () => db.destroy(),
  };
}
