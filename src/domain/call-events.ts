/**
 * The call events of event webhooks (src/domain/event-webhooks.ts) that come with a stored CDR:
 * `call.ended` is emitted in the transaction that inserts a leg's CDR, once per leg (a second
 * report of the same leg, ESL and mod_json_cdr, merges and emits nothing), with the CDR as that
 * first report wrote it, in the API's shape (`GET /api/v1/cdrs/{id}`, without the raw variables);
 * a field only the second report has (e.g. `calledName`) is then in the API, not in the event:
 *
 *     { "callId": "<Unique-ID>", "cdr": { "id", "callId", "direction", "callerNumber", "calledNumber",
 *       "startTime", "answerTime", "endTime", "durationSeconds", "billableSeconds", "hangupCause",
 *       "disposition", "trunkId", "extensionId", "recordingUrl", "aiSessionId", ... } }
 */
import type { Kysely } from 'kysely';
import type { Cdr, Database } from '../db/schema.js';
import { writeCdrRows, type CdrRecord, type WrittenRow } from './cdrs.js';
import { emitEvent } from './event-webhooks.js';

/** The columns `cdrView` shows (no raw variables). */
const VIEW_COLUMNS = [
  'id', 'unique_id', 'other_leg_unique_id', 'direction', 'call_type', 'caller_number', 'caller_name', 'called_number', 'called_name',
  'start_at', 'answer_at', 'end_at', 'duration_seconds', 'billsec', 'hangup_cause', 'sip_status', 'disposition', 'trunk_id',
  'extension_id', 'recording_url', 'ai_session_id',
] as const;

/** A CDR as the API and webhooks show it: camelCase, ISO 8601 times, seconds. */
export function cdrView(c: Pick<Cdr, (typeof VIEW_COLUMNS)[number]>) {
  return {
    id: c.id,
    callId: c.unique_id,
    otherLegCallId: c.other_leg_unique_id,
    direction: c.direction,
    callType: c.call_type,
    callerNumber: c.caller_number,
    callerName: c.caller_name,
    calledNumber: c.called_number,
    calledName: c.called_name,
    startTime: c.start_at.toISOString(),
    answerTime: c.answer_at?.toISOString() ?? null,
    endTime: c.end_at?.toISOString() ?? null,
    durationSeconds: c.duration_seconds,
    billableSeconds: c.billsec,
    hangupCause: c.hangup_cause,
    sipStatus: c.sip_status,
    disposition: c.disposition,
    trunkId: c.trunk_id,
    extensionId: c.extension_id,
    recordingUrl: c.recording_url,
    aiSessionId: c.ai_session_id,
  };
}

/**
 * `writeCdrRows`, then `call.ended` for each leg inserted, in the same transaction (`trx`, the
 * ingest role's).
 * @throws as writeCdrRows, or the database's error emitting
 */
export async function writeCdrRowsAndEmit(trx: Kysely<Database>, records: CdrRecord[]): Promise<WrittenRow[]> {
  const rows = await writeCdrRows(trx, records);
  const inserted = rows.filter((r) => r.result === 'inserted').map((r) => r.uniqueId);
  if (inserted.length === 0) return rows;
  const cdrs = await trx.selectFrom('cdrs').select(['tenant_id', ...VIEW_COLUMNS]).where('unique_id', 'in', inserted).execute();
  for (const cdr of cdrs) {
    await emitEvent(trx, { tenantId: cdr.tenant_id, type: 'call.ended', data: { callId: cdr.unique_id, cdr: cdrView(cdr) } });
  }
  return rows;
}
