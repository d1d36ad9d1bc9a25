/**
 * The HTTP side of the composition root: the lookup cache (TenantCache), the directory
 * prerenderer fed by it and the failed-authentication count, put into the Fastify app
 * (src/app.ts). The cache is started before this resolves (a cache that cannot be loaded at
 * start is logged and lookups read through) and stopped when the app closes.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { assembleApp } from '../app.js';
import { AuthFailures } from '../auth-failures.js';
import type { CdrWriter } from '../cdr/writer.js';
import type { Config } from '../config.js';
import type { Store } from '../db/store.js';
import type { SecretBox } from '../domain/secrets.js';
import { TenantCache } from '../domain/tenant-cache.js';
import type { CallControl } from '../esl/call-control.js';
import type { CallForwarding } from '../api/call-forwarding.js';
import type { EslNodes } from '../esl/nodes.js';
import type { Metrics } from '../metrics.js';
import { prerenderUsers, type DirectoryDeps } from '../xmlcurl/directory.js';
import { Prerenderer } from '../xmlcurl/prerender.js';

export interface AppDeps {
  config: Readonly<Config>;
  store: Store;
  /** Lookup cache (default: one over `store` sized by `config.lookupCache`); started with the app, stopped when it closes. */
  tenants?: TenantCache;
  secrets: SecretBox;
  metrics: Metrics;
  clock?: () => Date;
  /** FreeSWITCH event socket connections, shown in /health. */
  esl?: EslNodes;
  /** Call control over `esl` (src/esl/call-control.ts), behind /api/v1/calls; absent: those routes answer 503. */
  calls?: CallControl;
  /** Forwarding of call requests to the instances owning other nodes (src/api/call-forwarding.ts); absent: this instance alone. */
  forwarding?: CallForwarding;
  /** The CDR writer behind `POST /freeswitch/cdr` (mod_json_cdr); the route exists only with it. */
  cdrs?: CdrWriter;
  /** Fastify's logger option; as an object (or `true`) it gets the secret-free serializers of log-redaction.ts. */
  logger?: FastifyServerOptions['logger'];
  /** The built portal served at `/` (default web/dist of this checkout). */
  portalDir?: string;
}

/** The app over `deps`, with its lookup cache started. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const tenants = deps.tenants ?? new TenantCache(deps.store, deps.config.lookupCache);
  const directory: DirectoryDeps = {
    tenants,
    withLookup: deps.store.withLookup,
    secrets: deps.secrets,
    cacheMs: deps.config.xmlcurl.directoryCacheMs,
  };
  const prerenderer = new Prerenderer(
    (s) => prerenderUsers(s, directory),
    (err, s) => app.log.error({ err, tenant: s.tenant.id }, 'directory prerender failed; users render at first lookup'),
  );
  const app = await assembleApp({
    ...deps,
    tenants,
    directory,
    prerenderPending: () => prerenderer.pending,
    // One count of failed authentications for the API and the FreeSWITCH routes together.
    authFailures: new AuthFailures(deps.config.api.authFailuresPerMinute),
    clock: deps.clock ?? (() => new Date()),
  });
  tenants.on('loaded', (snapshots) => prerenderer.enqueue(snapshots));
  tenants.on('warmFailed', (err) => app.log.warn({ err }, 'tenant cache could not be loaded at start; lookups read through'));
  await tenants.start();
  return app;
}
