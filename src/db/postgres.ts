/**
 * PostgreSQL backend: migrations through a one-connection owner pool, then an application pool
 * whose sessions `SET ROLE switchplane_app` and a lookup pool whose sessions
 * `SET ROLE switchplane_lookup` read-only, with `statement_timeout` as the lookup budget.
 */
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import { migrateToLatest } from './migrator.js';
import type { Database } from './schema.js';
import { APP_ROLE, LOOKUP_ROLE, TENANT_SETTING, type Store } from './store.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** Lookup statement timeout and connect timeout, milliseconds. */
  lookupBudgetMs: number;
}

/** A pool whose every new session first runs `setup`; a session whose setup fails is never used. */
function roleDialect(url: string, max: number, setup: string, connectTimeoutMs: number): PostgresDialect {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: connectTimeoutMs });
  // An idle client that loses its server emits here; the pool replaces it on next use.
  pool.on('error', () => undefined);
  return new PostgresDialect({
    pool,
    onCreateConnection: async (connection) => {
      await connection.executeQuery(CompiledQuery.raw(setup));
    },
  });
}

/**
 * Opens the PostgreSQL store and applies pending migrations.
 * @throws when the server is unreachable or a migration fails
 */
export async function openPostgres(opts: PostgresOptions): Promise<Store> {
  const owner = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: opts.url, max: 1 }) }),
  });
  try {
    await migrateToLatest(owner);
  } finally {
    await owner.destroy();
  }
  const connectTimeout = Math.max(opts.lookupBudgetMs, 250);
  const app = new Kysely<Database>({
    dialect: roleDialect(opts.url, opts.poolSize, `set role ${APP_ROLE}`, 5000),
  });
  const lookup = new Kysely<Database>({
    dialect: roleDialect(
      opts.url,
      opts.poolSize,
      `set role ${LOOKUP_ROLE}; set default_transaction_read_only = on; set statement_timeout = ${Math.ceil(opts.lookupBudgetMs)}`,
      connectTimeout,
    ),
  });
  return {
    kind: 'postgres',
    withTenant: (tenantId, fn) =>
      app.transaction().execute(async (trx) => {
        await sql`select set_config(${TENANT_SETTING}, ${tenantId}, true)`.execute(trx);
        return fn(trx);
      }),
    withLookup: (fn) => fn(lookup),
    close: async () => {
      await Promise.all([app.destroy(), lookup.destroy()]);
    },
  };
}
