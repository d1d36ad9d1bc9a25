/**
 * Chooses the backend: PostgreSQL when `DATABASE_URL` is set, else the embedded database under
 * `DATA_DIR/pglite`. Either way pending migrations are applied before the store is returned.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Store } from './store.js';

export function openStore(config: Readonly<Config>): Promise<Store> {
  return config.databaseUrl
    ? openPostgres({ url: config.databaseUrl, poolSize: config.dbPoolSize, lookupBudgetMs: config.xmlcurl.budgetMs })
    : openPglite(path.join(config.dataDir, 'pglite'));
}
