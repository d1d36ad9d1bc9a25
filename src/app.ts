/**
 * The Fastify application, put together from ready-made parts (nothing is a module singleton, and
 * nothing long-lived is built here: src/wiring/http.ts builds the lookup cache and the directory
 * prerenderer, src/main.ts the rest), so tests use `app.inject()` against an embedded database.
 * Closing the app stops the lookup cache it was handed.
 */
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { sql } from 'kysely';
import { fileURLToPath } from 'node:url';
import { ApiError, apiError, sendApiError } from './api/errors.js';
import { apiPlugin } from './api/plugin.js';
import type { AuthFailures } from './auth-failures.js';
import { jsonCdrPlugin } from './cdr/json-cdr-plugin.js';
import type { CdrWriter } from './cdr/writer.js';
import type { Config } from './config.js';
import type { Store } from './db/store.js';
import { redactingLoggerOptions } from './log-redaction.js';
import type { SecretBox } from './domain/secrets.js';
import { excerpt } from './domain/excerpt.js';
import { lazySchemaCompilers } from './http/lazy-schema-compilers.js';
import { registerPortal } from './http/portal.js';
import type { CallForwarding } from './api/call-forwarding.js';
import type { CallControl } from './esl/call-control.js';
import type { EslNodes } from './esl/nodes.js';
import type { TenantCache } from './domain/tenant-cache.js';
import type { Metrics } from './metrics.js';
import { withinBudget } from './xmlcurl/budget.js';
import type { DirectoryDeps } from './xmlcurl/directory.js';
import { XmlCurlLane } from './xmlcurl/lane.js';
import { xmlcurlPlugin } from './xmlcurl/plugin.js';

export interface AppParts {
  config: Readonly<Config>;
  store: Store;
  /** The lookup cache, not yet started; stopped when the app closes. */
  tenants: TenantCache;
  /** What directory answers are rendered from (over `tenants`). */
  directory: DirectoryDeps;
  /** Cached tenants whose directory answers are still being rendered (src/xmlcurl/prerender.ts), for /health. */
  prerenderPending: () => number;
  /** Failed authentications per client address, one count for the API and the FreeSWITCH routes. */
  authFailures: AuthFailures;
  secrets: SecretBox;
  metrics: Metrics;
  clock: () => Date;
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
  /** The built portal served at `/` (src/http/portal.ts); default web/dist of this checkout. */
  portalDir?: string;
}

/** The portal's build output in this checkout (`npm run build:web`). */
export const PORTAL_DIR = fileURLToPath(new URL('../web/dist/', import.meta.url));

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

export async function assembleApp(parts: AppParts): Promise<FastifyInstance> {
  // Per-request access logs are off: FreeSWITCH asks hundreds of times a second; failures are logged.
  const logger = parts.logger === true ? redactingLoggerOptions({}) : parts.logger ? redactingLoggerOptions(parts.logger) : false;
  const bodyLimit = 1024 * 1024;
  // FreeSWITCH's form lookups are answered ahead of Fastify when nothing about them needs it (src/xmlcurl/lane.ts).
  const lane = new XmlCurlLane(parts.config, bodyLimit, parts.authFailures);
  const app = Fastify({
    logger,
    bodyLimit,
    serverFactory: (handler, options) => lane.server(handler, options),
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: routerRefusal,
    // Only the proxies TRUST_PROXY names may say who the client is and whether it used HTTPS.
    trustProxy: parts.config.trustProxy.length > 0 ? parts.config.trustProxy : false,
    // Each route's validator and serializer is compiled on its first use, not all at ready().
    schemaController: lazySchemaCompilers(),
  });
  const { config, store, tenants, authFailures, clock } = parts;
  app.addHook('onClose', () => tenants.stop());

  /**
   * 200 once a lookup query succeeds within the XML-curl budget, else 503. `tenantCache` is
   * warming | warm | cold; `directoryPrerenderPending` and `dialplanPrerenderPending` count cached
   * tenants whose directory answers, and DID answers, are still being rendered; `esl` lists each
   * FreeSWITCH node's connection.
   */
  let dialplanPrerenderPending = () => 0;
  app.get('/health', async (_req, reply) => {
    try {
      await withinBudget(store.withLookup((db) => sql`select 1 from tenants limit 1`.execute(db)), config.xmlcurl.budgetMs);
      return { status: 'ok', database: store.kind, tenantCache: tenants.state, directoryPrerenderPending: parts.prerenderPending(), dialplanPrerenderPending: dialplanPrerenderPending(), esl: parts.esl?.health() ?? [] };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', database: store.kind, error: (err as Error).message });
    }
  });

  app.get('/metrics', async (_req, reply) =>
    reply.header('content-type', parts.metrics.registry.contentType).send(await parts.metrics.registry.metrics()),
  );

  await app.register(xmlcurlPlugin, { config, store, tenants, directory: parts.directory, metrics: parts.metrics, clock, authFailures, lane, dialplanPrerenderPending: (pending) => (dialplanPrerenderPending = pending) });
  if (parts.cdrs) await app.register(jsonCdrPlugin, { config, writer: parts.cdrs, authFailures });
  await app.register(apiPlugin, { config, store, secrets: parts.secrets, tenants, clock, esl: parts.esl, calls: parts.calls, forwarding: parts.forwarding, metrics: parts.metrics, authFailures });
  // The portal at `/`; what is not the portal's (an unknown /api/… path, a POST) gets the API's 404.
  await registerPortal(app, {
    distDir: parts.portalDir ?? PORTAL_DIR,
    notFound: (req, reply) => sendApiError(apiError('not_found', `no route ${req.method} ${excerpt(req.url)}`), req, reply),
  });
  return app;
}
