/**
 * Builds the Fastify application from its dependencies (nothing is a module singleton), so tests
 * use `app.inject()` against an embedded database.
 */
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { sql } from 'kysely';
import { ApiError, sendApiError } from './api/errors.js';
import { apiPlugin } from './api/plugin.js';
import { AuthFailures } from './auth-failures.js';
import { jsonCdrPlugin } from './cdr/json-cdr-plugin.js';
import type { CdrWriter } from './cdr/writer.js';
import type { Config } from './config.js';
import type { Store } from './db/store.js';
import { redactingLoggerOptions } from './log-redaction.js';
import type { SecretBox } from './domain/secrets.js';
import type { CallControl } from './esl/call-control.js';
import type { EslNodes } from './esl/nodes.js';
import { TenantCache } from './domain/tenant-cache.js';
import type { Metrics } from './metrics.js';
import { withinBudget } from './xmlcurl/budget.js';
import { prerenderUsers, type DirectoryDeps } from './xmlcurl/directory.js';
import { xmlcurlPlugin } from './xmlcurl/plugin.js';
import { Prerenderer } from './xmlcurl/prerender.js';

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
  /** The CDR writer behind `POST /freeswitch/cdr` (mod_json_cdr); the route exists only with it. */
  cdrs?: CdrWriter;
  /** Fastify's logger option; as an object (or `true`) it gets the secret-free serializers of log-redaction.ts. */
  logger?: FastifyServerOptions['logger'];
}

/**
 * Requests Fastify's router refuses before any route runs (FST_ERR_BAD_URL: a path that does not
 * percent-decode; FST_ERR_MAX_PARAM_LENGTH: a path parameter over 100 characters) answered in the
 * API's error shape (400 or 414, field `path`), without echoing the path.
 */
function routerRefusal(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = err.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? new ApiError(414, 'validation_failed', 'a path parameter is longer than 100 characters', 'path')
    : new ApiError(400, 'validation_failed', 'the path is not valid percent-encoded text', 'path');
  return sendApiError(error, req, reply);
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Per-request access logs are off: FreeSWITCH asks hundreds of times a second; failures are logged.
  const logger = deps.logger === true ? redactingLoggerOptions({}) : deps.logger ? redactingLoggerOptions(deps.logger) : false;
  const app = Fastify({
    logger,
    bodyLimit: 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: routerRefusal,
  });
  const clock = deps.clock ?? (() => new Date());
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
  tenants.on('loaded', (snapshots) => prerenderer.enqueue(snapshots));
  tenants.on('warmFailed', (err) => app.log.warn({ err }, 'tenant cache could not be loaded at start; lookups read through'));
  app.addHook('onClose', () => tenants.stop());

  /**
   * 200 once a lookup query succeeds within the XML-curl budget, else 503. `tenantCache` is
   * warming | warm | cold; `directoryPrerenderPending` counts cached tenants whose directory
   * answers are still being rendered; `esl` lists each FreeSWITCH node's connection.
   */
  app.get('/health', async (_req, reply) => {
    try {
      await withinBudget(deps.store.withLookup((db) => sql`select 1 from tenants limit 1`.execute(db)), deps.config.xmlcurl.budgetMs);
      return { status: 'ok', database: deps.store.kind, tenantCache: tenants.state, directoryPrerenderPending: prerenderer.pending, esl: deps.esl?.health() ?? [] };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', database: deps.store.kind, error: (err as Error).message });
    }
  });

  app.get('/metrics', async (_req, reply) =>
    reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  // One count of failed authentications for the API and the FreeSWITCH routes together.
  const authFailures = new AuthFailures(deps.config.api.authFailuresPerMinute);
  await app.register(xmlcurlPlugin, { config: deps.config, store: deps.store, tenants, directory, metrics: deps.metrics, clock, authFailures });
  if (deps.cdrs) await app.register(jsonCdrPlugin, { config: deps.config, writer: deps.cdrs, authFailures });
  await app.register(apiPlugin, { config: deps.config, store: deps.store, secrets: deps.secrets, tenants, clock, esl: deps.esl, calls: deps.calls, authFailures });
  await tenants.start();
  return app;
}
