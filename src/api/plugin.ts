/**
 * The REST API under `/api/v1`, with its OpenAPI document at `/docs/json` and a browsable page at
 * `/docs`. Every route needs `Authorization: Bearer <key>` or a logged-in session cookie (with
 * `x-csrf-token` on writes, src/api/session.ts), but the login routes (src/api/auth-routes.ts);
 * requests are rate-limited per key
 * (@fastify/rate-limit: 429 with `Retry-After`), failed authentications per client address
 * (src/auth-failures.ts); text PostgreSQL or XML cannot hold and numbers that are not finite are
 * refused before any handler runs (src/api/storable-text.ts, finite-numbers.ts); errors are
 * `{ error: { code, message, field } }`.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import { excerpt } from '../domain/excerpt.js';
import { aiSessionRoutes } from './ai-sessions.js';
import { apiKeyRoutes } from './api-keys.js';
import { auditLogRoutes } from './audit-log.js';
import { authRoutes } from './auth-routes.js';
import { authenticate } from './auth.js';
import type { ApiDeps } from './deps.js';
import { callRoutes } from './calls.js';
import { cdrCsvRoutes } from './cdr-csv.js';
import { cdrRoutes } from './cdrs.js';
import { customerRoutes } from './customers.js';
import { extensionRoutes } from './extensions.js';
import { rejectNonFiniteNumbers } from './finite-numbers.js';
import { freeswitchConfigRoutes } from './freeswitch-config.js';
import { liveRoutes } from './live.js';
import { nodeRoutes } from './nodes.js';
import { apiError, sendApiError } from './errors.js';
import { phoneNumberRoutes } from './phone-numbers.js';
import { recordingRoutes } from './recordings.js';
import { recurringCallRoutes } from './recurring-calls.js';
import { ErrorResponse } from './schemas.js';
import { registerSessions } from './session.js';
import { sipConfigurationRoutes } from './sip-configuration.js';
import { statusRoutes } from './status.js';
import { rejectUnstorableText } from './storable-text.js';
import { trunkTestRoutes } from './trunk-test.js';
import { trunkRoutes } from './trunks.js';
import { userRoutes } from './users.js';
import { webhookRoutes } from './webhooks.js';
import { voicemailRoutes } from './voicemail.js';

export const apiPlugin: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Switchplane API', version: '1', description: 'Tenants (customers), SIP trunks, phone numbers and extensions of a FreeSWITCH control plane.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    // Shared schemas keep their $id as their name (components.schemas.Trunk, not def-3), so the
    // portal's generated types (web/src/api/schema.d.ts) read as the API's own vocabulary.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.addSchema(ErrorResponse);

  await app.register(
    async (api) => {
      api.decorateRequest('principal', null);
      api.setErrorHandler(sendApiError);
      api.setNotFoundHandler((req, reply) => sendApiError(apiError('not_found', `no route ${req.method} ${excerpt(req.url)}`), req, reply));
      await registerSessions(api, deps);
      api.addHook('onRequest', authenticate(deps.store, deps.authFailures));
      api.addHook('preValidation', rejectUnstorableText);
      api.addHook('preHandler', rejectNonFiniteNumbers);
      await api.register(rateLimit, {
        max: deps.config.api.rateLimitPerMinute,
        timeWindow: 60_000,
        hook: 'preHandler',
        keyGenerator: (req) => req.principal?.keyId ?? req.ip,
        errorResponseBuilder: (_req, ctx) => apiError('rate_limited', `more than ${ctx.max} requests a minute; retry in ${ctx.after}`),
      });
      await api.register(authRoutes, deps);
      await api.register(customerRoutes, deps);
      await api.register(userRoutes, deps);
      await api.register(apiKeyRoutes, deps);
      await api.register(trunkRoutes, deps);
      await api.register(phoneNumberRoutes, deps);
      await api.register(extensionRoutes, deps);
      await api.register(voicemailRoutes, deps);
      await api.register(trunkTestRoutes, deps);
      await api.register(sipConfigurationRoutes, deps);
      await api.register(freeswitchConfigRoutes, deps);
      await api.register(callRoutes, deps);
      await api.register(statusRoutes, deps);
      await api.register(cdrRoutes, deps);
      await api.register(cdrCsvRoutes, deps);
      await api.register(aiSessionRoutes, deps);
      await api.register(recordingRoutes, deps);
      await api.register(recurringCallRoutes, deps);
      await api.register(webhookRoutes, deps);
      await api.register(auditLogRoutes, deps);
      await api.register(liveRoutes, deps);
      await api.register(nodeRoutes, deps);
    },
    { prefix: '/api/v1' },
  );
};
