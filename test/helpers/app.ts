/**
 * A Switchplane app on a given backend, loaded with the demo tenants, with an injected clock.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Store } from '../../src/db/store.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { seedDemo } from '../../src/seed/demo.js';
import type { Backend } from './backends.js';

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  secrets: SecretBox;
  metrics: Metrics;
  config: Readonly<Config>;
  /** Sets the time the dialplan checks business hours against. */
  setNow(iso: string): void;
  close(): Promise<void>;
}

export async function demoApp(backend: Backend, env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ DATA_DIR: '/nonexistent', ...env });
  const store = await backend.open({ lookupBudgetMs: config.xmlcurl.budgetMs });
  const secrets = new SecretBox(randomBytes(32));
  await seedDemo(store, secrets);
  const metrics = createMetrics();
  let now = new Date('2026-11-23T10:00:00Z');
  const app = await buildApp({ config, store, secrets, metrics, clock: () => now });
  return {
    app,
    store,
    secrets,
    metrics,
    config,
    setNow: (iso) => {
      now = new Date(iso);
    },
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
