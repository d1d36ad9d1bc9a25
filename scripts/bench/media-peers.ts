/**
 * The peers of `npm run bench:media`, run as a child process (fork, with IPC) so that the
 * Switchplane process's CPU and event loop are measured alone. It plays FreeSWITCH and OpenAI:
 * - a FakeEslServer (test/helpers/esl-server.ts) that parks the calls (CHANNEL_PARK with the
 *   dialplan's variables), hangs them up (CHANNEL_HANGUP_COMPLETE), answers every command `+OK`,
 *   and on `uuid_audio_fork <uuid> start <url> …` opens that call's fork (./media-caller.ts);
 * - the mock OpenAI Realtime server (test/helpers/mock-realtime.ts: TLS, GA protocol, server
 *   VAD): a greeting and a reply per caller turn, AGENT_SAYS each, streamed at twice real time
 *   after RESPONSE_DELAY_MS of "thinking".
 * Measured here, in ms on this process's clock: inbound, a caller frame sent → its
 * `input_audio_buffer.append` received and handled by the mock (the frame's marker names it);
 * outbound, the first `response.output_audio.delta` of a response sent → the client's first agent
 * frame after it, when no agent frame arrived in the GAP_MS before (so it is not queued behind
 * earlier audio); and what the clients hear (./media-caller.ts).
 *
 * IPC: sends PeersReady once listening; answers EchoGo (the ceiling: plain sockets echoed by the
 * bench process) or CallsGo with Steady `steady`, Steady `ending`, then EchoDone or CallsDone.
 * Exits when the parent disconnects.
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { FakeEslServer } from '../../test/helpers/esl-server.js';
import { startMockRealtime, type MockSession, type MockStep } from '../../test/helpers/mock-realtime.js';
import { Caller, CallerStats, FRAME_MS, GAP_MS, pace, type CallerCounts } from './media-caller.js';
import { readMarker, Samples, wallMs, type Summary } from './media-stats.js';

export interface PeersReady {
  kind: 'ready';
  eslPort: number;
  /** The mock's OPENAI_BASE_URL and its self-signed certificate (PEM). */
  realtimeUrl: string;
  ca: string;
}
/** Park `calls` calls evenly over `rampMs`; each hangs up `seconds` after its park. */
export interface CallsGo {
  kind: 'calls';
  calls: number;
  seconds: number;
  rampMs: number;
  tenantId: string;
  did: string;
  profile: string;
}
/** Open `calls` sockets to `url` over `rampMs`, then send frames on all of them for `seconds`. */
export interface EchoGo {
  kind: 'echo';
  url: string;
  calls: number;
  seconds: number;
  rampMs: number;
}
/** The steady-state window starts or ends, at `at` (wallMs). */
export interface Steady {
  kind: 'steady' | 'ending';
  at: number;
}
/** This process over the window: CPU ms, event-loop lag p99 and max ms. */
export interface PeerLoad {
  cpuMs: number;
  lagP99: number;
  lagMax: number;
}
export interface EchoDone {
  kind: 'echo-done';
  /** A frame sent → its echo received, ms, over the window. */
  rtt: Summary;
  load: PeerLoad;
}
export interface CallsDone extends CallerCounts {
  kind: 'calls-done';
  parked: number;
  /** Fork commands received. */
  forked: number;
  /** Appends without a readable marker. */
  unmarked: number;
  /** Over the window, and over the whole run (ramp-up and hang-ups included). */
  inbound: Summary;
  inboundAll: Summary;
  firstFrame: Summary;
  /** Responses whose first audio was not measured (agent audio still arriving, or the session not yet matched to its call). */
  firstFrameSkipped: number;
  /** Inter-arrival in a talk spurt (`over`: > GAP_MS), and lateness against the spurt's grid (`over`: > 20 ms). */
  gaps: Summary;
  behind: Summary;
  load: PeerLoad;
}
export type PeersMessage = PeersReady | Steady | EchoDone | CallsDone;

/** The mock's "thinking" before each response, ms, and its pacing: CHUNK_MS of audio every CHUNK_INTERVAL_MS. */
const RESPONSE_DELAY_MS = 300;
const CHUNK_MS = 100;
const CHUNK_INTERVAL_MS = 50;
/** Calls not all greeted this long (ms) after the ramp: the window starts anyway. */
const STEADY_TIMEOUT_MS = 5000;
/** The window starts this long (ms) after the last call was greeted, so that call set-up (database rows, TLS handshakes) is not steady state. */
const SETTLE_MS = 1000;
/**
 * What the agent says, 3.5 s: a tone rather than agent-greeting.wav, because the mock renders a
 * reply's audio when it starts it (0.6 ms for the tone, 2.3 ms for the WAV) and this process's
 * event loop is part of every latency measured here.
 */
const AGENT_SAYS: MockStep = { type: 'audio', text: 'Hello, thank you for calling, how can I help you?', audio: { toneHz: 440, ms: 3500 } };

const send = (message: PeersMessage) => process.send!(message);
const sleepUntil = (t: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, t - wallMs())));

/**
 * Sends `steady` when `ready` resolves (or at `latest`), then `ending` at `end`; resolves with the
 * window and this process's CPU and event-loop lag over it.
 */
async function steadyWindow(ready: Promise<void>, latest: number, end: number): Promise<{ from: number; to: number; load: PeerLoad }> {
  await Promise.race([ready, sleepUntil(Math.min(latest, end))]);
  const from = wallMs();
  send({ kind: 'steady', at: from });
  const cpu = process.cpuUsage();
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  await sleepUntil(end);
  const to = wallMs();
  send({ kind: 'ending', at: to });
  lag.disable();
  const { user, system } = process.cpuUsage(cpu);
  const ms = (ns: number) => Math.max(0, ns / 1e6 - 1); // less the 1 ms resolution, as bench:cdr
  return { from, to, load: { cpuMs: (user + system) / 1000, lagP99: ms(lag.percentile(99)), lagMax: ms(lag.max) } };
}

const [mock, esl] = await Promise.all([startMockRealtime(), FakeEslServer.start()]);
const stats = new CallerStats();
const inbound = new Samples();
const extra = { forked: 0, unmarked: 0, firstFrameSkipped: 0 };
let callers: Caller[] = [];
const byId = new Map<string, Caller>();

esl.api = (line) => {
  const [verb, uuid, action, url] = line.split(' ');
  const caller = byId.get(uuid ?? '');
  if (verb === 'uuid_audio_fork' && action === 'start' && caller && url) {
    extra.forked++;
    caller.connect(url);
  }
  return '+OK Success\n';
};

/** Reads a session's traffic as it goes, and empties the mock's own logs of it (a test keeps them; 200 calls would hold ~100 MB). */
mock.on('session', (session: MockSession) => {
  let caller: Caller | undefined;
  let response = '';
  session.on('received', (r) => {
    if (r.type === 'input_audio_buffer.append') {
      const marker = readMarker(String(r.event.audio));
      const from = marker && callers[marker.call];
      if (!marker || !from) extra.unmarked++;
      else {
        caller = from;
        const at = performance.timeOrigin + r.at;
        inbound.push(at, at - from.sentAt[marker.seq]!);
      }
    }
    session.received.length = 0;
    session.appends.length = 0;
  });
  session.on('sent', (r) => {
    const id = String(r.event.response_id);
    if (r.type === 'response.output_audio.delta' && id !== response) {
      response = id;
      const at = performance.timeOrigin + r.at;
      if (caller && at - caller.lastArrival > GAP_MS) caller.deltaAt = at;
      else extra.firstFrameSkipped++;
    }
    session.sent.length = 0;
    session.deltas.length = 0;
  });
});

async function runCalls(go: CallsGo): Promise<CallsDone> {
  mock.script = {
    greeting: AGENT_SAYS,
    turns: Array.from({ length: Math.ceil(go.seconds / 2) }, () => ({ transcript: 'Hello, my internet connection is down.', steps: [AGENT_SAYS] })),
    chunkMs: CHUNK_MS,
    chunkIntervalMs: CHUNK_INTERVAL_MS,
    responseDelayMs: RESPONSE_DELAY_MS,
  };
  const start = wallMs();
  const parkAt = (i: number) => start + (i * go.rampMs) / go.calls;
  let allGreeted!: () => void;
  const greeted = new Promise<void>((resolve) => (allGreeted = resolve));
  const frames = Math.ceil((go.seconds * 1000) / FRAME_MS) + 1000;
  callers = Array.from({ length: go.calls }, (_, i) => new Caller(i, randomUUID(), frames, stats, () => stats.count.greeted === go.calls && allGreeted()));
  for (const c of callers) byId.set(c.callId, c);
  const timers = callers.flatMap((c) => {
    const number = `+39333${String(c.index).padStart(7, '0')}`;
    const park = () => esl.pushEvent(esl.event('CHANNEL_PARK', {
      'Unique-ID': c.callId, 'Channel-Name': `sofia/external/${number}@127.0.0.1`, 'Caller-Caller-ID-Number': number,
      'Caller-Destination-Number': go.did, variable_switchplane_ai_profile: go.profile, variable_switchplane_tenant_id: go.tenantId,
      variable_switchplane_did: go.did, variable_switchplane_caller: number,
    }));
    const hangUp = () => {
      c.hangUp();
      esl.pushEvent(esl.event('CHANNEL_HANGUP_COMPLETE', { 'Unique-ID': c.callId, 'Hangup-Cause': 'NORMAL_CLEARING' }));
    };
    return [setTimeout(park, parkAt(c.index) - wallMs()), setTimeout(hangUp, parkAt(c.index) + go.seconds * 1000 - wallMs())];
  });
  const settled = greeted.then(() => new Promise<void>((resolve) => setTimeout(resolve, SETTLE_MS)));
  const { from, to, load } = await steadyWindow(settled, start + go.rampMs + STEADY_TIMEOUT_MS, start + go.seconds * 1000);
  await sleepUntil(parkAt(go.calls) + go.seconds * 1000 + 100);
  await Promise.race([Promise.all(callers.map((c) => c.closed)), sleepUntil(wallMs() + 10_000)]);
  for (const t of timers) clearTimeout(t);
  for (const c of callers) c.terminate();
  return {
    kind: 'calls-done', parked: go.calls, ...stats.count, ...extra,
    inbound: inbound.summary(from, to), inboundAll: inbound.summary(), firstFrame: stats.firstFrame.summary(from, to),
    gaps: stats.gaps.summary(from, to, GAP_MS), behind: stats.behind.summary(from, to, FRAME_MS), load,
  };
}

async function runEcho(go: EchoGo): Promise<EchoDone> {
  const rtt = new Samples();
  const stops: Array<() => void> = [];
  const sockets = await Promise.all(
    Array.from({ length: go.calls }, async (_, i) => {
      await sleepUntil(wallMs() + (i * go.rampMs) / go.calls);
      const ws = new WebSocket(go.url, { perMessageDeflate: false });
      const sentAt: number[] = [];
      let echoed = 0;
      ws.on('message', () => {
        const now = wallMs();
        rtt.push(now, now - sentAt[echoed++]!);
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      stops.push(pace(() => {
        sentAt.push(wallMs());
        ws.send(Buffer.alloc(320));
      }));
      return ws;
    }),
  );
  const { from, to, load } = await steadyWindow(Promise.resolve(), wallMs(), wallMs() + go.seconds * 1000);
  for (const stop of stops) stop();
  for (const ws of sockets) ws.close();
  return { kind: 'echo-done', rtt: rtt.summary(from, to), load };
}

process.on('message', (go: CallsGo | EchoGo) => {
  (go.kind === 'calls' ? runCalls(go) : runEcho(go)).then(send, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
process.on('disconnect', () => void Promise.all([mock.close(), esl.stop()]).then(() => process.exit(0)));
send({ kind: 'ready', eslPort: esl.port, realtimeUrl: mock.baseURL, ca: mock.ca.toString() });
