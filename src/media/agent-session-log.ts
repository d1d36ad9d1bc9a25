/**
 * What is stored of one agent call (`ai_sessions`, src/domain/ai-session-writes.ts): the
 * transcript as the caller heard it, the actions the agent took, the transfer and the failure
 * reason. Timestamps are ISO 8601 UTC: a caller's line is dated when their speech started, an
 * agent's line when its first audio arrived. An agent line the caller cut off is marked
 * `interrupted` with the milliseconds of it that were played (`heardMs`).
 */
import type { Store } from '../db/store.js';
import { saveSession, type ActionEntry, type SessionRecord, type TranscriptEntry } from '../domain/ai-session-writes.js';
import type { FailoverReason } from './agent-call-end.js';
import type { CallAnalysis } from './call-analysis.js';
import type { ParkedCall } from './parked-call.js';

const now = () => new Date().toISOString();

export class SessionLog {
  readonly startedAt = new Date();
  /** The lines in the order they were transcribed (the record sorts them by time). */
  readonly transcript: TranscriptEntry[] = [];
  private readonly actions: ActionEntry[] = [];
  private readonly heard = new Map<string, number>();
  private readonly speechAt = new Map<string, string>();
  private readonly firstAudioAt = new Map<string, string>();
  private transfer: { target: string | null; reason: string | null } = { target: null, reason: null };
  private failureReason: FailoverReason | null = null;

  constructor(readonly call: ParkedCall) {}

  /** Audio of the agent's item `itemId` arrived. */
  agentAudio(itemId: string): void {
    if (!this.firstAudioAt.has(itemId)) this.firstAudioAt.set(itemId, now());
  }

  /** The caller started speaking in input item `itemId`. */
  callerSpeech(itemId: string): void {
    this.speechAt.set(itemId, now());
  }

  callerSaid(itemId: string, text: string): void {
    if (text.trim()) this.transcript.push({ role: 'caller', text: text.trim(), at: this.speechAt.get(itemId) ?? now(), itemId });
  }

  agentSaid(itemId: string, text: string): void {
    const heardMs = this.heard.get(itemId);
    this.transcript.push({ role: 'agent', text, at: this.firstAudioAt.get(itemId) ?? now(), itemId, ...(heardMs !== undefined ? { interrupted: true, heardMs } : {}) });
  }

  /** The caller cut the agent's item `itemId` off after `heardMs` of it were played. */
  cut(itemId: string, heardMs: number): void {
    this.heard.set(itemId, heardMs);
    for (const entry of this.transcript) if (entry.itemId === itemId) Object.assign(entry, { interrupted: true, heardMs });
  }

  action(entry: ActionEntry): void {
    this.actions.push(entry);
  }

  /** The agent moved the call to `target`. */
  transferred(target: string, reason: string): void {
    this.transfer = { target, reason };
  }

  /** The call went to the failover extension `target` (or was hung up: null). */
  failedOver(reason: FailoverReason, target: string | null): void {
    this.failureReason = reason;
    this.transfer = { target, reason: `failover: ${reason}` };
    this.action({ action: 'failover', timestamp: now(), params: { reason }, result: { extension: target } });
  }

  /** The row as it stands, not ended. */
  record(openaiSessionId: string | null): SessionRecord {
    return {
      tenantId: this.call.tenantId,
      callId: this.call.callId,
      openaiSessionId,
      agentProfile: this.call.profile,
      callerNumber: this.call.callerNumber,
      did: this.call.did,
      startedAt: this.startedAt,
      endedAt: null,
      transcript: [...this.transcript].sort((a, b) => a.at.localeCompare(b.at)),
      actions: this.actions,
      transferTarget: this.transfer.target,
      transferReason: this.transfer.reason,
      failureReason: this.failureReason,
      sentiment: null,
      satisfactionScore: null,
    };
  }
}

export interface StoreDeps {
  store: Store;
  /** The post-call analysis; null when skipped. */
  analyse(transcript: TranscriptEntry[]): Promise<CallAnalysis | null>;
  onError(err: unknown, context: Record<string, unknown>): void;
}

/** Writes the ended session with its analysis; never rejects (a failure is reported with the record). */
export async function storeSession(log: SessionLog, deps: StoreDeps, openaiSessionId: string | null): Promise<void> {
  const endedAt = new Date();
  const { callId } = log.call;
  let analysis: CallAnalysis | null = null;
  try {
    analysis = await deps.analyse(log.transcript);
  } catch (err) {
    deps.onError(err, { callId, part: 'call analysis' });
  }
  const rec = { ...log.record(openaiSessionId), endedAt, sentiment: analysis?.sentiment ?? null, satisfactionScore: analysis?.satisfactionScore ?? null };
  try {
    await saveSession(deps.store, rec);
  } catch (err) {
    deps.onError(err, { callId, part: 'ai session write', record: rec });
  }
}
