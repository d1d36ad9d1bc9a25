/**
 * Embedded backend: PostgreSQL compiled to WebAssembly (PGlite) in this process, kept under
 * `dataDir` (or in memory when `dataDir` is undefined). PGlite has a single session, so the
 * dialect serialises transactions; the session runs as `switchplane_app` after migrating and
 * lookups switch to `switchplane_lookup` for their own read-only transaction.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { migrateToLatest } from './migrator.js';
import type { Database } from './schema.js';
import { APP_ROLE, CHANGE_CHANNEL, LOOKUP_ROLE, INGEST_ROLE, OPERATOR_ROLE, SCHEDULER_ROLE, TENANT_SETTING, parseChange, asRole, type Store } from './store.js';

/**
 * Opens (creating if needed) the embedded database and applies pending migrations.
 * @throws when the data directory is unusable or a migration fails
 */
export async function openPglite(dataDir: string | undefined): Promise<Store> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir ? { dataDir } : {});
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  // Migrations run inside the migrator's transaction on PGlite's single session; `exec` takes
  // multi-statement scripts, which PGlite's parameterised `query` does not.
  await migrateToLatest(db as unknown as Kysely<unknown>, async (_db, script) => {
    await pglite.exec(script);
  });
  await sql.raw(`set role ${APP_ROLE}`).execute(db);
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
    onChange: async (listener) => {
      const unlisten = await pglite.listen(CHANGE_CHANNEL, (payload) => listener(parseChange(payload)));
      return unlisten;
    },
    close: () => db.destroy(),
  };
}
