/**
 * The AI agent's calls in this process, and the ESL handler that starts and ends them:
 * - `CHANNEL_PARK` of a channel the dialplan parked for the agent (src/media/parked-call.ts)
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
import { ChannelEvent } from '../esl/channel-event.js';
import type { EslEvent } from '../esl/connection.js';
import type { EventHandler } from '../esl/controller.js';
import { AgentCall, type AgentCallDeps } from './agent-call.js';
import { playedFile } from './fork-modules.js';
import { parkedCall } from './parked-call.js';

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

  handle(raw: EslEvent, node: string): void {
    const event = ChannelEvent.parse(raw);
    if (!event) return;
    const key = event.name;
    if (key === 'CHANNEL_PARK') return this.park(event, node);
    const call = this.calls.get(event.uniqueId);
    if (!call) return;
    if (key === 'CHANNEL_HANGUP' || key === 'CHANNEL_HANGUP_COMPLETE') call.end('caller_hangup');
    else if (key === 'mod_audio_stream::play') {
      const file = playedFile(event.body);
      if (file) call.playFile(file);
    } else if (key === 'PLAYBACK_STOP') call.playbackStopped(event.playbackFile ?? '');
    else if (FORK_FAILED.has(key)) call.end('media_fork_error');
    else if (FORK_CLOSED.has(key)) call.mediaLost();
  }

  private park(event: ChannelEvent, node: string): void {
    const parked = parkedCall(event, node);
    if (!parked || this.seen.has(parked.callId)) return;
    const uuid = parked.callId;
    this.seen.set(uuid, true);
    const call = new AgentCall(parked, this.deps);
    this.calls.set(uuid, call);
    void call.ended.then(() => this.calls.delete(uuid));
    void call.start();
  }

  /** Shutdown: every live call goes to its failover extension; resolves once their sessions are stored. */
  async close(): Promise<void> {
    const calls = [...this.calls.values()];
    for (const call of calls) call.end('shutdown');
    await Promise.all(calls.map((c) => c.ended));
  }
}
