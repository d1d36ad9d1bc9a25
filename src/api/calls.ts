/**
 * A customer's calls, controlled over the FreeSWITCH event socket (src/esl/call-control.ts):
 * - `POST /api/v1/calls` `{ extension | extensionId, destination }`: click-to-call (the
 *   Welcomedly guide's `call/originate`, the VoIP extensions guide's call from an extension):
 *   the extension's phone rings, and once answered the call goes to `destination` through the
 *   customer's dialplan. 202 `{ data: Call }` at once, state `originating`;
 * - `GET /api/v1/calls/active`: `{ data: [Call] }`, the customer's live calls, oldest first;
 * - `GET /api/v1/calls/{id}`: `{ data: Call }` (a placed call is kept a while after it ended);
 * - `POST /api/v1/calls/{id}/hangup`: 202 `{ data: Call }`, FreeSWITCH hangs it up;
 * - `POST /api/v1/calls/{id}/transfer` `{ extension }`: 202 `{ data: Call }`, a blind transfer to
 *   one of the customer's active extensions;
 * and the same under `/api/v1/customers/{customerId}/calls` for admin keys (or X-Tenant-ID).
 *
 * `destination` is an extension number of the customer, or a number as the dialplan reads one
 * (src/domain/numbers.ts toE164: E.164 `+...`, a national number of the customer's country,
 * `00...`, or 8 to 15 digits), sent into the dialplan as E.164; spaces, dots, dashes and
 * parentheses are dropped. Anything the dialplan would reject as UNALLOCATED_NUMBER
 * is a 400 here, before a phone rings. Another customer's call answers 404 on every route; a
 * call that ended or a FreeSWITCH refusal (no such channel) is 409; without a connected
 * FreeSWITCH node (or without ESL_NODES at all) the routes answer 503 `esl_unavailable`.
 * Originate, hangup and transfer write an audit row (resource type `call`).
 *
 * Several instances (src/api/call-forwarding.ts): a call lives on the instance owning its node,
 * so a call this instance does not know is asked of the other live instances (the first answer
 * that is not 404 is answered); the live-calls list is this instance's and every other's; a
 * click-to-call goes to the node src/domain/call-placement.ts ranks first (most free sessions of
 * a fresh HEARTBEAT), through its owner when that is another instance. An instance that does not
 * answer makes it a 503 `esl_unavailable` naming its nodes. A forwarded request is answered from
 * this instance's state only.
 * An agent (src/api/agent-access.ts) places calls from its own extension only (the default when
 * it names none; another is a 403), and sees, hangs up and transfers only its own calls: any
 * other call answers 404.
 *
 * No transaction is open while FreeSWITCH is asked: the checks run in one tenant transaction,
 * which ends before the command goes out (a pool connection is not held for the ESL round trip),
 * and the audit row is written afterwards in a short transaction of its own. Once FreeSWITCH has
 * accepted the command the call exists (the phone rings), so a failed audit write is logged with
 * the whole entry and the answer is still 202: a 500 would make a client retry and ring twice.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../db/store.js';
import { actorOf, type AuditEntry } from '../domain/audit.js';
import { clickToCallParties, recordCallCommand, transferParties } from '../domain/calls.js';
import { requireCustomer } from '../domain/customer-exists.js';
import type { CallControl } from '../esl/call-control.js';
import { CALL_STATES, CallError, type Call } from '../esl/calls.js';
import { agentExtension, isOwnCall } from './agent-access.js';
import { isForwarded, mergeCalls, nodeAsked, type CallForwarding, type PeerAnswer } from './call-forwarding.js';
import { tenantOrAgent } from './auth.js';
import { ApiError, apiError, invalid, notFound } from './errors.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, ErrorResponse, errorResponses, Nullable, PATH_FORMS, StringEnum, Uuid } from './schemas.js';

const DateTime = Type.String({ format: 'date-time' });

const CallSchema = Type.Object(
  {
    callId: Type.String({ format: 'uuid', description: 'the A leg\'s FreeSWITCH Unique-ID' }),
    state: StringEnum(CALL_STATES, { description: 'originating → ringing → answered → bridged → ended | failed' }),
    direction: StringEnum(['inbound', 'outbound'] as const, { description: 'Call-Direction of the A leg' }),
    extension: Nullable(Type.String({ description: 'a click-to-call\'s extension, whose phone rang first' })),
    callerNumber: Nullable(Type.String()),
    destination: Nullable(Type.String()),
    node: Type.String({ description: 'the FreeSWITCH node (ESL_NODES name) holding the call' }),
    channel: Nullable(Type.String({ description: 'Channel-Name of the A leg, e.g. sofia/internal/1001@acme.switchplane.test' })),
    trunkId: Nullable(Type.String({ format: 'uuid' })),
    otherLeg: Nullable(Type.String({ description: 'Unique-ID of the bridged leg' })),
    hangupCause: Nullable(Type.String({ description: 'FreeSWITCH hangup cause, e.g. NORMAL_CLEARING, USER_NOT_REGISTERED' })),
    createdAt: DateTime,
    answeredAt: Nullable(DateTime),
    endedAt: Nullable(DateTime),
    stale: Type.Boolean({ description: 'the node\'s event socket is down; the state is as last seen' }),
  },
  { $id: 'Call', title: 'Call' },
);

const Extension = Type.String({ pattern: '^[0-9]{2,10}$', description: 'an extension number of the customer, e.g. 1001' });
const Originate = Type.Object(
  {
    extension: Type.Optional(Extension),
    extensionId: Type.Optional(Uuid),
    destination: Type.String({ minLength: 2, maxLength: 32, description: 'E.164 (+390212345678), a national number of the customer\'s country (0212345678 in IT), 00..., 8 to 15 digits, or an extension number' }),
  },
  { additionalProperties: false },
);
const Transfer = Type.Object({ extension: Extension }, { additionalProperties: false });

export function callJson(c: Call) {
  return { ...c, createdAt: c.createdAt.toISOString(), answeredAt: c.answeredAt?.toISOString() ?? null, endedAt: c.endedAt?.toISOString() ?? null };
}

function apiErrorOf(err: CallError, extensionField: string): ApiError {
  switch (err.code) {
    case 'esl_unavailable':
      return new ApiError(503, 'esl_unavailable', err.message);
    case 'not_found':
      return notFound('call');
    case 'conflict':
      return new ApiError(409, 'conflict', err.message);
    case 'invalid_extension':
      return invalid(extensionField, `${extensionField}: ${err.message}`);
  }
}

/** Runs a CallControl method, turning its CallError into the API's error. */
async function asApiErrors<T>(fn: () => Promise<T>, extensionField = 'extension'): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof CallError ? apiErrorOf(err, extensionField) : err;
  }
}

/**
 * Writes the audit row of a command FreeSWITCH already accepted, in a transaction of its own.
 * A failure is logged (with the entry, so it can be recovered) and not thrown: the call exists.
 */
async function auditCall(req: FastifyRequest, store: Store, principal: Parameters<typeof actorOf>[0], entry: AuditEntry & { tenantId: string }): Promise<void> {
  try {
    await recordCallCommand(store, principal, entry);
  } catch (err) {
    req.log.error({ err, audit: { ...entry, actor: actorOf(principal) } }, `audit row of call ${entry.action} ${entry.resourceId} not written; FreeSWITCH accepted the command`);
  }
}

export const callRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, calls, esl, forwarding }) => {
  app.addSchema(CallSchema);
  const tags = ['calls'];
  const answers = { ...errorResponses, 503: Type.Ref(ErrorResponse) };
  const accepted = { 202: Data(Type.Ref(CallSchema)), ...answers };
  const callControl = (): CallControl => {
    if (!calls) throw new ApiError(503, 'esl_unavailable', 'call control needs a FreeSWITCH event socket (ESL_NODES is not set)');
    return calls;
  };
  /** Who acts and on what: the tenant, and for an agent the test of its own calls. */
  const acting = async (req: FastifyRequest, access: 'read' | 'write') => {
    const { principal, tenantId, agentExtensionId } = tenantOrAgent(req, access);
    const cc = callControl();
    if (!agentExtensionId) return { principal, tenantId, cc, agentExtensionId, mine: () => true };
    const ext = await agentExtension(store, tenantId, agentExtensionId);
    return { principal, tenantId, cc, agentExtensionId, mine: (c: Call) => isOwnCall(c, cc.legNames(c), ext) };
  };
  /** The other instances to forward `req` to: none when it was forwarded here, or when running alone. */
  const fleet = (req: FastifyRequest): CallForwarding | undefined => (isForwarded(req) ? undefined : forwarding);
  const relay = (reply: FastifyReply, a: PeerAnswer) => reply.code(a.status).send(a.body as never);
  /**
   * Answers `req` from the instance that knows call `id` when this one does not, or knows it live
   * on a node whose event socket is not open here (handed over to another instance since); that
   * copy is answered here when no other instance knows the call.
   * @returns the reply sent, or undefined: answer here
   * @throws ApiError 404 when no instance knows it, 503 `esl_unavailable` when one did not answer
   */
  const fromOwner = async (req: FastifyRequest, reply: FastifyReply, cc: CallControl, tenantId: string, id: string) => {
    const peers = fleet(req);
    const here = cc.get(tenantId, id);
    if (!peers || (here && (here.endedAt || esl?.node(here.node)?.health().connected))) return undefined;
    const answer = here ? await peers.findCall(req).catch(() => undefined) : await peers.findCall(req);
    if (answer) return relay(reply, answer);
    if (here) return undefined;
    throw notFound('call');
  };
  /** The tenant's call `id` when the actor may see it. @throws ApiError 404 */
  const visibleCall = (cc: CallControl, tenantId: string, id: string, mine: (c: Call) => boolean): Call => {
    const call = cc.get(tenantId, id);
    if (!call || !mine(call)) throw notFound('call');
    return call;
  };

  for (const form of PATH_FORMS) {
    const collection = `${form.prefix}/calls`;
    const item = `${collection}/:id`;
    const p = form.collection ? { params: form.collection } : {};

    app.post(collection, {
      schema: { tags, security: bearer, summary: 'Click-to-call: ring an extension, then connect it to a destination', ...p, body: Originate, response: accepted },
    }, async (req, reply) => {
      const { principal, tenantId, agentExtensionId } = tenantOrAgent(req, 'write');
      const cc = callControl();
      const { extension } = req.body;
      const extensionId = req.body.extensionId ?? (agentExtensionId && extension === undefined ? agentExtensionId : undefined);
      if (extension === undefined && extensionId === undefined) throw invalid('extension', 'give the calling extension: extension (its number) or extensionId');
      if (extension !== undefined && extensionId !== undefined) throw invalid('extensionId', 'give extension or extensionId, not both');
      const field = extensionId !== undefined ? 'extensionId' : 'extension';
      const dialled = req.body.destination.replace(/[\s().-]/g, '');
      if (!/^\+?[0-9]{2,15}$/.test(dialled)) throw invalid('destination', 'destination must be a phone number or an extension number: digits, with an optional leading +');
      const { tenant, from, destination } = await clickToCallParties(store, tenantId, { by: field === 'extensionId' ? 'id' : 'extension', value: (extensionId ?? extension)!, field }, dialled);
      if (agentExtensionId && (await agentExtension(store, tenantId, agentExtensionId)).extension !== from.extension) throw apiError('forbidden', 'an agent calls from its own extension only', field);
      const peers = fleet(req);
      const placement = peers ? await peers.place(esl?.health().some((n) => n.connected) ?? false) : { local: true as const, node: nodeAsked(req) };
      if (!placement.local) return relay(reply, await peers!.send(req, placement.peer, placement.node));
      const call = await asApiErrors(() => cc.originate(tenant, from, destination, randomUUID(), placement.node), field);
      await auditCall(req, store, principal, { tenantId, action: 'originate', resourceType: 'call', resourceId: call.callId, after: callJson(call) });
      return reply.code(202).send({ data: callJson(call) });
    });

    app.get(`${collection}/active`, {
      schema: { tags, security: bearer, summary: 'List live calls', ...p, response: { 200: Data(Type.Array(Type.Ref(CallSchema))), ...answers } },
    }, async (req) => {
      const { tenantId, cc, mine } = await acting(req, 'read');
      await store.withTenant(tenantId, (trx) => requireCustomer(trx, tenantId));
      const local = cc.active(tenantId).filter(mine).map(callJson);
      return { data: mergeCalls(local, (await fleet(req)?.collect(req)) ?? []) };
    });

    app.get(item, {
      schema: { tags, security: bearer, summary: 'Get a call and its state', params: form.item, response: { 200: Data(Type.Ref(CallSchema)), ...answers } },
    }, async (req, reply) => {
      const { tenantId, cc, mine } = await acting(req, 'read');
      return (await fromOwner(req, reply, cc, tenantId, req.params.id)) ?? { data: callJson(visibleCall(cc, tenantId, req.params.id, mine)) };
    });

    app.post(`${item}/hangup`, {
      schema: { tags, security: bearer, summary: 'Hang a call up', params: form.item, response: accepted },
    }, async (req, reply) => {
      const { principal, tenantId, cc, mine } = await acting(req, 'write');
      const forwarded = await fromOwner(req, reply, cc, tenantId, req.params.id);
      if (forwarded) return forwarded;
      visibleCall(cc, tenantId, req.params.id, mine);
      const call = await asApiErrors(() => cc.hangup(tenantId, req.params.id));
      await auditCall(req, store, principal, { tenantId, action: 'hangup', resourceType: 'call', resourceId: call.callId, after: callJson(call) });
      return reply.code(202).send({ data: callJson(call) });
    });

    app.post(`${item}/transfer`, {
      schema: { tags, security: bearer, summary: 'Blind-transfer a call to an extension', params: form.item, body: Transfer, response: accepted },
    }, async (req, reply) => {
      const { principal, tenantId, cc, mine } = await acting(req, 'write');
      const forwarded = await fromOwner(req, reply, cc, tenantId, req.params.id);
      if (forwarded) return forwarded;
      const before = visibleCall(cc, tenantId, req.params.id, mine);
      const { tenant, to } = await transferParties(store, tenantId, req.body.extension);
      const call = await asApiErrors(() => cc.transfer(tenant, before.callId, to));
      await auditCall(req, store, principal, { tenantId, action: 'transfer', resourceType: 'call', resourceId: call.callId, before: callJson(before), after: { ...callJson(call), transferredTo: to.extension } });
      return reply.code(202).send({ data: callJson(call) });
    });
  }
};
