/**
 * One call with the AI voice agent, from the parked channel to the stored session: a task with
 * a state (src/media/agent-call-states.ts), one way to end, `end(reason)` (the reasons and what
 * each tells FreeSWITCH: src/media/agent-call-end.ts), and a promise, `ended`, that resolves once
 * the session is stored.
 *
 * 1. `start()` reads the call's context (src/domain/ai-numbers.ts), claims the session row,
 *    opens the Realtime session with the profile's instructions and, at the same time, asks
 *    FreeSWITCH to fork the call's audio to `<MEDIA_WS_URL>/media/<uuid>?token=<per-call token>`.
 * 2. The media server hands the fork's socket to `attachMedia()`; caller frames go to the model,
 *    the model's audio through the playout back to the fork (src/media/agent-media.ts). Once
 *    both are up the agent greets (`response.create`).
 * 3. Barge-in (`input_audio_buffer.speech_started` while the agent is heard): the playout is
 *    flushed and FreeSWITCH's playback emptied at once, the response cancelled, and the item
 *    truncated at the milliseconds the caller heard (`conversation.item.truncate`).
 * 4. Tools (src/media/agent-tools.ts); a transfer or hangup they ask for waits for the goodbye.
 * 5. A failure (src/media/agent-call-end.ts FAILOVER_REASONS) ends the call from any state.
 * 6. The row holds the transcript, actions, transfer and analysis (src/media/agent-session-log.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { AiSettings } from '../config.js';
import type { Store } from '../db/store.js';
import { agentCallContext, type AgentCallContext } from '../domain/ai-numbers.js';
import { saveSession, type TranscriptEntry } from '../domain/ai-session-writes.js';
import type { SecretBox } from '../domain/secrets.js';
import type { Metrics } from '../metrics.js';
import { CallChannel } from '../esl/call-channel.js';
import { carryOut, disposalOf, endLabels, isFailoverReason, type EndReason } from './agent-call-end.js';
import { CallState, type AgentCallState } from './agent-call-states.js';
import { CallMedia, PlayedFiles } from './agent-media.js';
import { renderInstructions } from './agent-profile.js';
import { SessionLog, storeSession } from './agent-session-log.js';
import { GOODBYE, realtimeTools, runTool, type Leave } from './agent-tools.js';
import type { CallAnalysis } from './call-analysis.js';
import type { ForkModule } from './fork-modules.js';
import { l16FromBytes } from './g711.js';
import type { ParkedCall } from './parked-call.js';
import type { FrameClock } from './frame-clock.js';
import { RealtimeSession, type RealtimeHandlers } from './realtime-session.js';

export interface AgentCallDeps {
  settings: Readonly<AiSettings>;
  store: Store;
  secrets: SecretBox;
  fork: ForkModule;
  clock: FrameClock;
  /** Runs an `api` command on the node; rejects on `-ERR` or a lost link. */
  command(node: string, cmd: string): Promise<string>;
  /** Queues an application on a channel of the node (`sendmsg` execute); rejects like `command`. */
  execute(node: string, uuid: string, app: string, arg: string): Promise<void>;
  /** The post-call analysis (src/media/call-analysis.ts); null when skipped. */
  analyse(transcript: TranscriptEntry[]): Promise<CallAnalysis | null>;
  onError(err: unknown, context: Record<string, unknown>): void;
  metrics: Pick<Metrics, 'aiSessions' | 'aiActiveCalls' | 'aiPlayoutLateness'>;
  /** Each frame's lateness leaving the playout, milliseconds (the bridge's added latency out). */
  observeLateness?(ms: number): void;
}

/** How long a lost media fork waits for the channel's hangup before the call fails over, milliseconds. */
export const MEDIA_LOSS_GRACE_MS = 1000;

export class AgentCall {
  /** The per-call secret FreeSWITCH presents in the media fork URL. */
  readonly token = randomBytes(24).toString('base64url');
  /** Resolves once the session has ended and its row was written (or the write failed and was reported). */
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  /** The parked leg, commanded through `deps.command` and `deps.execute` on its node. */
  private readonly channel: CallChannel;
  private readonly machine = new CallState();
  private ctx: AgentCallContext | null = null;
  private realtime: RealtimeSession | null = null;
  private media: CallMedia | null = null;
  private readonly files = new PlayedFiles();
  private readonly log: SessionLog;
  /** The fork module runs on the channel (its start command succeeded), so ending stops it. */
  private forkStarted = false;
  /** Responses done, and whether the one under way has spoken yet. */
  private readonly responses = { done: 0, spoke: false };
  private readonly timers: NodeJS.Timeout[] = [];
  private lossTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly call: ParkedCall,
    private readonly deps: AgentCallDeps,
  ) {
    this.log = new SessionLog(call);
    this.channel = new CallChannel(call.node, call.callId, { api: (cmd) => deps.command(call.node, cmd), execute: (uuid, app, arg) => deps.execute(call.node, uuid, app, arg) });
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    deps.metrics.aiActiveCalls.inc();
  }

  /** Where the call stands (src/media/agent-call-states.ts). */
  get state(): Readonly<AgentCallState> {
    return this.machine.value;
  }

  /** Whether `token` is this call's (constant time). */
  accepts(token: string | undefined): boolean {
    const given = Buffer.from(token ?? '');
    const own = Buffer.from(this.token);
    return given.length === own.length && timingSafeEqual(given, own);
  }

  /** Starts the session; never rejects (a failure ends the call with its reason). */
  async start(): Promise<void> {
    const { settings, store } = this.deps;
    try {
      this.ctx = await agentCallContext(store, this.deps.secrets, this.call.tenantId, this.call.did);
    } catch (err) {
      this.deps.onError(err, { callId: this.call.callId, part: 'agent call context' });
      return this.end('context_unavailable');
    }
    if (this.machine.ended) return;
    if (!settings.apiKey) return this.end('openai_not_configured');
    // Every Switchplane instance on this event socket sees the park: the one whose row goes in runs the call.
    const claimed = await saveSession(store, this.log.record(null), { insertOnly: true }).catch((err: unknown) => {
      this.deps.onError(err, { callId: this.call.callId, part: 'ai session claim' });
      return true; // the database is failing now: run the call rather than leave the caller in silence
    });
    if (!claimed) return this.end('claimed_elsewhere');
    if (!this.machine.to({ name: 'connecting' })) return;
    this.timers.push(
      setTimeout(() => this.end('session_limit'), settings.sessionLimitSeconds * 1000),
      setTimeout(() => !this.media && this.end('media_timeout'), settings.mediaTimeoutMs),
    );
    const url = `${settings.mediaUrl}/media/${this.call.callId}?token=${this.token}`;
    const metadata = JSON.stringify({ callId: this.call.callId, token: this.token });
    const fork = this.channel.startFork(this.deps.fork.name, url, metadata).then(
      () => (this.forkStarted = true),
      (err) => {
        this.deps.onError(err, { callId: this.call.callId, part: 'media fork start' });
        this.end('media_fork_failed');
      },
    );
    try {
      const instructions = await renderInstructions(this.call.profile, { ...this.ctx, did: this.call.did, now: new Date() });
      const session = await RealtimeSession.open({ settings, apiKey: settings.apiKey, instructions, tools: realtimeTools() }, this.handlers());
      if (this.machine.ended) return session.close();
      this.realtime = session;
      this.greet();
    } catch (err) {
      const reason = (err as { reason?: unknown }).reason;
      this.deps.onError(err, { callId: this.call.callId, part: 'realtime session' });
      this.end(isFailoverReason(reason) ? reason : 'openai_unreachable');
    }
    await fork;
  }

  /** Takes the media fork's socket (authenticated by the media server). */
  attachMedia(socket: WebSocket): void {
    if (this.machine.ended || this.media) return socket.close(1008, this.machine.ended ? 'call ended' : 'already connected');
    this.media = new CallMedia(socket, {
      fork: this.deps.fork,
      clock: this.deps.clock,
      prebufferMs: this.deps.settings.prebufferMs,
      onLateness: (ms) => {
        this.deps.metrics.aiPlayoutLateness.observe(ms / 1000);
        this.deps.observeLateness?.(ms);
      },
      onCallerAudio: (frame) => this.realtime?.appendAudio(l16FromBytes(frame)),
      onClose: () => this.mediaLost(),
    });
    this.greet();
  }

  /**
   * The fork module wrote a file (`mod_audio_stream::play`): queue its playback on the channel.
   * `sendmsg` execute, not `uuid_broadcast`: queued playbacks then follow each other without the
   * 5 lead frames (100 ms) with no RTP that every broadcast starts with (switch_ivr.c).
   */
  playFile(file: string): void {
    if (this.machine.ended || /\s/.test(file)) return;
    this.files.queued(file);
    this.channel.execute('playback', file).catch((err) => this.deps.onError(err, { callId: this.call.callId, part: 'playback', file }));
  }

  /** FreeSWITCH finished (or broke off) playing `file` (PLAYBACK_STOP). */
  playbackStopped(file: string): void {
    this.files.stopped(file);
  }

  /**
   * The fork's socket closed, or the module says so (`mod_audio_stream::disconnect`,
   * `mod_audio_fork::disconnect`). A hangup closes the fork too, and its socket close can beat
   * the hangup event here (another TCP connection), so the call fails over only if no hangup
   * arrives within `MEDIA_LOSS_GRACE_MS`.
   */
  mediaLost(): void {
    if (this.machine.ended || this.lossTimer) return;
    this.lossTimer = setTimeout(() => this.end('media_disconnected'), MEDIA_LOSS_GRACE_MS);
    this.timers.push(this.lossTimer);
  }

  /**
   * Ends the call once, whatever the state: stops the fork, tells FreeSWITCH where the call goes,
   * counts it and stores the row (then `ended` resolves). Later calls do nothing.
   */
  end(reason: EndReason): void {
    const from = this.machine.value;
    if (!this.machine.to({ name: 'ended', reason })) return;
    this.deps.metrics.aiActiveCalls.dec();
    for (const t of this.timers) clearTimeout(t);
    if (reason === 'claimed_elsewhere') return this.resolveEnded();
    const disposal = disposalOf(reason, this.ctx, from.name === 'transferring' ? from : null);
    if (isFailoverReason(reason)) this.log.failedOver(reason, disposal?.kind === 'transfer' ? disposal.extension : null);
    else if (from.name === 'transferring' && disposal?.kind === 'transfer') this.log.transferred(disposal.extension, from.reason);
    this.deps.metrics.aiSessions.inc(endLabels(reason)!);
    this.realtime?.close();
    this.media?.close();
    const media = this.media;
    const stop = this.forkStarted && disposal ? this.channel.stopFork(this.deps.fork.name).catch(() => {}) : Promise.resolve();
    void stop.then(() => {
      if (disposal) carryOut(this.channel, disposal).catch((err) => this.deps.onError(err, { callId: this.call.callId, part: 'end', disposal }));
      media?.closeSocket();
    });
    void storeSession(this.log, this.deps, this.realtime?.sessionId ?? null).finally(() => this.resolveEnded());
  }

  private greet(): void {
    if (!this.realtime || !this.media || !this.machine.to({ name: 'talking' })) return;
    this.realtime.respond();
  }

  private handlers(): RealtimeHandlers {
    return {
      audio: (itemId, pcm) => {
        this.responses.spoke = true;
        this.log.agentAudio(itemId);
        this.media?.push(itemId, pcm);
      },
      audioDone: (itemId) => this.media?.audioDone(itemId),
      speechStarted: (itemId) => {
        this.log.callerSpeech(itemId);
        this.bargeIn();
      },
      callerTranscript: (itemId, text) => this.log.callerSaid(itemId, text),
      agentTranscript: (itemId, text) => this.log.agentSaid(itemId, text),
      functionCall: (call) => void this.runTool(call.callId, call.name, call.args, { response: this.responses.done + 1, spoke: this.responses.spoke }),
      responseDone: () => {
        this.responses.spoke = false;
        this.responses.done++;
        this.leaveWhenPlayed();
      },
      failed: (reason, detail) => {
        this.deps.onError(new Error(detail), { callId: this.call.callId, part: 'realtime session', reason });
        this.end(reason);
      },
    };
  }

  private bargeIn(): void {
    const media = this.media;
    if (!media?.speaking || !this.realtime) return;
    const cut = media.cut();
    const command = this.deps.fork.breakPlayback(this.call.callId);
    this.deps.command(this.call.node, command).catch((err) => this.deps.onError(err, { callId: this.call.callId, part: 'barge-in', command }));
    this.files.dropped();
    if (cut) {
      this.log.cut(cut.itemId, cut.heardMs);
      this.realtime.interrupt(cut.itemId, cut.heardMs);
    }
  }

  /** A tool call of response number `origin.response`, which had or had not `spoke` before it. */
  private async runTool(callId: string, name: string, args: string, origin: { response: number; spoke: boolean }): Promise<void> {
    const after = origin.spoke ? origin.response : origin.response + 1;
    const timestamp = new Date().toISOString();
    const { settings, onError } = this.deps;
    const { tool, params, output } = await runTool(name, args, { call: this.call, ctx: this.ctx!, settings, onError, leave: (action) => this.leave(action, after) });
    if (this.machine.ended || !this.realtime) return;
    if (tool) this.log.action({ action: tool.name, timestamp, params, result: output });
    this.realtime.toolOutput(callId, output);
    const pending = this.machine.leaving;
    if (!pending) this.realtime.respond();
    else if (!origin.spoke) this.realtime.respond(GOODBYE[pending.name === 'transferring' ? 'transfer' : 'hangup']);
    this.leaveWhenPlayed();
  }

  /** A tool asked to transfer or hang up once response number `after` is done and played. */
  private leave(action: Leave, after: number): boolean {
    if (this.machine.leaving) return false;
    return this.machine.to(
      action.kind === 'transfer'
        ? { name: 'transferring', extension: action.extension, reason: action.reason, after, goodbye: 'due' }
        : { name: 'hanging_up', reason: action.reason, after, goodbye: 'due' },
    );
  }

  /** Once the goodbye's response is done: waits until its audio has been heard, then ends the call. */
  private leaveWhenPlayed(): void {
    const s = this.machine.leaving;
    const media = this.media;
    if (!s || s.goodbye !== 'due' || this.responses.done < s.after || !media) return;
    this.machine.to({ ...s, goodbye: 'playing' });
    void media.played(this.files).then(() => this.end(s.name === 'transferring' ? 'transferred' : 'hung_up'));
  }
}
