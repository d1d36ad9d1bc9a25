/**
 * An extension's voicemail (W3 Suite and VoIP extensions guides), read from mod_voicemail on the
 * FreeSWITCH nodes over the event socket (src/esl/voicemail.ts), every enabled node whichever
 * instance holds its event socket (src/esl/node-access.ts):
 * - `GET /api/v1/extensions/{id}/voicemail`: `{ data: [VoicemailMessage] }`, newest first;
 * - `GET /api/v1/extensions/{id}/voicemail/{messageId}`: `{ data: VoicemailMessage }`;
 * - `PATCH /api/v1/extensions/{id}/voicemail/{messageId}` `{ read }`: marks it read (or new
 *   again); the phone's message-waiting light follows (mod_voicemail's MWI NOTIFY);
 * - `GET /api/v1/extensions/{id}/voicemail/{messageId}/audio`: the message's audio as a WAV file
 *   (`audio/wav`, 16-bit PCM, mono 8 kHz: what the caller said after the beep), from Switchplane's
 *   database, where the message's media fork stored it (src/media/voicemail-capture.ts), so any
 *   instance serves it whatever node holds the message; 404 when the mailbox holds no such message
 *   or its audio never arrived (the fork did not start or sent nothing: `audioUrl` is null);
 * - `DELETE /api/v1/extensions/{id}/voicemail/{messageId}`: 204, the message and its recording
 *   are removed from the node, and its audio from the database;
 * and the same under `/api/v1/customers/{customerId}/extensions/...` for admin keys (or X-Tenant-ID).
 * Another tenant's extension, or a message its mailbox does not hold, answers 404; an agent
 * reaches its own extension's mailbox only. Without a FreeSWITCH node that can be reached (or
 * without the event-socket stack) the routes answer 503 `esl_unavailable`.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { mailboxOf } from '../domain/mailboxes.js';
import { deleteVoicemailAudio, getVoicemailAudio, messagesWithAudio, voicemailAudioPath } from '../domain/voicemail-audio.js';
import { NodeAccess } from '../esl/node-access.js';
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
    audioUrl: Nullable(Type.String({ description: 'the API path of the message\'s WAV file; null when its audio never reached Switchplane' })),
  },
  { $id: 'VoicemailMessage', title: 'VoicemailMessage' },
);

const MarkRead = Type.Object({ read: Type.Boolean({ description: 'true: read; false: new again' }) }, { additionalProperties: false });

/** The tenant and extension whose mailbox a route names: the keys of its messages' stored audio. */
interface Place {
  tenantId: string;
  extensionId: string;
}

function messageJson(m: VoicemailMessage, place: Place, withAudio: ReadonlySet<string>) {
  return {
    ...m,
    receivedAt: m.receivedAt.toISOString(),
    readAt: m.readAt?.toISOString() ?? null,
    read: m.readAt !== null,
    audioUrl: withAudio.has(m.id) ? voicemailAudioPath(place.tenantId, place.extensionId, m.id) : null,
  };
}

export const voicemailRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, secrets, esl }) => {
  app.addSchema(VoicemailMessageSchema);
  const tags = ['voicemail'];
  const answers = { ...errorResponses, 503: Type.Ref(ErrorResponse) };
  const boxes = esl ? new VoicemailBoxes(new NodeAccess({ nodes: esl, records: { store, secrets } })) : undefined;

  /** The mailbox of the path's extension and the boxes to ask. @throws ApiError 404, 403 (agent), 503 */
  const mailbox = async (req: FastifyRequest, extensionId: string, access: 'read' | 'write') => {
    const { tenantId, agentExtensionId } = tenantOrAgent(req, access);
    if (agentExtensionId) requireOwnExtension(agentExtensionId, extensionId);
    const box = await mailboxOf(store, tenantId, extensionId);
    if (!boxes) throw new ApiError(503, 'esl_unavailable', 'voicemail needs a FreeSWITCH event socket (ESL_NODES is not set)');
    return { box, boxes, place: { tenantId, extensionId } };
  };
  /** The messages as the API gives them, each with its audio's URL when stored. */
  const json = async (place: Place, messages: VoicemailMessage[]) => {
    const withAudio = await messagesWithAudio(store, place.tenantId, place.extensionId, messages.map((m) => m.id));
    return messages.map((m) => messageJson(m, place, withAudio));
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
      const { box, boxes, place } = await mailbox(req, req.params.id, 'read');
      return { data: await json(place, await unavailable(() => boxes.list(box))) };
    });

    app.get(`${base}/:messageId`, {
      schema: { tags, security: bearer, summary: 'Get one voicemail message', params: ItemParams, response: { 200: Data(Type.Ref(VoicemailMessageSchema)), ...answers } },
    }, async (req) => {
      const { box, boxes, place } = await mailbox(req, req.params.id, 'read');
      const message = await unavailable(() => boxes.get(box, req.params.messageId));
      if (!message) throw notFound('voicemail message');
      return { data: (await json(place, [message]))[0]! };
    });

    app.get(`${base}/:messageId/audio`, {
      schema: {
        tags, security: bearer, summary: 'Download a voicemail message\'s audio as a WAV file (audio/wav)', params: ItemParams,
        produces: ['audio/wav'],
        response: { 200: { description: 'the WAV file: 16-bit PCM, mono 8 kHz', content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } }, ...answers },
      },
    }, async (req, reply) => {
      const { box, boxes, place } = await mailbox(req, req.params.id, 'read');
      if (!(await unavailable(() => boxes.get(box, req.params.messageId)))) throw notFound('voicemail message');
      const wav = await getVoicemailAudio(store, place.tenantId, place.extensionId, req.params.messageId);
      if (!wav) throw notFound('voicemail message audio');
      return reply
        .header('content-type', 'audio/wav')
        .header('content-disposition', `attachment; filename="voicemail-${req.params.messageId}.wav"`)
        .send(wav);
    });

    app.patch(`${base}/:messageId`, {
      preValidation: rejectUnknownFields(MarkRead),
      schema: { tags, security: bearer, summary: 'Mark a voicemail message read, or new again', params: ItemParams, body: MarkRead, response: { 200: Data(Type.Ref(VoicemailMessageSchema)), ...answers } },
    }, async (req) => {
      const { box, boxes, place } = await mailbox(req, req.params.id, 'write');
      const message = await unavailable(() => boxes.markRead(box, req.params.messageId, req.body.read));
      if (!message) throw notFound('voicemail message');
      return { data: (await json(place, [message]))[0]! };
    });

    app.delete(`${base}/:messageId`, {
      schema: { tags, security: bearer, summary: 'Delete a voicemail message, its recording and its stored audio', params: ItemParams, response: { 204: Type.Null(), ...answers } },
    }, async (req, reply) => {
      const { box, boxes, place } = await mailbox(req, req.params.id, 'write');
      const removed = await unavailable(() => boxes.remove(box, req.params.messageId));
      // Also when the message is gone already: a DELETE retried after a failed audio delete heals.
      await deleteVoicemailAudio(store, place.tenantId, place.extensionId, req.params.messageId);
      if (!removed) throw notFound('voicemail message');
      return reply.code(204).send(null);
    });
  }
};
