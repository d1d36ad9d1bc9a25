/**
 * PostgreSQL backend: migrations through a one-connection owner pool, then an application pool
 * whose sessions `SET ROLE switchplane_app` and a lookup pool whose sessions
 * `SET ROLE switchplane_lookup` read-only, with `statement_timeout` as the lookup budget.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import { migrateToLatest } from './migrator.js';
import type { Database } from './schema.js';
import pRetry from 'p-retry';
import { APP_ROLE, CHANGE_CHANNEL, LOOKUP_ROLE, INGEST_ROLE, OPERATOR_ROLE, SCHEDULER_ROLE, TENANT_SETTING, parseChange, asRole, type Change, type Store } from './store.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** Lookup statement timeout and connect timeout, milliseconds. */
  lookupBudgetMs: number;
}

/**
 * A pg client that turns every parameterised query into a named prepared statement (named by a
 * hash of its text), so each query shape is parsed and planned once per session. With
 * `plan_cache_mode = force_generic_plan` the lookup path then skips planning, which costs more
 * than executing its index lookups.
 */
class PreparingClient extends pg.Client {
  override query(config: unknown, values?: unknown, callback?: unknown): any {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      const name = 'sp_' + createHash('sha1').update(config).digest('hex').slice(0, 20);
      return super.query({ name, text: config, values });
    }
    return (super.query as (...args: unknown[]) => unknown)(config, values, callback);
  }
}

/** A pool whose every new session first runs `setup`; a session whose setup fails is never used. */
function roleDialect(url: string, max: number, setup: string, connectTimeoutMs: number, prepare = false): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(prepare ? { Client: PreparingClient } : {}),
  });
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
 * LISTENs on the change channel on a dedicated session, reconnecting with capped exponential
 * backoff (p-retry) whenever the session is lost; after each reconnect the listener hears
 * `table: '*'` because notices sent meanwhile are gone.
 */
function listenForChanges(url: string, listener: (change: Change) => void): () => Promise<void> {
  let client: pg.Client | undefined;
  let stopped = false;
  const connect = async (reconnected: boolean): Promise<void> => {
    const c = await pRetry(
      async () => {
        const attempt = new pg.Client({ connectionString: url });
        attempt.on('error', () => undefined);
        try {
          await attempt.connect();
          await attempt.query(`listen ${CHANGE_CHANNEL}`);
          return attempt;
        } catch (err) {
          await attempt.end().catch(() => undefined);
          throw err;
        }
      },
      { retries: Infinity, minTimeout: 250, maxTimeout: 10000, shouldRetry: () => !stopped },
    ).catch(() => undefined);
    if (!c) return;
    if (stopped) return void c.end().catch(() => undefined);
    client = c;
    c.on('notification', (msg) => listener(parseChange(msg.payload)));
    c.on('end', () => {
      if (!stopped) void connect(true);
    });
    if (reconnected) listener({ table: '*', tenantId: null });
  };
  void connect(false);
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
  };
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
      `set role ${LOOKUP_ROLE}; set default_transaction_read_only = on; set plan_cache_mode = force_generic_plan; ` +
        `set statement_timeout = ${Math.ceil(opts.lookupBudgetMs)}`,
      connectTimeout,
      true,
    ),
  });
  return {
    kind: 'postgres',
    withTenant: (tenantId, fn) =>
      app.transaction().execute(async (trx) => {
        await sql`select set_config(${TENANT_SETTING}, ${tenantId}, true)`.execute(trx);
        return fn(trx);
      }),
    withOperator: (fn) => asRole(app, OPERATOR_ROLE, fn),
    withIngest: (fn) => asRole(app, INGEST_ROLE, fn),
    withScheduler: (fn) => asRole(app, SCHEDULER_ROLE, fn),
    withLookup: (fn, lookupOpts) =>
      lookupOpts?.statementTimeoutMs === undefined
        ? fn(lookup)
        : lookup.transaction().execute(async (trx) => {
            await sql`select set_config('statement_timeout', ${String(lookupOpts.statementTimeoutMs)}, true)`.execute(trx);
            return fn(trx);
          }),
    onChange: async (listener) => listenForChanges(opts.url, listener),
    close: async () => {
      await Promise.all([app.destroy(), lookup.destroy()]);
    },
  };
}
