/**
 * Live updates for the portal: `GET /api/v1/live`, Server-Sent Events (text/event-stream), with
 * the session cookie (EventSource sends it) or a Bearer key. A customer's key or person watches
 * its own customer; an admin key or operator names it with `?tenantId=` (EventSource cannot send
 * headers) or `X-Tenant-ID`. Events, each a full snapshot:
 * - `event: calls`, data `{ calls: [Call] }`: what GET /calls/active answers, the calls on every
 *   instance's nodes (src/api/call-forwarding.ts; [] with no node anywhere); when another
 *   instance does not answer, the snapshot waits for the next change;
 * - `event: registrations`, data `{ registrations: [{ extensionId, extensionNumber, sipUsername,
 *   displayName, registered, contact, userAgent, ip, port, expiresAt, lastRegistrationAt }] }`;
 * - `event: gateways`, data `{ gateways: [{ trunkId, name, registrationState, pingStatus,
 *   lastError, lastRegisteredAt, currentChannels }] }`.
 * All three at connect, then each again when it changed (src/api/live-hub.ts: within about a
 * second, at most one per 250 ms). An agent's snapshots hold only its own extension and its own
 * calls, and no gateways. A comment line (`: keep-alive`) every 15 s keeps proxies from closing
 * the stream. The stream ends when the client goes or the app closes; open streams are counted in
 * `switchplane_live_streams` (/metrics).
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { requireCustomer } from '../domain/customer-exists.js';
import { gatewayStates, registrationStates } from '../domain/live-snapshots.js';
import type { Call } from '../esl/calls.js';
import { agentExtension, isOwnCall } from './agent-access.js';
import { actingTenant, principalOf, tenantOrAgent } from './auth.js';
import { mergeCalls } from './call-forwarding.js';
import { callJson } from './calls.js';
import type { ApiDeps } from './deps.js';
import { notFound } from './errors.js';
import { rejectUnknown } from './listing.js';
import { LiveHub, LIVE_KINDS, type LiveKind } from './live-hub.js';
import { bearer, errorResponses } from './schemas.js';

/** Seconds between keep-alive comments. */
export const KEEP_ALIVE_MS = 15_000;

const LiveQuery = Type.Object({ tenantId: Type.Optional(Type.String({ format: 'uuid', description: 'the customer an admin key or operator watches' })) });

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The customer watched and, for an agent, its extension. @throws ApiError as actingTenant / tenantOrAgent */
function watched(req: FastifyRequest, chosen: string | undefined): { tenantId: string; agentExtensionId: string | null } {
  if (principalOf(req).user?.role !== 'agent') return { ...actingTenant(req, 'read', chosen), agentExtensionId: null };
  const scope = tenantOrAgent(req, 'read');
  if (chosen && chosen.toLowerCase() !== scope.tenantId) throw notFound('customer');
  return scope;
}

export const liveRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, calls, forwarding, metrics }) => {
  const hub = new LiveHub({ store, calls });
  app.addHook('preClose', () => hub.close());

  app.get('/live', {
    schema: {
      tags: ['live'], security: bearer, querystring: LiveQuery, produces: ['text/event-stream'],
      summary: 'Server-Sent Events: snapshots of the customer\'s calls, registrations and gateways, at connect and on every change',
      response: { 200: { description: 'event: calls | registrations | gateways, each with a JSON snapshot', content: { 'text/event-stream': { schema: Type.String() } } }, ...errorResponses },
    },
  }, async (req, reply) => {
    rejectUnknown(req.query, LiveQuery);
    const { tenantId, agentExtensionId } = watched(req, req.query.tenantId);
    await store.withTenant(tenantId, (trx) => requireCustomer(trx, tenantId));
    const own = agentExtensionId ? await agentExtension(store, tenantId, agentExtensionId) : null;
    const mine = (c: Call) => !own || !calls || isOwnCall(c, calls.legNames(c), own);

    const snapshot = async (kind: LiveKind): Promise<object> => {
      if (kind === 'calls') {
        const local = (calls?.active(tenantId) ?? []).filter(mine).map(callJson);
        return { calls: mergeCalls(local, (await forwarding?.activeCalls(req, tenantId)) ?? []) };
      }
      if (kind === 'registrations') {
        const rows = await registrationStates(store, tenantId, agentExtensionId);
        return { registrations: rows.map((r) => ({ ...r, expiresAt: iso(r.expiresAt), lastRegistrationAt: iso(r.lastRegistrationAt) })) };
      }
      const rows = own ? [] : await gatewayStates(store, tenantId);
      return { gateways: rows.map((g) => ({ ...g, lastRegisteredAt: iso(g.lastRegisteredAt) })) };
    };

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 3000\n\n');
    metrics.liveStreams.inc();

    // Snapshots go out one at a time, each kind at most once per round, newest state each time.
    const due = new Set<LiveKind>(LIVE_KINDS);
    let sending = false;
    let open = true;
    const send = async () => {
      if (sending) return;
      sending = true;
      while (open && due.size > 0) {
        const kind = [...due][0]!;
        due.delete(kind);
        try {
          const data = await snapshot(kind);
          if (open) res.write(`event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`);
        } catch (err) {
          req.log.warn({ err, kind, tenantId }, 'live snapshot not sent; the next change sends it again');
        }
      }
      sending = false;
    };
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    let unsubscribe: () => void = () => undefined;
    const end = () => {
      if (!open) return;
      open = false;
      clearInterval(keepAlive);
      unsubscribe();
      metrics.liveStreams.dec();
      res.end();
    };
    res.on('close', end);
    unsubscribe = await hub.subscribe(tenantId, {
      changed: (kinds) => {
        for (const k of kinds) due.add(k);
        void send();
      },
      closed: end,
    });
    if (!open) unsubscribe();
    void send();
  });
};
