/**
 * `npm run bench:media`: the AI voice agent's media bridge under BENCH_CALLS (200) concurrent
 * calls of BENCH_SECONDS (20) each, audio both ways in real time.
 *
 * This process is Switchplane: the demo app (in-memory PGlite, test/helpers/app.ts) listening
 * with its media endpoint (attachMediaServer), AgentCalls with MEDIA_FORK_MODULE=audio_fork and
 * AI_AUDIO_FORMAT=pcmu, and EslNodes → EslController → AgentCalls connected to the fake event
 * socket. Everything else is in a child process (scripts/bench/media-peers.ts): the fake
 * FreeSWITCH (event socket, and one mod_audio_fork client per call: scripts/bench/media-caller.ts)
 * and the mock OpenAI Realtime server, so the CPU and event loop measured here are Switchplane's
 * alone. The calls are parked evenly over RAMP_MS; each greets, then caller utterances
 * (test/fixtures/speech, 2.1–4.3 s) and agent replies (3.5 s) alternate until it hangs up
 * BENCH_SECONDS after its park. The post-call analysis is skipped (it is not on the media path).
 *
 * Measured over the steady state (a second after every call was greeted → the first hangup), all
 * latencies in ms:
 * - this process's CPU (process.cpuUsage) ÷ calls, as % of one core and ms of CPU per second of
 *   call; its event-loop lag (monitorEventLoopDelay at 1 ms, less the 1 ms);
 * - inbound: a caller frame sent by the fake FreeSWITCH → the mock has its `input_audio_buffer.append`
 *   (two loopback hops and both peers' event loops included, nothing subtracted), and inside
 *   Switchplane the frame's ws 'message' handler (a listener before AgentCall's and one after it:
 *   decoding, μ-law, the append written to the TLS socket);
 * - outbound: the playout's lateness (AgentCallDeps.observeLateness: release − due time) and how
 *   many frames were late: released more than FORK_LEAD_MS (100) after their due time, that is,
 *   frames go FORK_LEAD_MS ahead of their play time, so these reached FreeSWITCH after it;
 *   the mock's first delta of a response → the first frame of it at the client (two hops again);
 *   gaps (> 40 ms) and frames > 20 ms behind the talk spurt's grid as the client hears them.
 * The ceiling is the machine's: the same number of WebSockets, each sending a 20 ms frame (320
 * bytes) every 20 ms from the same child to a plain ws echo server in this process, round trip
 * (two hops), for CEILING_SECONDS just before and just after the run.
 * Target: 200 calls, p99 added latency ≤ 20 ms, 0 frames late. The bridge's added latency is
 * inbound the event-loop lag p99 plus the ws 'message' handler p99 (a frame waits for the loop,
 * then is handled), and outbound the playout lateness p99; the two-hop figures are printed beside
 * them, and include the peers' own process, which shares the two cores. PASS or FAIL is printed,
 * and the exit code is 0 either way (1 on a crash).
 */
import { fork } from 'node:child_process';
import { on, once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { loadConfig } from '../src/config.js';
import { EslController } from '../src/esl/controller.js';
import { EslNodes } from '../src/esl/nodes.js';
import type { AgentCall } from '../src/media/agent-call.js';
import { AgentCalls } from '../src/media/agent-calls.js';
import { FORK_LEAD_MS, FORK_MODULES } from '../src/media/fork-modules.js';
import { attachMediaServer } from '../src/media/media-server.js';
import { FrameClock } from '../src/media/frame-clock.js';
import { AI_DID, AI_PROFILE } from '../test/helpers/agent-rig.js';
import { demoApp } from '../test/helpers/app.js';
import { backends } from '../test/helpers/backends.js';
import type { CallsDone, EchoDone, PeerLoad, PeersMessage, PeersReady } from './bench/media-peers.js';
import { Samples, wallMs, type Summary } from './bench/media-stats.js';

const env = process.env;
const CALLS = Number(env.BENCH_CALLS ?? 200);
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
if (!(Number.isInteger(CALLS) && CALLS >= 1 && CALLS < 4096)) throw new Error(`BENCH_CALLS must be a whole number from 1 to 4095, not ${env.BENCH_CALLS}`);
if (!(SECONDS >= 8 && SECONDS <= 1200)) throw new Error(`BENCH_SECONDS must be from 8 to 1200, not ${env.BENCH_SECONDS}`);
/** The calls are parked evenly over this, ms (100 calls a second at 200). */
const RAMP_MS = Math.min(2000, (SECONDS * 1000) / 4);
/** Each ceiling run, seconds. */
const CEILING_SECONDS = Math.min(10, SECONDS);
const TARGET = { calls: 200, p99Ms: 20, lateMs: FORK_LEAD_MS };

const peers = fork(new URL('./bench/media-peers.ts', import.meta.url).pathname, { execArgv: ['--import', 'tsx'] });
const exited = once(peers, 'exit');
const died = exited.then(([code]) => Promise.reject(new Error(`the peers process exited (code ${code})`)));
died.catch(() => undefined);
const inbox = on(peers, 'message');

/** The peers' next message, which must be of `kind`. */
async function next<K extends PeersMessage['kind']>(kind: K): Promise<Extract<PeersMessage, { kind: K }>> {
  const { value } = (await Promise.race([inbox.next(), died])) as IteratorResult<[PeersMessage]>;
  const message = value[0];
  if (message.kind !== kind) throw new Error(`expected ${kind} from the peers, got ${message.kind}`);
  return message as Extract<PeersMessage, { kind: K }>;
}

/** This process over a steady-state window. */
interface Measured {
  /** The window, wallMs (the peers' clock). */
  from: number;
  to: number;
  /** This process's CPU over the window, in cores (1 = one core busy). */
  cores: number;
  lag: { p50: number; p99: number; max: number };
}

/** This process over the peers' steady-state window (their `steady` to their `ending`). */
async function steadyWindow(): Promise<Measured> {
  const { at: from } = await next('steady');
  const cpu = process.cpuUsage();
  const started = performance.now();
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const { at: to } = await next('ending');
  lag.disable();
  const { user, system } = process.cpuUsage(cpu);
  const ms = (ns: number) => Math.max(0, ns / 1e6 - 1); // less the 1 ms resolution, as bench:cdr
  return { from, to, cores: (user + system) / 1000 / (performance.now() - started), lag: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) } };
}

/** The ceiling: CALLS sockets of 20 ms frames echoed by a plain ws server in this process. */
async function echoCeiling(): Promise<{ done: EchoDone; window: Measured }> {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  peers.send({ kind: 'echo', url, calls: CALLS, seconds: CEILING_SECONDS, rampMs: RAMP_MS });
  const measured = await steadyWindow();
  const done = await next('echo-done');
  for (const ws of wss.clients) ws.terminate();
  await new Promise((resolve) => wss.close(resolve));
  await new Promise((resolve) => server.close(resolve));
  return { done, window: measured };
}

interface BridgeRun {
  done: CallsDone;
  window: Measured;
  sessions: number;
  completed: number;
  failures: Map<string, number>;
  errors: Map<string, number>;
  lateness: Summary;
  latenessAll: Summary;
  handler: Summary;
}

/** Switchplane's side of the calls, as src/main.ts composes it (less what the media path does not use). */
async function bridge(ready: PeersReady): Promise<BridgeRun> {
  const ctx = await demoApp(backends.find((b) => b.name === 'pglite')!);
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-bench-media-'));
  try {
    const port = await ctx.app.listen({ host: '127.0.0.1', port: 0 }).then((addr) => Number(new URL(addr).port));
    writeFileSync(path.join(dir, 'ca.pem'), ready.ca);
    const settings = loadConfig({
      OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: ready.realtimeUrl, OPENAI_CA_FILE: path.join(dir, 'ca.pem'),
      MEDIA_WS_URL: `ws://127.0.0.1:${port}`, MEDIA_FORK_MODULE: 'audio_fork', AI_AUDIO_FORMAT: 'pcmu', AI_ANALYSIS: 'false',
    }).ai;
    const errors = new Map<string, number>();
    const onError = (err: unknown, context: Record<string, unknown> = {}) => {
      const key = `${String(context.part ?? 'esl')}: ${err instanceof Error ? err.message.slice(0, 80) : String(err)}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    };
    const lateness = new Samples();
    const handler = new Samples();
    let nodes: EslNodes | undefined;
    const agents = new AgentCalls({
      settings, store: ctx.store, secrets: ctx.secrets, fork: FORK_MODULES[settings.forkModule], clock: new FrameClock(),
      command: (node, cmd) => nodes!.node(node)!.api(cmd),
      execute: (node, uuid, app, arg) => nodes!.node(node)!.execute(uuid, app, arg),
      analyse: async () => null,
      onError,
      metrics: ctx.metrics,
      observeLateness: (ms) => lateness.push(wallMs(), ms),
    });
    nodes = new EslNodes(loadConfig({ ESL_NODES: `fs1@127.0.0.1:${ready.eslPort}` }).esl, (err) => onError(err));
    new EslController(nodes, [agents], ctx.metrics, (err) => onError(err));
    const up = once(nodes.connections[0]!, 'connected');
    nodes.start();
    await up;
    /** Times each caller frame's ws 'message' handlers: a listener before AgentCall's, one after (src/ unchanged). */
    const timed = (call: AgentCall | undefined) => {
      if (!call || Object.hasOwn(call, 'attachMedia')) return call;
      const attach = call.attachMedia.bind(call);
      call.attachMedia = (ws) => {
        let before = 0;
        ws.on('message', (_data, isBinary) => isBinary && (before = performance.now()));
        attach(ws);
        ws.on('message', (_data, isBinary) => isBinary && handler.push(wallMs(), performance.now() - before));
      };
      return call;
    };
    const closeMedia = attachMediaServer(ctx.app.server, { find: (id) => timed(agents.get(id)), onError });
    try {
      const acme = await ctx.store.withLookup((db) => db.selectFrom('tenants').select('id').where('slug', '=', 'acme').executeTakeFirstOrThrow());
      peers.send({ kind: 'calls', calls: CALLS, seconds: SECONDS, rampMs: RAMP_MS, tenantId: acme.id, did: AI_DID, profile: AI_PROFILE });
      const measured = await steadyWindow();
      const done = await next('calls-done');
      for (const deadline = performance.now() + 10_000; agents.size > 0 && performance.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
      const rows = await ctx.store.withTenant(acme.id, (db) => db.selectFrom('ai_sessions').select(['ended_at', 'failure_reason']).execute());
      const failures = new Map<string, number>();
      for (const r of rows) if (r.failure_reason || !r.ended_at) failures.set(r.failure_reason ?? 'not ended', (failures.get(r.failure_reason ?? 'not ended') ?? 0) + 1);
      const { from, to } = measured;
      return {
        done, window: measured, sessions: rows.length, completed: rows.filter((r) => r.ended_at && !r.failure_reason).length, failures, errors,
        lateness: lateness.summary(from, to, TARGET.lateMs), latenessAll: lateness.summary(-Infinity, Infinity, TARGET.lateMs), handler: handler.summary(from, to),
      };
    } finally {
      await agents.close();
      await closeMedia();
      await nodes.close();
    }
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const n = (v: number, digits = 0) => (Number.isNaN(v) ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const lat = (s: Summary, digits = 1) => `p50 ${n(s.p50, digits)}  p99 ${n(s.p99, digits)}  max ${n(s.max, digits)}  (${n(s.n)} samples)`;
const cpu = (w: Measured, per: string) =>
  `${n(w.cores * 100, 1)}% of one core: ${n((w.cores * 100) / CALLS, 3)}% a ${per}, ${n((w.cores * 1000) / CALLS, 2)} ms CPU per second of ${per}`;
const peerLoad = (w: Measured, peer: PeerLoad) =>
  `${n(peer.cpuMs / (w.to - w.from) * 100, 0)}% of one core, event-loop lag p99 ${n(peer.lagP99, 1)} max ${n(peer.lagMax, 1)} ms`;

async function main(): Promise<void> {
  const ready = await next('ready');
  console.log(`bench:media: ${CALLS} calls × ${SECONDS} s (parked over ${RAMP_MS / 1000} s), audio_fork, pcmu; node ${process.version}; ` +
    `${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const before = await echoCeiling();
  console.log(`ceiling before: ws echo RTT ${lat(before.done.rtt, 2)}`);
  const run = await bridge(ready);
  const after = await echoCeiling();
  console.log(`ceiling after:  ws echo RTT ${lat(after.done.rtt, 2)}`);
  const d = run.done;
  const steadyS = (run.window.to - run.window.from) / 1000;
  const failures = [...run.failures].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const errors = [...run.errors].map(([k, v]) => `${v}× ${k}`).join('; ');
  console.log(`
calls                 ${n(d.parked)} parked, ${n(d.forked)} forks started, ${n(d.connected)} connected, ${n(d.greeted)} greeted; ${n(run.sessions)} sessions stored, ${n(run.completed)} completed (failures: ${failures}); ${n(d.closedByServer)} sockets closed by Switchplane after the hangup
steady state          ${n(steadyS, 1)} s (1 s after the last call was greeted → first hangup); caller utterances ${n(d.utterances)}, agent turns answered ${n(d.agentTurns)} (no reply ${d.noReply}); frames sent ${n(d.framesSent)}, received ${n(d.framesReceived)}
CPU (Switchplane)     ${cpu(run.window, 'call')}
event-loop lag ms     p50 ${n(run.window.lag.p50, 1)}  p99 ${n(run.window.lag.p99, 1)}  max ${n(run.window.lag.max, 1)}
peers' process        ${peerLoad(run.window, d.load)}
inbound ms            frame sent → append at the mock (2 loopback hops): ${lat(d.inbound)}${d.unmarked ? `; ${d.unmarked} appends unmarked` : ''}
                      inside Switchplane (ws 'message' → append written): ${lat(run.handler, 3)}
outbound ms           playout lateness (release − due): ${lat(run.lateness, 2)}; frames late (released > ${TARGET.lateMs} ms after due, the fork lead: after their play time): ${n(run.lateness.over)}
                      mock delta → first frame at the client (2 loopback hops): ${lat(d.firstFrame)}; ${d.firstFrameSkipped} responses not measured
                      at the client: ${n(d.spurts)} talk spurts; inter-arrival ${lat(d.gaps)}; gaps > 40 ms ${n(d.gaps.over)}; frames > 20 ms behind the spurt's grid ${n(d.behind.over)} (max ${n(d.behind.max, 1)})
whole run (ramps in)  inbound ${lat(d.inboundAll)}; playout lateness ${lat(run.latenessAll, 2)}, late ${n(run.latenessAll.over)}${errors ? `\nerrors reported       ${errors}` : ''}
ceiling               ws echo in this process, ${CALLS} sockets × 50 frames/s each way: RTT p99 ${n(before.done.rtt.p99, 2)} / ${n(after.done.rtt.p99, 2)} ms (before/after); before: CPU ${cpu(before.window, 'socket')}, peers ${peerLoad(before.window, before.done.load)}`);
  const inboundAdded = run.window.lag.p99 + run.handler.p99;
  const worst = Math.max(inboundAdded, run.lateness.p99);
  const floor = (before.done.rtt.p99 + after.done.rtt.p99) / 2;
  const misses = [
    ...(CALLS < TARGET.calls ? [`${CALLS} calls run, not ${TARGET.calls}`] : []),
    ...(run.completed < CALLS ? [`${CALLS - run.completed} calls not completed`] : []),
    ...(!(worst <= TARGET.p99Ms) ? [`p99 ${n(worst, 1)} ms`] : []),
    ...(run.lateness.over > 0 ? [`${run.lateness.over} frames late`] : []),
  ];
  console.log(`\ntarget: ${TARGET.calls} calls, p99 added latency ≤ ${TARGET.p99Ms} ms, 0 frames late: ${misses.length ? `FAIL (${misses.join('; ')})` : 'PASS'}
ratio p99 / ${TARGET.p99Ms} ms:   ${n(worst / TARGET.p99Ms, 2)} (bridge p99 ${n(worst, 1)} ms: inbound loop lag + handler ${n(inboundAdded, 1)}, playout lateness ${n(run.lateness.p99, 1)}; two hops through the peers: inbound ${n(d.inbound.p99, 1)}, first frame ${n(d.firstFrame.p99, 1)}); ` +
    `${n(worst / floor, 1)}× the machine's ws echo p99 (${n(floor, 2)} ms); load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main()
  .then(() => {
    peers.disconnect();
    return exited;
  })
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(`bench:media failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    peers.kill();
    process.exit(1);
  });
