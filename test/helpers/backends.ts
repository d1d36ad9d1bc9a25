/**
 * The databases every storage-touching test runs against: the embedded default (in-memory
 * PGlite) always, and a fresh PostgreSQL database per call when TEST_DATABASE_URL names a server
 * (CI sets it). Each PostgreSQL store drops its database on close.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { Store } from '../../src/db/store.js';

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
    await adminQuery(serverUrl, `create database ${dbName}`);
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    const store = await openPostgres({ url: url.toString(), poolSize: 4, lookupBudgetMs: opts?.lookupBudgetMs ?? 1000 });
    return {
      ...store,
      close: async () => {
        await store.close();
        await adminQuery(serverUrl, `drop database if exists ${dbName} with (force)`);
      },
    };
  },
});

const pglite: Backend = { name: 'pglite', open: () => openPglite(undefined) };

export const backends: Backend[] = process.env.TEST_DATABASE_URL ? [pglite, postgres(process.env.TEST_DATABASE_URL)] : [pglite];
