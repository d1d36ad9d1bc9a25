/**
 * AI voice agent sessions of a customer, read-only (the agent stores them when a call starts and
 * when its session ends: src/domain/ai-session-writes.ts):
 * - `GET /api/v1/ai-sessions`: `{ data: [AiSession], pagination: { page, limit, total, pages } }`,
 *   newest first (start time descending, then id); an item carries the actions taken and the
 *   number of transcript turns (`transcriptTurns`), not the transcript itself;
 * - `GET /api/v1/ai-sessions/{id}`: `{ data: AiSessionDetail }` by session id or by call id
 *   (FreeSWITCH Unique-ID): the full transcript as stored (both sides, in order, with their
 *   timestamps), the actions taken, and `cdrId`, the call detail record linked to the session
 *   (`cdrs.ai_session_id`), null until the CDR is written;
 * and the same under `/api/v1/customers/{customerId}/ai-sessions` for admin keys (or X-Tenant-ID).
 * Names: the W3 Suite guide's AI session fields (callId, sessionId = the OpenAI session id,
 * aiAgentRef = the agent profile, callerNumber, didNumber, startTs, endTs, durationSeconds,
 * actionsTaken, transferredTo, transferReason, sentiment, satisfactionScore), plus failureReason.
 *
 * Filters: `from`, `to` (start time, as for CDRs: src/api/listing.ts) or their W3 Suite guide
 * names `startDate`, `endDate` (the same meaning; not both names of one end), `sentiment`, `number`
 * (part of the DID or of the caller number), `agentProfile` (the aiAgentRef); an unknown query
 * parameter is a 400. Everything runs in `withTenant`: another customer's session answers 404.
 * An agent sees only the sessions its own extension took part in (a leg of the call was its phone,
 * or the AI agent transferred to it); any other answers 404.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getAiSession, listAiSessions, SENTIMENTS, type AiSessionRow } from '../domain/ai-session-queries.js';
import { AI_AGENT_PROFILE } from '../domain/number-records.js';
import { tenantOrAgent } from './auth.js';
import type { ApiDeps } from './deps.js';
import { guideRangeFilters, NumberFilter, PageFields, PageResponse, rangeFilters, recordParams, rejectUnknown } from './listing.js';
import { bearer, Data, errorResponses, Nullable, PATH_FORMS, StringEnum, Uuid } from './schemas.js';

const Time = Type.String({ format: 'date-time' });
const Actions = Type.Array(Type.Unknown(), {
  description: 'the actions the agent ran, in order, as stored: e.g. { action: "create_ticket" | "transfer_to_human", timestamp, params, result }',
});
const AiSessionFields = {
  id: Uuid,
  callId: Type.String({ description: 'FreeSWITCH Unique-ID of the call' }),
  sessionId: Nullable(Type.String({ description: 'OpenAI Realtime session id' })),
  aiAgentRef: Nullable(Type.String({ description: 'the agent profile, e.g. customer-care-voice' })),
  callerNumber: Nullable(Type.String()),
  didNumber: Nullable(Type.String({ description: 'the number called' })),
  startTs: Time,
  endTs: Nullable(Time),
  durationSeconds: Nullable(Type.Integer({ description: 'seconds' })),
  actionsTaken: Actions,
  transferredTo: Nullable(Type.String({ description: 'where the agent transferred the call, e.g. an extension' })),
  transferReason: Nullable(Type.String()),
  failureReason: Nullable(Type.String()),
  sentiment: Nullable(StringEnum(SENTIMENTS)),
  satisfactionScore: Nullable(Type.Integer({ minimum: 1, maximum: 5 })),
};
const AiSessionSchema = Type.Object(
  { ...AiSessionFields, transcriptTurns: Type.Integer({ description: 'entries of the transcript' }) },
  { $id: 'AiSession', title: 'AiSession' },
);
const AiSessionDetailSchema = Type.Object(
  {
    ...AiSessionFields,
    transcript: Type.Array(Type.Unknown(), { description: 'the conversation as stored: both sides, in order, with their timestamps' }),
    cdrId: Nullable(Uuid),
  },
  { $id: 'AiSessionDetail', title: 'AiSessionDetail' },
);

const Filters = {
  ...rangeFilters('sessions'),
  ...guideRangeFilters('sessions'),
  sentiment: Type.Optional(StringEnum(SENTIMENTS)),
  number: Type.Optional(NumberFilter('the DID or the caller number')),
  agentProfile: Type.Optional(Type.String({ pattern: AI_AGENT_PROFILE.source, description: 'the agent profile (aiAgentRef), e.g. customer-care-voice' })),
};
const ListQuery = Type.Object({ ...Filters, ...PageFields });

function sessionJson(s: AiSessionRow) {
  return {
    id: s.id,
    callId: s.call_id,
    sessionId: s.openai_session_id,
    aiAgentRef: s.agent_profile,
    callerNumber: s.caller_number,
    didNumber: s.did,
    startTs: s.started_at.toISOString(),
    endTs: s.ended_at?.toISOString() ?? null,
    durationSeconds: s.duration_seconds,
    actionsTaken: s.actions_taken,
    transferredTo: s.transfer_target,
    transferReason: s.transfer_reason,
    failureReason: s.failure_reason,
    sentiment: s.sentiment,
    satisfactionScore: s.satisfaction_score,
  };
}

export const aiSessionRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store }) => {
  app.addSchema(AiSessionSchema);
  app.addSchema(AiSessionDetailSchema);
  const tags = ['AI sessions'];

  for (const form of PATH_FORMS) {
    const collection = `${form.prefix}/ai-sessions`;
    app.get(collection, {
      schema: {
        tags, security: bearer, summary: 'List AI voice agent sessions, newest first, without their transcripts',
        ...(form.collection ? { params: form.collection } : {}), querystring: ListQuery,
        response: { 200: PageResponse(Type.Ref(AiSessionSchema), 'sessions'), ...errorResponses },
      },
    }, async (req) => {
      rejectUnknown(req.query, ListQuery);
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      const { data, pagination } = await listAiSessions(store, tenantId, { ...req.query, ownExtensionId: agentExtensionId });
      return { data: data.map((s) => ({ ...sessionJson(s), transcriptTurns: s.transcript_turns })), pagination };
    });
    app.get(`${collection}/:id`, {
      schema: {
        tags, security: bearer, summary: 'Get an AI voice agent session by id or call id, with its transcript and linked CDR',
        params: recordParams(form), response: { 200: Data(Type.Ref(AiSessionDetailSchema)), ...errorResponses },
      },
    }, async (req) => {
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      const row = await getAiSession(store, tenantId, req.params.id, agentExtensionId);
      return { data: { ...sessionJson(row), transcript: row.transcript, cdrId: row.cdr_id } };
    });
  }
};
