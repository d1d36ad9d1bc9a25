/**
 * One call with the AI voice agent, from the parked channel to the stored session: a task with
 * one end (`ended` resolves once), whichever comes first of a transfer, a hangup, or a failure.
 *
 * 1. `start()` reads the call's number, tenant and extensions as the tenant (RLS), renders the
 *    profile's instructions, opens the Realtime session and, at the same time, asks FreeSWITCH to
 *    fork the call's audio to `<MEDIA_WS_URL>/media/<uuid>?token=<per-call token>`.
 * 2. The media server hands the fork's socket to `attachMedia()`; caller frames go to the model,
 *    the model's audio goes through the playout (jitter buffer, 20 ms pacing) back to the fork.
 *    Once both are up the agent greets (`response.create`).
 * 3. Barge-in (`input_audio_buffer.speech_started` while the agent is heard): the playout is
 *    flushed and FreeSWITCH's playback emptied at once, the response cancelled, and the item
 *    truncated at the milliseconds the caller heard (`conversation.item.truncate`).
 * 4. Tools: `create_ticket` (the number's CRM webhook, signed), `transfer_to_human` (only to the
 *    tenant's active extensions; `uuid_transfer <uuid> <extension> XML <context>` once the goodbye
 *    has played), `end_call` (`uuid_kill` once the last audio has played).
 * 5. Failure (OpenAI unreachable, erroring or silent, the fork not connecting or dropping, the
 *    session limit): the fork is stopped and the call transferred to the number's failover
 *    extension (hung up when it has none); the reason is stored.
 * 6. The session row is written when the call starts and when it ends, with the transcript, the
 *    actions, the transfer and the post-call analysis (src/media/session-record.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { AiSettings } from '../config.js';
import type { BusinessHours } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { DestinationPolicy } from '../domain/destination-policy.js';
import { crmWebhookOf } from '../domain/number-records.js';
import type { SecretBox } from '../domain/secrets.js';
import type { Metrics } from '../metrics.js';
import { tenantContext } from '../domain/tenants.js';
import { AGENT_TOOLS, renderInstructions, TICKET_PRIORITIES } from './agent-profile.js';
import type { CallAnalysis } from './call-analysis.js';
import { CrmWebhookError, postTicket } from './crm-webhook.js';
import type { ForkModule, ForkSink } from './fork-modules.js';
import { l16FromBytes } from './g711.js';
import { Playout, type FrameClock } from './playout.js';
import { RealtimeSession, type RealtimeHandlers } from './realtime-session.js';
import { saveSession, type ActionEntry, type SessionRecord, type TranscriptEntry } from './session-record.js';

/** The parked call, from its CHANNEL_PARK (variables set by the dialplan, src/xmlcurl/dialplan.ts). */
export interface ParkedCall {
  /** Unique-ID. */
  callId: string;
  /** ESL_NODES name of the node holding the call. */
  node: string;
  tenantId: string;
  /** The number called, E.164. */
  did: string;
  callerNumber: string | null;
  profile: string;
}

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

interface CallContext {
  tenantName: string;
  timezone: string;
  /** The tenant's dialplan context (its SIP domain). */
  context: string;
  failoverExtension: string | null;
  businessHours: BusinessHours | null;
  crm: { url: string; secret: string } | null;
  extensions: Array<{ extension: string; name: string | null }>;
}

/**
 * A transfer or hangup the agent asked for; it runs once response number `after` is done and its
 * audio played: the response that called the tool if it spoke (its goodbye), else the next one.
 */
type Pending = ({ kind: 'transfer'; extension: string; reason: string } | { kind: 'hangup'; reason: string }) & { after: number };

/** Where a tool call came from: the response's number and whether it had spoken before the call. */
interface ToolOrigin {
  response: number;
  spoke: boolean;
}

/** How long a lost media fork waits for the channel's hangup before the call fails over, milliseconds. */
export const MEDIA_LOSS_GRACE_MS = 1000;

/** Longest wait for FreeSWITCH to report the last file of a goodbye played, milliseconds. */
export const PLAYED_WAIT_MS = 3000;

const GOODBYE = {
  transfer: 'Say one short goodbye line: you are transferring the caller to a colleague now.',
  hangup: 'Say one short, polite goodbye line.',
};

export class AgentCall {
  /** The per-call secret FreeSWITCH presents in the media fork URL. */
  readonly token = randomBytes(24).toString('base64url');
  /** Resolves once the session has ended and its row was written (or the write failed and was reported). */
  readonly ended: Promise<void>;
  private endSession!: () => void;
  private ctx: CallContext | null = null;
  private realtime: RealtimeSession | null = null;
  private socket: WebSocket | null = null;
  private sink: ForkSink | null = null;
  private playout: Playout | null = null;
  private forkStarted = false;
  private greeted = false;
  private completing = false;
  /** Playback files queued on the channel and not yet reported stopped (PLAYBACK_STOP). */
  private readonly playing = new Set<string>();
  /** Files the fork module wrote and announced (`mod_audio_stream::play`), of those the sink sent. */
  private filesAnnounced = 0;
  /** Wakes `allPlayed()` on each announcement and PLAYBACK_STOP. */
  private onPlayed: (() => void) | null = null;
  private lossTimer: NodeJS.Timeout | undefined;
  private finished = false;
  private pending: Pending | null = null;
  private responseSpoke = false;
  private responsesDone = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly transcript: TranscriptEntry[] = [];
  private readonly actions: ActionEntry[] = [];
  private readonly heard = new Map<string, number>();
  private readonly speechAt = new Map<string, string>();
  private readonly firstAudioAt = new Map<string, string>();
  private readonly startedAt = new Date();
  private transfer: { target: string | null; reason: string | null } = { target: null, reason: null };
  private failureReason: string | null = null;

  constructor(
    readonly call: ParkedCall,
    private readonly deps: AgentCallDeps,
  ) {
    this.ended = new Promise((resolve) => (this.endSession = resolve));
    deps.metrics.aiActiveCalls.inc();
  }

  /** Whether `token` is this call's (constant time). */
  accepts(token: string | undefined): boolean {
    const given = Buffer.from(token ?? '');
    const own = Buffer.from(this.token);
    return given.length === own.length && timingSafeEqual(given, own);
  }

  /** Starts the session; never rejects (a failure becomes the failover). */
  async start(): Promise<void> {
    const { settings } = this.deps;
    try {
      this.ctx = await this.load();
    } catch (err) {
      this.deps.onError(err, { callId: this.call.callId, part: 'agent call context' });
      return this.fail('context_unavailable');
    }
    if (this.finished) return;
    if (!settings.apiKey) return this.fail('openai_not_configured');
    // Every Switchplane instance on this event socket sees the park: the one whose row goes in runs the call.
    const claimed = await saveSession(this.deps.store, this.record(), { insertOnly: true }).catch((err: unknown) => {
      this.deps.onError(err, { callId: this.call.callId, part: 'ai session claim' });
      return true; // the database is failing now: run the call rather than leave the caller in silence
    });
    if (!claimed) return this.abandon();
    if (this.finished) return;
    this.timers.push(
      setTimeout(() => this.fail('session_limit'), settings.sessionLimitSeconds * 1000),
      setTimeout(() => !this.socket && this.fail('media_timeout'), settings.mediaTimeoutMs),
    );
    const url = `${settings.mediaUrl}/media/${this.call.callId}?token=${this.token}`;
    const metadata = JSON.stringify({ callId: this.call.callId, token: this.token });
    const fork = this.deps.command(this.call.node, this.deps.fork.start(this.call.callId, url, metadata)).then(
      () => (this.forkStarted = true),
      (err) => {
        this.deps.onError(err, { callId: this.call.callId, part: 'media fork start' });
        this.fail('media_fork_failed');
      },
    );
    try {
      const instructions = await renderInstructions(this.call.profile, { ...this.ctx, did: this.call.did, now: new Date() });
      const session = await RealtimeSession.open({ settings, apiKey: settings.apiKey, instructions, tools: [...AGENT_TOOLS] }, this.handlers());
      if (this.finished) return session.close();
      this.realtime = session;
      this.greet();
    } catch (err) {
      const reason = (err as { reason?: string }).reason ?? 'openai_unreachable';
      this.deps.onError(err, { callId: this.call.callId, part: 'realtime session' });
      this.fail(reason);
    }
    await fork;
  }

  /** Takes the media fork's socket (authenticated by the media server). */
  attachMedia(socket: WebSocket): void {
    if (this.finished || this.socket) {
      socket.close(1008, this.finished ? 'call ended' : 'already connected');
      return;
    }
    this.socket = socket;
    this.sink = this.deps.fork.sink(socket);
    const sink = this.sink;
    this.playout = new Playout({
      clock: this.deps.clock,
      prebufferMs: this.deps.settings.prebufferMs,
      leadMs: this.deps.fork.leadMs,
      onFrame: (frame, info) => {
        sink.frame(frame);
        this.deps.metrics.aiPlayoutLateness.observe(info.lateMs / 1000);
        this.deps.observeLateness?.(info.lateMs);
      },
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary && this.realtime) this.realtime.appendAudio(l16FromBytes(data as Buffer));
    });
    socket.on('close', () => this.mediaLost());
    this.greet();
  }

  /**
   * The fork module wrote a file (`mod_audio_stream::play`): queue its playback on the channel.
   * `sendmsg` execute, not `uuid_broadcast`: queued playbacks then follow each other without the
   * 5 lead frames (100 ms) with no RTP that every broadcast starts with (switch_ivr.c).
   */
  playFile(file: string): void {
    if (this.finished || /\s/.test(file)) return;
    this.playing.add(file);
    this.filesAnnounced++;
    this.onPlayed?.();
    this.deps.execute(this.call.node, this.call.callId, 'playback', file).catch((err) => this.deps.onError(err, { callId: this.call.callId, part: 'playback', file }));
  }

  /** FreeSWITCH finished (or broke off) playing `file` (PLAYBACK_STOP). */
  playbackStopped(file: string): void {
    if (this.playing.delete(file)) this.onPlayed?.();
  }

  /**
   * Resolves once every file the fork sink sent has been written by the module and played by
   * FreeSWITCH (no playback left without its PLAYBACK_STOP), or after `PLAYED_WAIT_MS`.
   */
  private allPlayed(): Promise<void> {
    this.sink?.flush();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.onPlayed = null;
        resolve();
      };
      const timer = setTimeout(done, PLAYED_WAIT_MS);
      this.onPlayed = () => {
        if (this.filesAnnounced >= (this.sink?.files ?? 0) && this.playing.size === 0) done();
      };
      this.onPlayed();
    });
  }

  /** The fork could not connect (`mod_audio_stream::error`, `mod_audio_fork::connect_failed`) or Switchplane stops: fail over now. */
  forkFailed(reason: string): void {
    this.fail(reason);
  }

  /**
   * The fork's socket closed, or the module says so (`mod_audio_stream::disconnect`,
   * `mod_audio_fork::disconnect`). A hangup closes the fork too, and its socket close can beat
   * the hangup event here (another TCP connection), so the call fails over only if no hangup
   * arrives within `MEDIA_LOSS_GRACE_MS`.
   */
  mediaLost(): void {
    if (this.finished || this.lossTimer) return;
    this.lossTimer = setTimeout(() => this.fail('media_disconnected'), MEDIA_LOSS_GRACE_MS);
    this.timers.push(this.lossTimer);
  }

  /** The channel hung up: the session ends here. */
  hungUp(): void {
    if (this.finished) return;
    this.finish('caller_hangup');
  }

  private greet(): void {
    if (this.greeted || !this.realtime || !this.socket || this.finished) return;
    this.greeted = true;
    this.realtime.respond();
  }

  private handlers(): RealtimeHandlers {
    const now = () => new Date().toISOString();
    return {
      audio: (itemId, pcm) => {
        this.responseSpoke = true;
        if (!this.firstAudioAt.has(itemId)) this.firstAudioAt.set(itemId, now());
        this.playout?.push(itemId, pcm);
      },
      audioDone: (itemId) => {
        const playout = this.playout;
        if (!playout) return;
        playout.end(itemId);
        void playout.drained().then(() => this.sink?.flush());
      },
      speechStarted: (itemId) => {
        this.speechAt.set(itemId, now());
        this.bargeIn();
      },
      callerTranscript: (itemId, text) => {
        if (text.trim()) this.transcript.push({ role: 'caller', text: text.trim(), at: this.speechAt.get(itemId) ?? now(), itemId });
      },
      agentTranscript: (itemId, text) => {
        const heardMs = this.heard.get(itemId);
        this.transcript.push({
          role: 'agent', text, at: this.firstAudioAt.get(itemId) ?? now(), itemId,
          ...(heardMs !== undefined ? { interrupted: true, heardMs } : {}),
        });
      },
      functionCall: (call) => void this.runTool(call.callId, call.name, call.args, { response: this.responsesDone + 1, spoke: this.responseSpoke }),
      responseDone: () => {
        this.responseSpoke = false;
        this.responsesDone++;
        this.completeWhenPlayed();
      },
      failed: (reason, detail) => {
        this.deps.onError(new Error(detail), { callId: this.call.callId, part: 'realtime session', reason });
        this.fail(reason);
      },
    };
  }

  private bargeIn(): void {
    const playout = this.playout;
    if (!playout?.speaking || !this.realtime) return;
    const cut = playout.flush();
    this.sink?.discard();
    this.send(this.deps.fork.breakPlayback(this.call.callId), 'barge-in');
    // `uuid_break all` drops the queued playbacks: no PLAYBACK_STOP comes for them.
    this.playing.clear();
    if (cut) {
      this.heard.set(cut.itemId, cut.heardMs);
      for (const entry of this.transcript) if (entry.itemId === cut.itemId) Object.assign(entry, { interrupted: true, heardMs: cut.heardMs });
      this.realtime.interrupt(cut.itemId, cut.heardMs);
    }
  }

  private async runTool(callId: string, name: string, args: string, origin: ToolOrigin): Promise<void> {
    // The model's arguments should be a JSON object; anything else (bad JSON, null, a list) counts as none.
    let params: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(args);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) params = parsed as Record<string, unknown>;
    } catch {
      // stays {}
    }
    const timestamp = new Date().toISOString();
    const output = await this.tool(name, params, origin).catch((err: unknown) => {
      this.deps.onError(err, { callId: this.call.callId, part: `tool ${name}` });
      return { error: 'the action failed' } as Record<string, unknown>;
    });
    if (this.finished || !this.realtime) return;
    if (name === 'create_ticket' || name === 'transfer_to_human' || name === 'end_call') {
      this.actions.push({ action: name, timestamp, params, result: output });
    }
    this.realtime.toolOutput(callId, output);
    if (!this.pending) this.realtime.respond();
    else if (!origin.spoke) this.realtime.respond(GOODBYE[this.pending.kind]);
    this.completeWhenPlayed();
  }

  private async tool(name: string, params: Record<string, unknown>, origin: ToolOrigin): Promise<Record<string, unknown>> {
    const after = origin.spoke ? origin.response : origin.response + 1;
    const ctx = this.ctx!;
    const text = (key: string) => (typeof params[key] === 'string' ? (params[key] as string).trim() : '');
    switch (name) {
      case 'create_ticket': {
        const priority = TICKET_PRIORITIES.find((p) => p === params.priority) ?? 'medium';
        if (!text('subject')) return { error: 'a ticket needs a subject' };
        if (!ctx.crm) return { error: 'no CRM is set up for this number; offer a transfer to a colleague instead' };
        try {
          const { ticketId } = await postTicket({
            url: ctx.crm.url, secret: ctx.crm.secret,
            ticket: { subject: text('subject'), description: text('description'), priority, callId: this.call.callId, tenantId: this.call.tenantId, callerNumber: this.call.callerNumber, did: this.call.did },
            timeoutMs: this.deps.settings.crm.timeoutMs, retries: this.deps.settings.crm.retries,
            destinations: new DestinationPolicy(this.deps.settings.crm.destinationAllow),
          });
          return { ticketId };
        } catch (err) {
          this.deps.onError(err, { callId: this.call.callId, part: 'create_ticket' });
          return { error: 'the ticket could not be created', reason: err instanceof CrmWebhookError ? err.reason : 'error' };
        }
      }
      case 'transfer_to_human': {
        const extension = text('extension');
        if (!ctx.extensions.some((e) => e.extension === extension)) {
          return { error: `extension ${extension || '(none)'} is not available`, extensions: ctx.extensions.map((e) => e.extension) };
        }
        if (this.pending) return { error: 'the call is already ending' };
        this.pending = { kind: 'transfer', extension, reason: text('reason') || 'caller asked for a person', after };
        return { status: 'transferring', extension };
      }
      case 'end_call':
        if (!this.pending) this.pending = { kind: 'hangup', reason: text('reason') || 'caller done', after };
        return { status: 'ending' };
      default:
        return { error: `unknown tool ${name}` };
    }
  }

  /**
   * Once the pending action's response is done: waits until its audio was released and played,
   * as FreeSWITCH reports it for files (mod_audio_stream), by the clock for frames mixed in
   * `leadMs` ahead (mod_audio_fork), then carries the action out.
   */
  private completeWhenPlayed(): void {
    const pending = this.pending;
    if (!pending || this.responsesDone < pending.after || !this.playout || this.completing) return;
    this.completing = true;
    void this.playout
      .drained()
      .then(() => (this.deps.fork.playsFiles ? this.allPlayed() : new Promise((resolve) => setTimeout(resolve, this.deps.fork.leadMs))))
      .then(() => this.complete(pending));
  }

  /** Carries out a transfer or hangup the agent asked for. */
  private complete(pending: Pending): void {
    if (this.finished) return;
    if (pending.kind === 'transfer') {
      this.transfer = { target: pending.extension, reason: pending.reason };
      this.finish('transferred', `uuid_transfer ${this.call.callId} ${pending.extension} XML ${this.ctx!.context}`);
    } else {
      this.finish('hung_up', `uuid_kill ${this.call.callId} NORMAL_CLEARING`);
    }
  }

  /** Hands the call to the failover extension (or hangs up without one), storing `reason`. */
  private fail(reason: string): void {
    if (this.finished) return;
    const target = this.ctx?.failoverExtension ?? null;
    this.failureReason = reason;
    this.transfer = { target, reason: `failover: ${reason}` };
    this.actions.push({ action: 'failover', timestamp: new Date().toISOString(), params: { reason }, result: { extension: target } });
    this.finish(
      'failover',
      target && this.ctx
        ? `uuid_transfer ${this.call.callId} ${target} XML ${this.ctx.context}`
        : `uuid_kill ${this.call.callId} NORMAL_TEMPORARY_FAILURE`,
    );
  }

  /** Another instance runs this call: end here without a command, a row or a count. */
  private abandon(): void {
    if (this.finished) return;
    this.finished = true;
    this.deps.metrics.aiActiveCalls.dec();
    for (const t of this.timers) clearTimeout(t);
    this.endSession();
  }

  /** Ends the session once: stops the fork, runs `command` (transfer or hangup), stores the row. */
  private finish(outcome: 'transferred' | 'hung_up' | 'caller_hangup' | 'failover', command?: string): void {
    this.finished = true;
    this.deps.metrics.aiSessions.inc({ outcome, reason: this.failureReason ?? 'none' });
    this.deps.metrics.aiActiveCalls.dec();
    for (const t of this.timers) clearTimeout(t);
    this.realtime?.close();
    this.playout?.close();
    const socket = this.socket;
    const stop = this.forkStarted && command ? this.deps.command(this.call.node, this.deps.fork.stop(this.call.callId)).catch(() => {}) : Promise.resolve();
    void stop.then(() => {
      if (command) this.send(command, 'end');
      if (socket && socket.readyState === socket.OPEN) socket.close(1000, 'session ended');
    });
    void this.store().finally(() => this.endSession());
  }

  private async store(): Promise<void> {
    const endedAt = new Date();
    let analysis: CallAnalysis | null = null;
    try {
      analysis = await this.deps.analyse(this.transcript);
    } catch (err) {
      this.deps.onError(err, { callId: this.call.callId, part: 'call analysis' });
    }
    const rec = { ...this.record(), endedAt, sentiment: analysis?.sentiment ?? null, satisfactionScore: analysis?.satisfactionScore ?? null };
    try {
      await saveSession(this.deps.store, rec);
    } catch (err) {
      this.deps.onError(err, { callId: this.call.callId, part: 'ai session write', record: rec });
    }
  }

  private record(): SessionRecord {
    return {
      tenantId: this.call.tenantId,
      callId: this.call.callId,
      openaiSessionId: this.realtime?.sessionId ?? null,
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

  private send(command: string, part: string): void {
    this.deps.command(this.call.node, command).catch((err) => this.deps.onError(err, { callId: this.call.callId, part, command }));
  }

  private async load(): Promise<CallContext> {
    const { store, secrets } = this.deps;
    return store.withTenant(this.call.tenantId, async (trx) => {
      const tenant = await trx.selectFrom('tenants').select(['name', 'timezone', 'sip_domain']).where('id', '=', this.call.tenantId).executeTakeFirstOrThrow();
      const number = await trx
        .selectFrom('phone_numbers')
        .select(['failover_extension', 'business_hours', 'crm_webhook_url', 'crm_webhook_secret_sealed'])
        .where('number', '=', this.call.did)
        .executeTakeFirst();
      const extensions = await trx
        .selectFrom('extensions')
        .select(['extension', 'display_name'])
        .where('status', '=', 'active')
        .orderBy('extension')
        .execute();
      const crm = number ? crmWebhookOf(number, secrets) : null;
      return {
        tenantName: tenant.name,
        timezone: tenant.timezone,
        context: tenantContext(tenant),
        failoverExtension: number?.failover_extension ?? null,
        businessHours: number?.business_hours ?? null,
        crm,
        extensions: extensions.map((e) => ({ extension: e.extension, name: e.display_name })),
      };
    });
  }
}
