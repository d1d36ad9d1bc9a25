/**
 * PostgreSQL backend: migrations through a one-connection owner pool, then an application pool
 * whose sessions `SET ROLE switchplane_app` and a lookup pool whose sessions
 * `SET ROLE switchplane_lookup` read-only, with `statement_timeout` as the lookup budget.
 *
 * A session the server drops (`pg_terminate_backend`, 57P01 admin shutdown, a restart, a reset
 * connection) never takes the process down: the statement running on it fails (the CDR writer
 * retries its batch, the API answers 503), the pool replaces the session on next use, and the
 * change listener reconnects.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { migrateToLatest } from './migrator.js';
import type { Database } from './schema.js';
import pRetry from 'p-retry';
import { isDatabaseUnavailable } from './unavailable.js';
import { APP_ROLE, CHANGE_CHANNEL, LOOKUP_ROLE, INGEST_ROLE, OPERATOR_ROLE, SCHEDULER_ROLE, TENANT_SETTING, parseChange, asRole, type Change, type NoticeChannel, type Store } from './store.js';

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

/** TCP keepalive on every session, so a server that vanished without a reset is noticed. */
const KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 } as const;

/**
 * A pg pool that survives its server dropping sessions. pg-pool handles the 'error' of an idle
 * session only (pg-pool/index.js `makeIdleListener`, then the pool's 'error'); a checked-out
 * session that is dropped between two statements emits 'error' on the client with no listener,
 * which would end the process. Every session gets a listener when it connects: its next statement
 * then fails ("not queryable") and the pool discards it on release (`_queryable` is false).
 */
function sessionPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool({ ...KEEPALIVE, ...config });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * A pool whose every new session first runs `setup`; a session whose setup fails is never used.
 * The setup runs in pg-pool's `onConnect` hook, which ends a session whose setup fails and fails
 * its checkout; Kysely's `onCreateConnection` would keep such a session checked out for good.
 */
function roleDialect(url: string, max: number, setup: string, connectTimeoutMs: number, prepare = false): PostgresDialect {
  const pool = sessionPool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectTimeoutMs,
    onConnect: async (client) => {
      await client.query(setup);
    },
    ...(prepare ? { Client: PreparingClient } : {}),
  });
  return new PostgresDialect({ pool });
}

/** How long `onChange` waits for its first LISTEN before it lets the caller go on (then `*` follows). */
const FIRST_LISTEN_WAIT_MS = 2000;

/**
 * LISTENs on a notice channel on a dedicated session, reconnecting with capped exponential
 * backoff (p-retry) whenever the session is lost; after each reconnect, and after a first LISTEN
 * that took more than one attempt or longer than FIRST_LISTEN_WAIT_MS, the listener hears
 * `table: '*'` because notices sent meanwhile are gone.
 * @returns `ready`, settled once the first LISTEN is in place or has failed once (so a change
 *   made after it is either heard or covered by a later `*`), and `stop`
 */
function listenForChanges(url: string, listener: (change: Change) => void, channel: NoticeChannel): { ready: Promise<void>; stop: () => Promise<void> } {
  let client: pg.Client | undefined;
  let stopped = false;
  let settle: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (settle = resolve));
  const connect = async (reconnected: boolean, first: boolean): Promise<void> => {
    let missed = reconnected;
    const waited = first ? setTimeout(() => ((missed = true), settle()), FIRST_LISTEN_WAIT_MS) : undefined;
    const c = await pRetry(
      async () => {
        const attempt = new pg.Client({ connectionString: url, ...KEEPALIVE });
        attempt.on('error', () => undefined);
        try {
          await attempt.connect();
          await attempt.query(`listen ${channel}`);
          return attempt;
        } catch (err) {
          missed = true;
          if (first) settle();
          await attempt.end().catch(() => undefined);
          throw err;
        }
      },
      { retries: Infinity, minTimeout: 250, maxTimeout: 10000, shouldRetry: () => !stopped },
    ).catch(() => undefined);
    clearTimeout(waited);
    if (first) settle();
    if (!c) return;
    if (stopped) return void c.end().catch(() => undefined);
    client = c;
    c.on('notification', (msg) => listener(parseChange(msg.payload)));
    c.on('end', () => {
      if (!stopped) void connect(true, false);
    });
    if (missed) listener({ table: '*', tenantId: null });
  };
  void connect(false, true);
  return {
    ready,
    stop: async () => {
      stopped = true;
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * Opens the PostgreSQL store and applies pending migrations. A migration run cut by a lost
 * session (rolled back by the server) is started again, up to 5 times over about 8 s.
 * @throws when the server stays unreachable or a migration fails
 */
export async function openPostgres(opts: PostgresOptions): Promise<Store> {
  const owner = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: sessionPool({ connectionString: opts.url, max: 1 }) }),
  });
  try {
    await pRetry(() => migrateToLatest(owner), { retries: 5, minTimeout: 250, maxTimeout: 4000, shouldRetry: ({ error }) => isDatabaseUnavailable(error) });
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
    onChange: async (listener, channel = CHANGE_CHANNEL) => {
      const listening = listenForChanges(opts.url, listener, channel);
      await listening.ready;
      return listening.stop;
    },
    close: async () => {
      await Promise.all([app.destroy(), lookup.destroy()]);
    },
  };
}
