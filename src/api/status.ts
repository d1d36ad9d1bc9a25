/**
 * `GET /api/v1/status` (and `/api/v1/customers/{customerId}/status` for admin keys, or
 * X-Tenant-ID): the telephony status of the Welcomedly guide's `GET /api/telephony/status`,
 * `{ data: { connected, nodes, activeCalls, callsInProgress } }`:
 * - `connected`: the event socket of at least one FreeSWITCH node is up;
 * - `nodes`: per ESL_NODES node, its link (src/esl/connection.ts health): `connected`, `since`
 *   (ISO time it came up or went down), `eventsReceived`, and `lastError`, which can name hosts
 *   and ports and is therefore shown to admin keys only (null for tenant keys);
 * - `activeCalls`: the customer's live calls, ringing ones included (GET /calls/active);
 * - `callsInProgress`: those of them answered or bridged.
 * Without ESL_NODES: `connected` false, no nodes, no calls.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { requireCustomer } from '../domain/customer-exists.js';
import { tenantOfPath } from './auth.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, errorResponses, Nullable, PATH_FORMS } from './schemas.js';

const Status = Type.Object(
  {
    connected: Type.Boolean({ description: 'some FreeSWITCH node\'s event socket is up' }),
    nodes: Type.Array(
      Type.Object({
        name: Type.String(),
        connected: Type.Boolean(),
        since: Nullable(Type.String({ format: 'date-time', description: 'when the link came up (connected) or went down' })),
        eventsReceived: Type.Integer(),
        lastError: Nullable(Type.String({ description: 'admin keys only' })),
      }),
    ),
    activeCalls: Type.Integer({ description: 'live calls of the customer, ringing included' }),
    callsInProgress: Type.Integer({ description: 'live calls answered or bridged' }),
  },
  { $id: 'TelephonyStatus', title: 'TelephonyStatus' },
);

export const statusRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, esl, calls }) => {
  app.addSchema(Status);
  const status = async (req: FastifyRequest) => {
    const { principal, tenantId } = tenantOfPath(req, 'read');
    await store.withTenant(tenantId, (trx) => requireCustomer(trx, tenantId));
    const admin = principal.scopes.has('admin');
    const nodes = (esl?.health() ?? []).map((h) => ({ name: h.name, connected: h.connected, since: h.since, eventsReceived: h.eventsReceived, lastError: admin ? h.lastError : null }));
    const live = calls?.active(tenantId) ?? [];
    return {
      data: {
        connected: nodes.some((n) => n.connected),
        nodes,
        activeCalls: live.length,
        callsInProgress: live.filter((c) => c.state === 'answered' || c.state === 'bridged').length,
      },
    };
  };
  for (const form of PATH_FORMS) {
    const p = form.collection ? { params: form.collection } : {};
    app.get(`${form.prefix}/status`, {
      schema: { tags: ['calls'], security: bearer, summary: 'FreeSWITCH links and the customer\'s calls', ...p, response: { 200: Data(Type.Ref(Status)), ...errorResponses } },
    }, status);
  }
};
