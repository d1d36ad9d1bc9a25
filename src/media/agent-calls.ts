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

/** What each event of a live agent call does to it (the event's Unique-ID names the call). */
const ON_CALL = new Map<string, (call: AgentCall, event: ChannelEvent) => void>([
  ['CHANNEL_HANGUP', (call) => call.end('caller_hangup')],
  ['CHANNEL_HANGUP_COMPLETE', (call) => call.end('caller_hangup')],
  ['mod_audio_stream::play', (call, event) => {
    const file = playedFile(event.body);
    if (file) call.playFile(file);
  }],
  ['mod_audio_stream::error', (call) => call.end('media_fork_error')],
  ['mod_audio_stream::disconnect', (call) => call.mediaLost()],
  ['mod_audio_fork::connect_failed', (call) => call.end('media_fork_error')],
  ['mod_audio_fork::disconnect', (call) => call.mediaLost()],
  ['PLAYBACK_STOP', (call, event) => call.playbackStopped(event.playbackFile ?? '')],
]);

/** The events the agent subscribes to: the park that starts a call, and those of ON_CALL. */
export const AGENT_EVENTS: readonly string[] = ['CHANNEL_PARK', ...ON_CALL.keys()];

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
    if (event.name === 'CHANNEL_PARK') return this.park(event, node);
    const call = this.calls.get(event.uniqueId);
    if (call) ON_CALL.get(event.name)?.(call, event);
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
