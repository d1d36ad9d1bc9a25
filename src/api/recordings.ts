/**
 * Call recordings of a customer, read-only (FreeSWITCH's media fork streams each recorded call to
 * Switchplane, which stores it: src/media/recording-capture.ts):
 * - `GET /api/v1/recordings`: `{ data: [Recording], pagination }`, newest first; `callId` filters
 *   by the recorded leg's Unique-ID;
 * - `GET /api/v1/recordings/{id}`: `{ data: Recording }`;
 * - `GET /api/v1/recordings/{id}/audio`: the WAV file (`audio/wav`, 16-bit PCM, stereo 8 kHz:
 *   left = the recorded leg's party, right = what it heard), the URL a CDR's `recordingUrl` holds;
 *   404 when the recording kept no audio (status `failed`);
 * and the same under `/api/v1/customers/{customerId}/recordings` for admin keys (or X-Tenant-ID).
 * Everything runs in `withTenant`: another customer's recording answers 404. An agent sees only the
 * recordings of its own extension; another answers 404.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getRecording, getRecordingAudio, listRecordings, recordingAudioPath, type RecordingInfo } from '../domain/recordings.js';
import { tenantOrAgent } from './auth.js';
import type { ApiDeps } from './deps.js';
import { PageFields, PageResponse, rejectUnknown } from './listing.js';
import { bearer, CustomerItemParams, Data, errorResponses, IdParams, Nullable, PATH_FORMS, StringEnum, Uuid } from './schemas.js';

const RecordingSchema = Type.Object(
  {
    id: Uuid,
    callId: Type.String({ description: 'FreeSWITCH Unique-ID of the recorded leg (its CDR\'s callId)' }),
    cdrId: Nullable(Uuid),
    extensionId: Nullable(Uuid),
    status: StringEnum(['complete', 'partial', 'failed'] as const, {
      description: 'complete: the whole answered call; partial: the audio up to an early end of the recording (failureReason says why); failed: no audio kept',
    }),
    failureReason: Nullable(Type.String()),
    startTs: Type.String({ format: 'date-time' }),
    endTs: Type.String({ format: 'date-time' }),
    durationSeconds: Type.Number({ description: 'seconds of audio, to the millisecond' }),
    bytes: Type.Integer({ description: 'size of the WAV file' }),
    sampleRate: Type.Integer({ description: 'Hz' }),
    channels: Type.Integer({ description: '2: left = the recorded leg\'s party, right = what it heard' }),
    recordingUrl: Nullable(Type.String({ description: 'the API path of the WAV file; null when no audio was kept' })),
  },
  { $id: 'Recording', title: 'Recording' },
);

const ListQuery = Type.Object({ callId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), ...PageFields });

function recordingJson(r: RecordingInfo) {
  return {
    id: r.id,
    callId: r.call_uuid,
    cdrId: r.cdr_id,
    extensionId: r.extension_id,
    status: r.status,
    failureReason: r.failure_reason,
    startTs: r.started_at.toISOString(),
    endTs: r.ended_at.toISOString(),
    durationSeconds: Number(r.duration_ms) / 1000,
    bytes: Number(r.bytes),
    sampleRate: r.sample_rate,
    channels: r.channels,
    recordingUrl: Number(r.bytes) > 0 ? recordingAudioPath(r.tenant_id, r.id) : null,
  };
}

export const recordingRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store }) => {
  app.addSchema(RecordingSchema);
  const tags = ['Recordings'];

  for (const form of PATH_FORMS) {
    const collection = `${form.prefix}/recordings`;
    const params = form.collection ? CustomerItemParams : IdParams;
    app.get(collection, {
      schema: {
        tags, security: bearer, summary: 'List call recordings, newest first',
        ...(form.collection ? { params: form.collection } : {}), querystring: ListQuery,
        response: { 200: PageResponse(Type.Ref(RecordingSchema), 'recordings'), ...errorResponses },
      },
    }, async (req) => {
      rejectUnknown(req.query, ListQuery);
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      const { page, limit, callId } = req.query;
      const { rows, total } = await listRecordings(store, tenantId, { ownExtensionId: agentExtensionId, callUuid: callId, limit, offset: (page - 1) * limit });
      return { data: rows.map(recordingJson), pagination: { page, limit, total, pages: Math.ceil(total / limit) } };
    });
    app.get(`${collection}/:id`, {
      schema: { tags, security: bearer, summary: 'Get a call recording', params, response: { 200: Data(Type.Ref(RecordingSchema)), ...errorResponses } },
    }, async (req) => {
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      return { data: recordingJson(await getRecording(store, tenantId, req.params.id, agentExtensionId)) };
    });
    app.get(`${collection}/:id/audio`, {
      schema: {
        tags, security: bearer, summary: 'Download a call recording as a WAV file (audio/wav)', params,
        produces: ['audio/wav'],
        response: { 200: { description: 'the WAV file', content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } }, ...errorResponses },
      },
    }, async (req, reply) => {
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      const wav = await getRecordingAudio(store, tenantId, req.params.id, agentExtensionId);
      return reply
        .header('content-type', 'audio/wav')
        .header('content-disposition', `attachment; filename="recording-${req.params.id}.wav"`)
        .send(wav);
    });
  }
};
