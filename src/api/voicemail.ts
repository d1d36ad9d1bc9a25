/**
 * An extension's voicemail (W3 Suite and VoIP extensions guides), read from mod_voicemail on the
 * FreeSWITCH nodes over the event socket (src/esl/voicemail.ts):
 * - `GET /api/v1/extensions/{id}/voicemail`: `{ data: [VoicemailMessage] }`, newest first;
 * - `GET /api/v1/extensions/{id}/voicemail/{messageId}`: `{ data: VoicemailMessage }`;
 * - `PATCH /api/v1/extensions/{id}/voicemail/{messageId}` `{ read }`: marks it read (or new
 *   again); the phone's message-waiting light follows (mod_voicemail's MWI NOTIFY);
 * - `DELETE /api/v1/extensions/{id}/voicemail/{messageId}`: 204, the message and its recording
 *   are removed from the node;
 * and the same under `/api/v1/customers/{customerId}/extensions/...` for admin keys (or X-Tenant-ID).
 * Another tenant's extension, or a message its mailbox does not hold, answers 404; an agent
 * reaches its own extension's mailbox only. Without a connected FreeSWITCH node (or without
 * ESL_NODES) the routes answer 503 `esl_unavailable`.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { mailboxOf } from '../domain/mailboxes.js';
import { VoicemailBoxes, VoicemailUnavailableError, type VoicemailMessage } from '../esl/voicemail.js';
import { requireOwnExtension } from './agent-access.js';
import { tenantOrAgent } from './auth.js';
import type { ApiDeps } from './deps.js';
import { ApiError, notFound } from './errors.js';
import { rejectUnknownFields } from './unknown-fields.js';
import { bearer, Data, ErrorResponse, errorResponses, Nullable, PATH_FORMS, Uuid } from './schemas.js';

const DateTime = Type.String({ format: 'date-time' });

const VoicemailMessageSchema = Type.Object(
  {
    id: Type.String({ description: 'mod_voicemail\'s message UUID' }),
    node: Type.String({ description: 'the FreeSWITCH node (ESL_NODES name) holding the message' }),
    callerName: Type.String(),
    callerNumber: Type.String(),
    receivedAt: DateTime,
    readAt: Nullable(DateTime),
    read: Type.Boolean({ description: 'heard on the phone or marked read; new messages light the phone\'s message-waiting indicator' }),
    durationSeconds: Type.Integer({ description: 'length of the recording, seconds' }),
    urgent: Type.Boolean({ description: 'the caller marked it urgent' }),
  },
  { $id: 'VoicemailMessage', title: 'VoicemailMessage' },
);

const MarkRead = Type.Object({ read: Type.Boolean({ description: 'true: read; false: new again' }) }, { additionalProperties: false });

function messageJson(m: VoicemailMessage) {
  return { ...m, receivedAt: m.receivedAt.toISOString(), readAt: m.readAt?.toISOString() ?? null, read: m.readAt !== null };
}

export const voicemailRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, esl }) => {
  app.addSchema(VoicemailMessageSchema);
  const tags = ['voicemail'];
  const answers = { ...errorResponses, 503: Type.Ref(ErrorResponse) };
  const boxes = esl ? new VoicemailBoxes(esl) : undefined;

  /** The mailbox of the path's extension and the boxes to ask. @throws ApiError 404, 403 (agent), 503 */
  const mailbox = async (req: FastifyRequest, extensionId: string, access: 'read' | 'write') => {
    const { tenantId, agentExtensionId } = tenantOrAgent(req, access);
    if (agentExtensionId) requireOwnExtension(agentExtensionId, extensionId);
    const box = await mailboxOf(store, tenantId, extensionId);
    if (!boxes) throw new ApiError(503, 'esl_unavailable', 'voicemail needs a FreeSWITCH event socket (ESL_NODES is not set)');
    return { box, boxes };
  };
  const unavailable = <T>(fn: () => Promise<T>): Promise<T> =>
    fn().catch((err: unknown) => {
      throw err instanceof VoicemailUnavailableError ? new ApiError(503, 'esl_unavailable', err.message) : err;
    });

  for (const form of PATH_FORMS) {
    const base = `${form.prefix}/extensions/:id/voicemail`;
    const ListParams = form.item;
    const ItemParams = Type.Intersect([form.item, Type.Object({ messageId: Uuid })]);

    app.get(base, {
      schema: { tags, security: bearer, summary: 'List the voicemail messages of an extension, newest first', params: ListParams, response: { 200: Data(Type.Array(Type.Ref(VoicemailMessageSchema))), ...answers } },
    }, async (req) => {
      const { box, boxes } = await mailbox(req, req.params.id, 'read');
      return { data: (await unavailable(() => boxes.list(box))).map(messageJson) };
    });

    app.get(`${base}/:messageId`, {
      schema: { tags, security: bearer, summary: 'Get one voicemail message', params: ItemParams, response: { 200: Data(Type.Ref(VoicemailMessageSchema)), ...answers } },
    }, async (req) => {
      const { box, boxes } = await mailbox(req, req.params.id, 'read');
      const message = await unavailable(() => boxes.get(box, req.params.messageId));
      if (!message) throw notFound('voicemail message');
      return { data: messageJson(message) };
    });

    app.patch(`${base}/:messageId`, {
      preValidation: rejectUnknownFields(MarkRead),
      schema: { tags, security: bearer, summary: 'Mark a voicemail message read, or new again', params: ItemParams, body: MarkRead, response: { 200: Data(Type.Ref(VoicemailMessageSchema)), ...answers } },
    }, async (req) => {
      const { box, boxes } = await mailbox(req, req.params.id, 'write');
      const message = await unavailable(() => boxes.markRead(box, req.params.messageId, req.body.read));
      if (!message) throw notFound('voicemail message');
      return { data: messageJson(message) };
    });

    app.delete(`${base}/:messageId`, {
      schema: { tags, security: bearer, summary: 'Delete a voicemail message and its recording', params: ItemParams, response: { 204: Type.Null(), ...answers } },
    }, async (req, reply) => {
      const { box, boxes } = await mailbox(req, req.params.id, 'write');
      if (!(await unavailable(() => boxes.remove(box, req.params.messageId)))) throw notFound('voicemail message');
      return reply.code(204).send(null);
    });
  }
};
