/**
 * A Switchplane app on a given backend, loaded with the demo tenants, with an injected clock.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp, type AppDeps } from '../../src/wiring/http.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import type { Change, Store } from '../../src/db/store.js';
import { TenantCache } from '../../src/domain/tenant-cache.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { seedDemo } from '../../src/seed/demo.js';
import type { Backend } from './backends.js';
import { FORM } from './fixtures.js';
import type { Test } from 'tap';

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  secrets: SecretBox;
  metrics: Metrics;
  config: Readonly<Config>;
  tenants: TenantCache;
  /**
   * Writes as `tenantId` and waits until the lookup cache has dropped that tenant (the change
   * notice travels through PostgreSQL NOTIFY), as an API write would be seen by FreeSWITCH.
   */
  change<T>(tenantId: string, fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Sets the time the dialplan checks business hours against. */
  setNow(iso: string): void;
  close(): Promise<void>;
}

/**
 * Posts a mod_xml_curl form body as FreeSWITCH does and checks what every answer must be:
 * HTTP 200 with a text/xml body. Returns the body.
 */
export async function postLookup(t: Test, app: FastifyInstance, payload: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/xml/);
  return res.body;
}

/**
 * Ranges the test app lets tenant keys point trunks and webhooks at (DESTINATION_ALLOW): loopback,
 * where the tests' SIP peers and CRMs listen, and TEST-NET-3 (RFC 5737), their carriers' addresses.
 * Tests of the destination policy pass `DESTINATION_ALLOW: ''`.
 */
export const TEST_DESTINATION_ALLOW = '127.0.0.0/8,203.0.113.0/24';

/**
 * @param env environment for `loadConfig`; DESTINATION_ALLOW defaults to TEST_DESTINATION_ALLOW
 * @param extra more app dependencies (e.g. a CDR writer or call control), made once the store and
 *   metrics exist
 */
export async function demoApp(
  backend: Backend,
  env: Record<string, string> = {},
  logger: FastifyServerOptions['logger'] = false,
  extra: (parts: { store: Store; metrics: Metrics }) => Partial<AppDeps> = () => ({}),
): Promise<TestApp> {
  const config = loadConfig({ DATA_DIR: '/nonexistent', DESTINATION_ALLOW: TEST_DESTINATION_ALLOW, ...env });
  const store = await backend.open({ lookupBudgetMs: config.xmlcurl.budgetMs });
  const secrets = new SecretBox(randomBytes(32));
  await seedDemo(store, secrets);
  const metrics = createMetrics();
  let now = new Date('2026-11-23T10:00:00Z');
  const tenants = new TenantCache(store, config.lookupCache);
  const app = await buildApp({ config, store, secrets, metrics, tenants, clock: () => now, logger, ...extra({ store, metrics }) });
  return {
    app,
    store,
    tenants,
    change: async (tenantId, fn) => {
      let timer: NodeJS.Timeout | undefined;
      let handler: ((c: Change) => void) | undefined;
      const seen = new Promise<void>((resolve, reject) => {
        handler = (c) => {
          if (c.tenantId === tenantId || c.table === '*') resolve();
        };
        tenants.on('invalidated', handler);
        timer = setTimeout(() => reject(new Error('no change notice within 5 s')), 5000);
      });
      try {
        const out = await store.withTenant(tenantId, fn);
        await seen;
        return out;
      } finally {
        clearTimeout(timer);
        tenants.off('invalidated', handler!);
      }
    },
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
