/**
 * `npm run bench:ai`: how many concurrent AI calls the real FreeSWITCH 1.10.12 (/opt/fsrig, with
 * mod_audio_stream) carries through Switchplane to a mock OpenAI Realtime server on this machine,
 * with every caller hearing every answer without holes; and the latency the bridge adds.
 *
 * This process runs the mock Realtime server (test/helpers/mock-realtime.ts); Switchplane
 * (src/main.ts) and FreeSWITCH run in processes of their own (scripts/bench/ai-rig.ts), SIPp
 * places or answers the calls (scripts/bench/ai-sipp.ts) and the callers' RTP is a child process
 * (scripts/bench/ai-callers.ts). Each step of N calls (scripts/bench/ai-step.ts) runs twice: `ai`,
 * the calls forked to Switchplane and answered by the mock, and `tone`, the ceiling: FreeSWITCH
 * alone plays the same answers (tone_stream) to the same number of parked calls with no fork, so
 * the ratio of the two says what the fork and Switchplane cost. Holes and latency are defined in
 * scripts/bench/ai-hearing.ts and printed with the results.
 *
 * N: BENCH_CALLS (comma-separated, run as given), else 10, 25, 50, 100, 150, 200, 300, 400 until
 * an `ai` step fails (a call not up, an answer not heard whole, or a hole). BENCH_RATE calls set
 * up a second (10), BENCH_TURNS answers per call (2). Run it under `flock /tmp/real-switch.lock`:
 * FreeSWITCH's RTP ports are a bench range (test/helpers/rtp-ports.ts BENCH_RTP_RANGES, 1,000
 * ports: 500 legs, one per call), not a test switch's 100 (50 legs).
 */
import { fork } from 'node:child_process';
import { on } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { startMockRealtime } from '../test/helpers/mock-realtime.js';
import { track } from '../test/helpers/child-processes.js';
import type { CallersCommand, CallersMessage } from './bench/ai-callers.js';
import { HOLE_MS, LOUD, passed } from './bench/ai-hearing.js';
import { startAiRig, Teardowns } from './bench/ai-rig.js';
import { ANSWER_MS, runStep, STAGGER_MS, type Callers, type StepResult } from './bench/ai-step.js';

const env = process.env;
const given = env.BENCH_CALLS?.split(',').map(Number);
if (given && !given.every((n) => Number.isInteger(n) && n >= 1 && n <= 400)) throw new Error(`BENCH_CALLS: whole numbers from 1 to 400 (FreeSWITCH's RTP ports), not ${env.BENCH_CALLS}`);
const STEPS = given ?? [10, 25, 50, 100, 150, 200, 300, 400];
const RATE = Number(env.BENCH_RATE ?? 10);
const TURNS = Number(env.BENCH_TURNS ?? 2);
if (!(RATE > 0 && RATE <= 100)) throw new Error(`BENCH_RATE: calls a second from 1 to 100, not ${env.BENCH_RATE}`);
if (!(Number.isInteger(TURNS) && TURNS >= 1 && TURNS <= 10)) throw new Error(`BENCH_TURNS: 1 to 10, not ${env.BENCH_TURNS}`);

/** The callers' child process behind the `Callers` the steps use. */
function startCallers(): Callers & { stop(): void } {
  const child = track(fork(new URL('./bench/ai-callers.ts', import.meta.url).pathname, { execArgv: ['--import', 'tsx'] }));
  const inbox = on(child, 'message');
  const ask = async <K extends CallersMessage['kind']>(cmd: CallersCommand, kind: K) => {
    child.send(cmd);
    const { value } = (await inbox.next()) as IteratorResult<[CallersMessage]>;
    if (value[0].kind !== kind) throw new Error(`expected ${kind} from the callers, got ${value[0].kind}`);
    return value[0] as Extract<CallersMessage, { kind: K }>;
  };
  return {
    open: async (calls) => (await ask({ kind: 'open', calls }, 'opened')).ports,
    start: (media) => child.send({ kind: 'start', media } satisfies CallersCommand),
    speak: (at) => child.send({ kind: 'speak', at } satisfies CallersCommand),
    report: () => ask({ kind: 'report' }, 'report'),
    close: async () => void (await ask({ kind: 'close' }, 'closed')),
    stop: () => child.disconnect(),
  };
}

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function row(n: number, mode: string, r: StepResult): string {
  const f = r.figures;
  return [
    String(n).padStart(4), mode.padEnd(5), `${f.up}/${f.calls}`.padStart(8), `${f.callsWithHoles}`.padStart(6), `${f.holes}`.padStart(6),
    `${fmt(f.worstGapMs)}`.padStart(6), `${f.singles}`.padStart(7), `${f.short}/${f.answers}`.padStart(8), `${fmt(f.worstArrivalGapMs)}`.padStart(8),
    `${fmt(f.latency.p50)}/${fmt(f.latency.p99)}`.padStart(10), `${fmt(r.cpu.freeswitch)}%`.padStart(6), `${fmt(r.cpu.switchplane)}%`.padStart(6),
    `${fmt(r.cpu.callers)}%`.padStart(6), `${fmt(r.callersLag.p99)}`.padStart(5), load().padStart(15), passed(f) ? ' pass' : ' FAIL',
  ].join(' ');
}

async function main(): Promise<void> {
  const td = new Teardowns();
  const callers = startCallers();
  try {
    const mock = await startMockRealtime({
      greeting: { type: 'audio', text: 'Hello.', audio: { toneHz: 440, ms: 400 } },
      turns: Array.from({ length: TURNS }, () => ({ transcript: 'Can I talk to a person please?', steps: [{ type: 'audio' as const, text: 'Of course, one moment please.', audio: { toneHz: 523, ms: ANSWER_MS } }] })),
      chunkMs: 100,
      chunkIntervalMs: 50,
    });
    td.teardown(() => mock.close());
    const caFile = path.join(mkdtempSync(path.join(tmpdir(), 'switchplane-bench-ai-')), 'ca.pem');
    writeFileSync(caFile, mock.ca);
    const rig = await startAiRig(td, mock.baseURL, caFile, Math.max(...STEPS));
    console.log(`bench:ai: real FreeSWITCH 1.10.12 + mod_audio_stream → Switchplane → mock Realtime; node ${process.version}; ${cpus().length} CPUs; ` +
      `FreeSWITCH pid ${rig.pids.freeswitch}, Switchplane pid ${rig.pids.switchplane}; uptime load average ${load()}`);
    console.log(`Per call: ${TURNS} turns; the caller speaks 2.1 s (turns start spread over ${STAGGER_MS} ms across the calls), the answer is ${ANSWER_MS} ms of 523 Hz; calls set up at ${RATE}/s.
Answer: the packets from the first to the last loud one (peak ≥ ${LOUD}) after the caller's turn. Gap: audio missing between two loud packets on the switch's RTP clock
(20 ms per skipped RTP timestamp frame and per silent packet). Hole: a gap over ${HOLE_MS} ms (20 ms beyond the packet interval); single: a one-frame (20 ms) gap.
Short: an answer with over 40 ms less loud audio than sent (or none). Arrival: worst arrival gap at the caller beyond the 20 ms interval (includes the callers' loop lag).
Latency: the first loud packet's arrival − the answer's start at its source: ai, the mock's first audio delta; tone, the bench's uuid_broadcast.
Up: answered (ai: and its Realtime session greeted within 30 s). ai = forked to Switchplane, answered by the mock; tone = the ceiling, FreeSWITCH alone playing the same answer to parked calls (no fork). CPU: % of one core over the turns.
`);
    console.log('   N mode      up  holed  holes  worst singles    short  arrival  lat p50/p99  FS-CPU SP-CPU callrs lag99     load 1/5/15  result');
    let best = 0;
    let bestCeiling = 0;
    for (const n of STEPS) {
      const ai = await runStep(rig, mock, callers, 'ai', n, RATE, TURNS);
      console.log(row(n, 'ai', ai));
      const tone = await runStep(rig, mock, callers, 'tone', n, RATE, TURNS);
      console.log(row(n, 'tone', tone));
      for (const [mode, r] of [['ai', ai], ['tone', tone]] as const) {
        if (r.fsErrors) console.log(`      ${mode}: FreeSWITCH logged ${r.fsErrors} [ERR]/[CRIT] lines, first: ${r.firstError?.slice(0, 200)}`);
        if (r.figures.up < r.figures.calls && r.sippErrors) console.log(`      ${mode}: SIPp errors: ${r.sippErrors.split('\n').slice(-3).join(' | ').slice(0, 300)}`);
      }
      if (passed(ai.figures)) best = n;
      if (passed(tone.figures)) bestCeiling = n;
      if (!given && !passed(ai.figures)) break;
    }
    console.log(`\nhighest N passing (all calls up, every answer heard whole, no hole): ai ${best || 'none'}, ceiling (FreeSWITCH alone) ${bestCeiling || 'none'} of the steps run` +
      (best && bestCeiling ? `; ratio ${(best / bestCeiling).toFixed(2)}` : '') + `; load average ${load()}`);
  } finally {
    callers.stop();
    await td.close();
  }
}

// Exits when done: what the run started is stopped by then, and a handle left open (a socket of
// the mock, a timer) must not keep the process, and the real-switch lock, held.
main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
