/**
 * The AI agent's calls in this process, and the ESL handler that starts and ends them:
 * - `CHANNEL_PARK` of a channel the dialplan parked for the agent (`switchplane_ai_profile`,
 *   `switchplane_tenant_id`, `switchplane_did`, `switchplane_caller`: src/xmlcurl/dialplan.ts)
 *   starts an AgentCall, once per Unique-ID (a channel parked again later is not restarted);
 * - `CHANNEL_HANGUP` (or, if that was missed, `CHANNEL_HANGUP_COMPLETE`) ends it;
 * - `mod_audio_stream::play` (body `{"file": ...}`) plays the file the module wrote, and
 *   `PLAYBACK_STOP` (switch_ivr_play_say.c, `Playback-File-Path`) says it was played;
 * - `mod_audio_stream::error` and `mod_audio_fork::connect_failed`: the fork failed, so the call
 *   fails over; `mod_audio_stream::disconnect` and `mod_audio_fork::disconnect`: the fork closed,
 *   which fails the call over unless it is hanging up (AgentCall.mediaLost).
 * The media server (src/media/media-server.ts) finds a call here by Unique-ID.
 */
import { LRUCache } from 'lru-cache';
import type { EslEvent } from '../esl/connection.js';
import type { EventHandler } from '../esl/controller.js';
import { eventKey, field, variable } from '../esl/events.js';
import { AgentCall, type AgentCallDeps } from './agent-call.js';
import { playedFile } from './fork-modules.js';

export const AGENT_EVENTS = [
  'CHANNEL_PARK', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE',
  'mod_audio_stream::play', 'mod_audio_stream::error', 'mod_audio_stream::disconnect',
  'mod_audio_fork::connect_failed', 'mod_audio_fork::disconnect', 'PLAYBACK_STOP',
] as const;

const FORK_FAILED = new Set(['mod_audio_stream::error', 'mod_audio_fork::connect_failed']);
const FORK_CLOSED = new Set(['mod_audio_stream::disconnect', 'mod_audio_fork::disconnect']);

export class AgentCalls implements EventHandler {
  readonly events: readonly string[] = AGENT_EVENTS;
  private readonly calls = new Map<string, AgentCall>();
  /** Calls that had a session, so that a later park of the same channel does not start another. */
  private readonly seen = new LRUCache<string, true>({ max: 100_000 });

  constructor(private readonly deps: AgentCallDeps) {}

  /** The live call with this Unique-ID. */
  get(callId: string): AgentCall | undefined {
    return this.calls.get(callId);
  }

  get size(): number {
    return this.calls.size;
  }

  handle(event: EslEvent, node: string): void {
    const key = eventKey(event);
    const uuid = field(event, 'Unique-ID');
    if (!uuid) return;
    if (key === 'CHANNEL_PARK') return this.park(event, uuid, node);
    const call = this.calls.get(uuid);
    if (!call) return;
    if (key === 'CHANNEL_HANGUP' || key === 'CHANNEL_HANGUP_COMPLETE') call.hungUp();
    else if (key === 'mod_audio_stream::play') {
      const file = playedFile(field(event, '_body'));
      if (file) call.playFile(file);
    } else if (key === 'PLAYBACK_STOP') call.playbackStopped(field(event, 'Playback-File-Path') ?? '');
    else if (FORK_FAILED.has(key)) call.forkFailed('media_fork_error');
    else if (FORK_CLOSED.has(key)) call.mediaLost();
  }

  private park(event: EslEvent, uuid: string, node: string): void {
    const profile = variable(event, 'switchplane_ai_profile');
    const tenantId = variable(event, 'switchplane_tenant_id');
    const did = variable(event, 'switchplane_did');
    if (!profile || !tenantId || !did || this.seen.has(uuid)) return;
    this.seen.set(uuid, true);
    const call = new AgentCall({ callId: uuid, node, tenantId, did, callerNumber: variable(event, 'switchplane_caller') ?? null, profile }, this.deps);
    this.calls.set(uuid, call);
    void call.ended.then(() => this.calls.delete(uuid));
    void call.start();
  }

  /** Shutdown: every live call goes to its failover extension; resolves once their sessions are stored. */
  async close(): Promise<void> {
    const calls = [...this.calls.values()];
    for (const call of calls) call.forkFailed('shutdown');
    await Promise.all(calls.map((c) => c.ended));
  }
}
