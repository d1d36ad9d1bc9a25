/**
 * The databases every storage-touching test runs against: the embedded default (in-memory
 * PGlite) always, and a fresh PostgreSQL database per call when TEST_DATABASE_URL names a server
 * (CI sets it). Both start as copies of a migrated database (db-templates.ts), and their opening
 * still applies pending migrations as in production. Each PostgreSQL store drops its database on close.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { Store } from '../../src/db/store.js';
import { createMigratedDatabase, pgliteDump } from './db-templates.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  open(opts?: { lookupBudgetMs?: number }): Promise<Store>;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const postgres = (serverUrl: string): Backend => ({
  name: 'postgres',
  async open(opts) {
    const dbName = `switchplane_test_${randomBytes(6).toString('hex')}`;
    const url = await createMigratedDatabase(serverUrl, dbName);
    const store = await openPostgres({ url, poolSize: 4, lookupBudgetMs: opts?.lookupBudgetMs ?? 1000 });
    return {
      ...store,
      close: async () => {
        await store.close();
        await adminQuery(serverUrl, `drop database if exists ${dbName} with (force)`);
      },
    };
  },
});

const pglite: Backend = { name: 'pglite', open: async () => openPglite(undefined, { loadDataDir: await pgliteDump() }) };

export const backends: Backend[] = process.env.TEST_DATABASE_URL ? [pglite, postgres(process.env.TEST_DATABASE_URL)] : [pglite];
