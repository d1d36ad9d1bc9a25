/**
 * Trunk connectivity tests: a real SIP OPTIONS (src/sip/options-probe.ts, RFC 3261 §11) to the
 * trunk's host and port over its transport, answered with reachable yes/no, SIP status and
 * phrase, round-trip milliseconds, the resolved address, or the reason it failed.
 * - `POST /api/v1/trunks/{id}/test` (and `/customers/{customerId}/trunks/{id}/test`), camelCase;
 * - `POST /api/v1/customers/{id}/phone_numbers/{phone_number_id}/test_sip_trunk`, the AI
 *   receptionist guide's form, snake_case, testing the trunk behind the number.
 * The wait is `?timeoutMs=` (`?timeout_ms=`), 100–10000 ms, default 3000.
 * A test sends packets on the tenant's behalf, so it needs write access; another tenant's trunk
 * or number is a 404 and nothing is sent. Each test is recorded in the audit log.
 * Through a tenant key the trunk's host is held to the destination policy when the test connects
 * (src/domain/destination-policy.ts), whoever saved it and whenever: a refused address answers
 * `reachable: false` with error `destination_not_allowed`, and nothing is sent. Tests are limited
 * per tenant to `TRUNK_TEST_RATE_LIMIT_PER_MINUTE` (default 10) a minute, over all three paths;
 * more answer 429 `rate_limited` with `Retry-After` (seconds).
 * The probe and its audit: src/domain/trunk-probe.ts.
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Trunk } from '../db/schema.js';
import { DestinationPolicy } from '../domain/destination-policy.js';
import { testTrunk, trunkOfNumber } from '../domain/trunk-probe.js';
import { getTrunk } from '../domain/trunks.js';
import type { ProbeResult } from '../sip/options-probe.js';
import { actingTenant } from './auth.js';
import type { ApiDeps } from './deps.js';
import { apiError } from './errors.js';
import { bearer, Data, errorResponses, PATH_FORMS } from './schemas.js';

const TestOptions = Type.Object(
  { timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 10000, description: 'milliseconds; default 3000' })) },
  { additionalProperties: false },
);
const ErrorInfo = Type.Union([Type.Null(), Type.Object({ code: Type.String({ description: 'dns_failure | destination_not_allowed | timeout | connection_refused | tls_error | bad_response | network_error' }), message: Type.String() })]);
const TrunkTest = Type.Object({
  reachable: Type.Boolean(),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  reasonPhrase: Type.Union([Type.String(), Type.Null()]),
  roundTripMs: Type.Union([Type.Number(), Type.Null()]),
  resolvedAddress: Type.Union([Type.String(), Type.Null()]),
  transport: Type.String(),
  error: ErrorInfo,
});
const SipTrunkTest = Type.Object({
  reachable: Type.Boolean(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  reason_phrase: Type.Union([Type.String(), Type.Null()]),
  round_trip_ms: Type.Union([Type.Number(), Type.Null()]),
  resolved_address: Type.Union([Type.String(), Type.Null()]),
  transport: Type.String(),
  error: ErrorInfo,
});

const snake = (r: ProbeResult): Static<typeof SipTrunkTest> => ({
  reachable: r.reachable,
  status_code: r.statusCode,
  reason_phrase: r.reasonPhrase,
  round_trip_ms: r.roundTripMs,
  resolved_address: r.resolvedAddress,
  transport: r.transport,
  error: r.error,
});

export const trunkTestRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, config }) => {
  const tags = ['trunks'];
  const destinations = new DestinationPolicy(config.destinationAllow);
  const perMinute = config.api.trunkTestsPerMinute;
  const limit = app.createRateLimit({
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => `trunk-test:${actingTenant(req, 'write', (req.params as { customerId?: string }).customerId).tenantId}`,
  });

  /** 429 `rate_limited` with Retry-After once the tenant has had its trunk tests of the minute. */
  async function checkRate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const rate = await limit(req);
    if (rate.isAllowed || !rate.isExceeded) return;
    reply.header('retry-after', String(rate.ttlInSeconds));
    throw apiError('rate_limited', `more than ${perMinute} trunk tests a minute for this customer; retry in ${rate.ttlInSeconds} s`);
  }

  /** Finds the trunk inside the tenant (RLS), probes it outside any transaction, records the test. */
  async function run(req: FastifyRequest, reply: FastifyReply, customerId: string | undefined, find: (tenantId: string) => Promise<Trunk>, timeoutMs?: number): Promise<ProbeResult> {
    const by = actingTenant(req, 'write', customerId);
    await checkRate(req, reply);
    return testTrunk(store, by, await find(by.tenantId), destinations, timeoutMs);
  }

  for (const form of PATH_FORMS) {
    app.post(`${form.prefix}/trunks/:id/test`, {
      schema: {
        tags, security: bearer, summary: 'Send a SIP OPTIONS to the trunk and report what came back',
        params: form.item,
        querystring: TestOptions,
        response: { 200: Data(TrunkTest), ...errorResponses },
      },
    }, async (req, reply) => {
      const customerId = 'customerId' in req.params ? req.params.customerId : undefined;
      return { data: await run(req, reply, customerId, (tenantId) => getTrunk(store, tenantId, req.params.id), req.query.timeoutMs) };
    });
  }

  app.post('/customers/:customerId/phone_numbers/:phoneNumberId/test_sip_trunk', {
    schema: {
      tags: ['ai receptionist'], security: bearer, summary: 'Test the SIP trunk behind a phone number (AI receptionist guide)',
      params: Type.Object({ customerId: Type.String({ format: 'uuid' }), phoneNumberId: Type.String({ format: 'uuid' }) }),
      querystring: Type.Object({ timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 10000, description: 'milliseconds; default 3000' })) }),
      response: { 200: Data(SipTrunkTest), ...errorResponses },
    },
  }, async (req, reply) => ({
    data: snake(await run(req, reply, req.params.customerId, (tenantId) => trunkOfNumber(store, tenantId, req.params.phoneNumberId), req.query.timeout_ms)),
  }));
};
