/**
 * The database handle every module receives. Two backends behind one interface:
 * PostgreSQL through pg pools when a URL is given, or PostgreSQL in-process (PGlite) under
 * `DATA_DIR/pglite` (or in memory) otherwise. In both, queries run as the NOLOGIN roles of
 * sql/002_row_level_security.sql, never as the owner, so row-level security always applies.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface Store {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `fn` in a transaction as `switchplane_app` with `switchplane.tenant_id` set, so every
   * statement sees and writes only that tenant's rows (PostgreSQL row-level security).
   */
  withTenant<T>(tenantId: string, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` read-only as `switchplane_lookup`, which sees every tenant: the mod_xml_curl path
   * uses it to find a tenant by SIP domain or DID.
   */
  withLookup<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The transaction setting the RLS policies read (sql/002_row_level_security.sql). */
export const TENANT_SETTING = 'switchplane.tenant_id';
export const APP_ROLE = 'switchplane_app';
export const LOOKUP_ROLE = 'switchplane_lookup';
