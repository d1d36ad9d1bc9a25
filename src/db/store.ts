/**
 * The database handle every module receives. Two backends behind one interface:
 * PostgreSQL through pg pools when a URL is given, or PostgreSQL in-process (PGlite) under
 * `DATA_DIR/pglite` (or in memory) otherwise. In both, queries run as the NOLOGIN roles of
 * sql/002_row_level_security.sql, never as the owner, so row-level security always applies.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface Store {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `fn` in a transaction as `switchplane_app` with `switchplane.tenant_id` set, so every
   * statement sees and writes only that tenant's rows (PostgreSQL row-level security).
   */
  withTenant<T>(tenantId: string, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in a transaction as `switchplane_operator`, which reads and writes tenants, API keys
   * and the audit log of every tenant (sql/004_operator_role.sql), and people, their sessions and
   * links (sql/014_users_sessions.sql), and nothing else: the admin API and the login path.
   */
  withOperator<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` read-only as `switchplane_lookup`, which sees every tenant: the mod_xml_curl path
   * uses it to find a tenant by SIP domain or DID. Each statement is cut off after the lookup
   * budget unless `opts.statementTimeoutMs` (0 = none) says otherwise, in one transaction.
   */
  withLookup<T>(fn: (db: Kysely<Database>) => Promise<T>, opts?: { statementTimeoutMs?: number }): Promise<T>;
  /**
   * Runs `fn` in a transaction as `switchplane_ingest` (sql/006_ingest_role.sql): writes CDRs of
   * any tenant, the registration columns of extensions and the state and counter columns of
   * trunks, and reads only what attributes an event to a tenant. The ESL controller and the
   * mod_json_cdr endpoint use it.
   */
  withIngest<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in a transaction as `switchplane_scheduler` (sql/007_recurring_calls.sql): claims due
   * recurring calls of every tenant and writes their executions, reading only what an originate
   * and its outcome need. The recurring-call scheduler (src/scheduler/) uses it.
   */
  withScheduler<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` for every committed change notice on `channel`: CHANGE_CHANNEL (the default,
   * configuration changes, sql/003_change_notify.sql) or STATE_CHANNEL (registration and gateway
   * states, sql/015_state_notify.sql). After the notice channel was lost and re-established it
   * calls `listener` with `table: '*'`, since notices may have been missed. Resolves, with a
   * function that stops listening, once the first LISTEN is in place, or once it failed or took
   * long (a `*` then follows when it is in place): a change committed after that is never missed.
   */
  onChange(listener: (change: Change) => void, channel?: NoticeChannel): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A committed change to a tenant's configuration; `table: '*'` means "anything may have changed". */
export interface Change {
  table: string;
  tenantId: string | null;
}

export const CHANGE_CHANNEL = 'switchplane_change';
/** Registration and gateway state notices (sql/015_state_notify.sql), apart from configuration changes. */
export const STATE_CHANNEL = 'switchplane_state';
export type NoticeChannel = typeof CHANGE_CHANNEL | typeof STATE_CHANNEL;

/** Parses a NOTIFY payload; a malformed one is treated as "anything may have changed". */
export function parseChange(payload: string | undefined): Change {
  try {
    const p = JSON.parse(payload ?? '') as { table?: unknown; tenant_id?: unknown };
    if (typeof p.table === 'string') return { table: p.table, tenantId: typeof p.tenant_id === 'string' ? p.tenant_id : null };
  } catch {
    // fall through
  }
  return { table: '*', tenantId: null };
}

/** The transaction setting the RLS policies read (sql/002_row_level_security.sql). */
export const TENANT_SETTING = 'switchplane.tenant_id';
export const APP_ROLE = 'switchplane_app';
export const LOOKUP_ROLE = 'switchplane_lookup';
export const OPERATOR_ROLE = 'switchplane_operator';
export const INGEST_ROLE = 'switchplane_ingest';
export const SCHEDULER_ROLE = 'switchplane_scheduler';

/**
 * Runs `fn` in a transaction of `db` as `role` (one of the NOLOGIN roles above, by
 * `set_config('role', ..., true)`, which ends with the transaction).
 */
export function asRole<T>(db: Kysely<Database>, role: string, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('role', ${role}, true)`.execute(trx);
    return fn(trx);
  });
}
