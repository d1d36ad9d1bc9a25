/**
 * Several Switchplane processes (src/main.ts) on one fresh PostgreSQL database, as a fleet runs:
 * one secrets key, a short node lease, and the first started with the nodes to seed (ESL_NODES).
 * The database is a copy of the migrated template (db-templates.ts), dropped at teardown.
 */
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createMigratedDatabase } from './db-templates.js';
import { freePort } from './sipp.js';
import { startSwitchplane, type SwitchplaneProcess } from './switchplane-process.js';

export interface FleetOptions {
  /** How many processes (at least 1). */
  count: number;
  /** ESL_NODES of the first process (`name@host:port,…`). */
  eslNodes: string;
  /** ESL_LEASE_MS (default 3000). */
  leaseMs?: number;
}

/** `count` processes on a new database of the PostgreSQL server `server`, the first seeding `eslNodes`. */
export async function startFleet(t: Test, server: string, { count, eslNodes, leaseMs = 3000 }: FleetOptions): Promise<SwitchplaneProcess[]> {
  const dbName = `switchplane_test_${randomBytes(6).toString('hex')}`;
  const url = await createMigratedDatabase(server, dbName);
  t.teardown(async () => {
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName} with (force)`).finally(() => admin.end());
  });
  const env = { DATABASE_URL: url, SECRETS_KEY: randomBytes(32).toString('hex'), ESL_LEASE_MS: String(leaseMs) };
  const first = await startSwitchplane(t, await freePort('tcp'), { ...env, ESL_NODES: eslNodes });
  const others = await Promise.all(Array.from({ length: count - 1 }, async () => startSwitchplane(t, await freePort('tcp'), env)));
  return [first, ...others];
}
