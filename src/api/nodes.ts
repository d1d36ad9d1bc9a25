/**
 * FreeSWITCH nodes (operator routes, admin key only): `POST/GET /api/v1/nodes`,
 * `GET/PATCH/DELETE /api/v1/nodes/{id}`. A node is the event socket Switchplane keeps (host,
 * port, password: sealed at rest and never answered) and the node's SIP addresses; the answer
 * adds which instance holds its event socket (src/esl/node-ownership.ts) and its last HEARTBEAT
 * figures (src/esl/heartbeats.ts): sessions, peak, maximum, free sessions, idle CPU, uptime,
 * and `healthy` (held, and heard from within a minute). A new node is taken by an instance within
 * one lease renewal (ESL_LEASE_MS / 3); a deleted or disabled one is let go the same way.
 * Unknown body fields answer 400 naming them (a misspelt `eslPassword` is not dropped silently).
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { createNode, deleteNode, freeSessions, getNode, isHealthy, listNodes, updateNode, type NodeView } from '../domain/freeswitch-nodes.js';
import { requireAdmin } from './auth.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, errorResponses, IdParams, Nullable } from './schemas.js';
import { rejectUnknownFields } from './unknown-fields.js';

const Node = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String({ description: 'the node\'s name in CDRs, calls and metrics' }),
    eslHost: Type.String(),
    eslPort: Type.Integer(),
    sipAddresses: Type.Array(Type.String()),
    enabled: Type.Boolean({ description: 'false: no instance keeps its event socket' }),
    owner: Nullable(Type.String({ description: 'the Switchplane instance holding its event socket' })),
    ownedUntil: Nullable(Type.String({ format: 'date-time', description: 'when the owner\'s lease runs out unless renewed' })),
    healthy: Type.Boolean({ description: 'held by an instance and heard from (HEARTBEAT) within a minute' }),
    sessionCount: Nullable(Type.Integer()),
    sessionPeakMax: Nullable(Type.Integer()),
    maxSessions: Nullable(Type.Integer()),
    freeSessions: Nullable(Type.Integer({ description: 'maxSessions − sessionCount' })),
    idleCpu: Nullable(Type.Number({ description: 'percent' })),
    uptimeSeconds: Nullable(Type.Integer()),
    heartbeatAt: Nullable(Type.String({ format: 'date-time', description: 'when its last HEARTBEAT was stored' })),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'FreeswitchNode', title: 'FreeswitchNode' },
);

const Writable = {
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$', description: 'letters, digits, _ . -; at most 63' }),
  eslHost: Type.String({ minLength: 1, maxLength: 253, pattern: '^[^\\s/@]+$', description: 'mod_event_socket listen-ip (address or DNS name)' }),
  eslPort: Type.Integer({ minimum: 1, maximum: 65535, description: 'mod_event_socket listen-port, usually 8021' }),
  eslPassword: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]+$', description: 'mod_event_socket password; stored sealed, never answered' }),
  sipAddresses: Type.Array(Type.String({ minLength: 1, maxLength: 260, pattern: '^[^\\s]+$' }), { maxItems: 32, description: 'the node\'s SIP addresses, host or host:port' }),
  enabled: Type.Boolean(),
};
const CreateNode = Type.Object(
  { ...Writable, sipAddresses: Type.Optional(Writable.sipAddresses), enabled: Type.Optional(Writable.enabled) },
  { additionalProperties: false },
);
const UpdateNode = Type.Partial(Type.Object(Writable), { additionalProperties: false, minProperties: 1 });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function nodeJson(n: NodeView, now: Date): Static<typeof Node> {
  return {
    id: n.id, name: n.name, eslHost: n.esl_host, eslPort: n.esl_port, sipAddresses: n.sip_addresses, enabled: n.enabled,
    owner: n.owner, ownedUntil: iso(n.ownedUntil), healthy: isHealthy(n, now),
    sessionCount: n.session_count, sessionPeakMax: n.session_peak_max, maxSessions: n.max_sessions, freeSessions: freeSessions(n),
    idleCpu: n.idle_cpu, uptimeSeconds: n.uptime_seconds === null ? null : Number(n.uptime_seconds), heartbeatAt: iso(n.heartbeat_at),
    createdAt: n.created_at.toISOString(), updatedAt: n.updated_at.toISOString(),
  };
}

export const nodeRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, secrets, clock }) => {
  app.addSchema(Node);
  const tags = ['nodes'];
  const one = { 200: Data(Type.Ref(Node)), ...errorResponses };

  app.post('/nodes', {
    schema: { tags, security: bearer, summary: 'Register a FreeSWITCH node (admin)', body: CreateNode, response: { 201: Data(Type.Ref(Node)), ...errorResponses } },
    preValidation: rejectUnknownFields(CreateNode),
  }, async (req, reply) => {
    requireAdmin(req);
    return reply.code(201).send({ data: nodeJson(await createNode(store, secrets, req.body), clock()) });
  });

  app.get('/nodes', {
    schema: { tags, security: bearer, summary: 'List FreeSWITCH nodes with their owner and capacity (admin)', response: { 200: Data(Type.Array(Type.Ref(Node))), ...errorResponses } },
  }, async (req) => {
    requireAdmin(req);
    const now = clock();
    return { data: (await listNodes(store)).map((n) => nodeJson(n, now)) };
  });

  app.get('/nodes/:id', {
    schema: { tags, security: bearer, summary: 'Get a FreeSWITCH node (admin)', params: IdParams, response: one },
  }, async (req) => {
    requireAdmin(req);
    return { data: nodeJson(await getNode(store, req.params.id), clock()) };
  });

  app.patch('/nodes/:id', {
    schema: { tags, security: bearer, summary: 'Change a FreeSWITCH node (admin; the fields sent)', params: IdParams, body: UpdateNode, response: one },
    preValidation: rejectUnknownFields(UpdateNode),
  }, async (req) => {
    requireAdmin(req);
    return { data: nodeJson(await updateNode(store, secrets, req.params.id, req.body), clock()) };
  });

  app.delete('/nodes/:id', {
    schema: { tags, security: bearer, summary: 'Remove a FreeSWITCH node (admin); its owner closes its event socket', params: IdParams, response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses } },
  }, async (req, reply) => {
    requireAdmin(req);
    await deleteNode(store, req.params.id);
    return reply.code(204).send(null);
  });
};
