/**
 * The `ai_sessions` row of one call (the W3 Suite AI session: call id, OpenAI session id, agent
 * profile, caller, DID, start and end, transcript, actions taken, transfer, sentiment), written
 * as the call's tenant (`withTenant`, row-level security) when the session starts and again when
 * it ends, and linked to the call's CDR: the CDR writer links a session that exists when the CDR
 * is written (src/domain/cdrs.ts); a CDR written first is linked here. The write that ends the
 * session emits the `ai_session.completed` event webhook (src/domain/event-webhooks.ts) with it.
 *
 * A write that fails is retried with backoff (p-retry, 100 ms doubling to 5 s, 8 retries); the last
 * failure is thrown to the caller, which logs the whole record.
 */
import pRetry from 'p-retry';
import type { Store } from '../db/store.js';
import { emitEvent } from './event-webhooks.js';

/** One line of the conversation; `at` is ISO 8601 UTC. */
export interface TranscriptEntry {
  role: 'caller' | 'agent';
  text: string;
  at: string;
  /** The Realtime conversation item. */
  itemId: string;
  /** The caller cut the agent off; `heardMs` of its audio were played (the item is truncated there). */
  interrupted?: boolean;
  heardMs?: number;
}

/** One action the agent ran (W3 Suite `actionsTaken`); `timestamp` is ISO 8601 UTC. */
export interface ActionEntry {
  action: 'create_ticket' | 'transfer_to_human' | 'end_call' | 'failover';
  timestamp: string;
  params: Record<string, unknown>;
  result: Record<string, unknown>;
}

export interface SessionRecord {
  tenantId: string;
  callId: string;
  openaiSessionId: string | null;
  agentProfile: string;
  callerNumber: string | null;
  did: string;
  startedAt: Date;
  endedAt: Date | null;
  transcript: TranscriptEntry[];
  actions: ActionEntry[];
  transferTarget: string | null;
  transferReason: string | null;
  failureReason: string | null;
  sentiment: 'positive' | 'neutral' | 'negative' | null;
  satisfactionScore: number | null;
}

/** The `ai_session.completed` event webhook's data: the session as GET /api/v1/ai-sessions/{id} names its fields. */
function completedEvent(sessionId: string, rec: SessionRecord, durationSeconds: number | null): Record<string, unknown> {
  const { tenantId: _, openaiSessionId: __, actions, ...fields } = rec;
  return { sessionId, ...fields, durationSeconds, actionsTaken: actions };
}

/**
 * Inserts or updates the session of `rec.callId` and links the call's CDR to it; with
 * `insertOnly` (the start of a call: the claim) an existing row is left as it is, and nothing is
 * retried. Resolves whether the row was written (false: another Switchplane instance on the
 * same event socket claimed the call first).
 * @throws the database's error (once the retries are spent)
 */
export async function saveSession(store: Store, rec: SessionRecord, opts: { insertOnly?: boolean } = {}): Promise<boolean> {
  const values = {
    tenant_id: rec.tenantId,
    call_id: rec.callId,
    openai_session_id: rec.openaiSessionId,
    agent_profile: rec.agentProfile,
    caller_number: rec.callerNumber,
    did: rec.did,
    started_at: rec.startedAt,
    ended_at: rec.endedAt,
    duration_seconds: rec.endedAt ? Math.max(0, Math.round((rec.endedAt.getTime() - rec.startedAt.getTime()) / 1000)) : null,
    transcript: JSON.stringify(rec.transcript),
    actions_taken: JSON.stringify(rec.actions),
    transfer_target: rec.transferTarget,
    transfer_reason: rec.transferReason,
    failure_reason: rec.failureReason,
    sentiment: rec.sentiment,
    satisfaction_score: rec.satisfactionScore,
  };
  const attempt = () =>
    store.withTenant(rec.tenantId, async (trx) => {
      const { call_id: _, tenant_id: __, ...changes } = values;
      const row = await trx
        .insertInto('ai_sessions')
        .values(values as never)
        .onConflict((oc) => (opts.insertOnly ? oc.column('call_id').doNothing() : oc.column('call_id').doUpdateSet(changes as never)))
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      await trx
        .updateTable('cdrs')
        .set({ ai_session_id: row.id })
        .where('tenant_id', '=', rec.tenantId)
        .where('unique_id', '=', rec.callId)
        .where('ai_session_id', 'is', null)
        .execute();
      if (rec.endedAt && !opts.insertOnly) await emitEvent(trx, { tenantId: rec.tenantId, type: 'ai_session.completed', data: completedEvent(row.id, rec, values.duration_seconds) });
      return true;
    });
  return pRetry(attempt, { retries: opts.insertOnly ? 0 : 8, minTimeout: 100, maxTimeout: 5000 });
}
