/**
 * One step of `npm run bench:ai`: N concurrent calls on the real switch, in one of two modes.
 * - `ai`: a carrier (SIPp) calls N AI numbers; each call is forked by mod_audio_stream to
 *   Switchplane and bridged to the mock Realtime server, which greets briefly. Once every call is
 *   up, TURNS times, each caller says CALLER_SAYS (the calls start it spread over STAGGER_MS), the
 *   mock's server VAD ends the turn and it answers with ANSWER_MS of a 523 Hz tone, streamed as
 *   100 ms deltas every 50 ms (twice real time); Switchplane plays it back through mod_audio_stream's
 *   files.
 * - `tone` (the ceiling): FreeSWITCH originates N calls to a SIPp phone with the same RTP callers
 *   and parks them, no fork; at the same moments as the AI answers (the utterance's length plus
 *   the VAD's 500 ms after each turn's start) the bench sends `uuid_broadcast <uuid>
 *   tone_stream://%(ANSWER_MS,0,523) aleg`: the switch alone plays the same answer.
 * Measured from the first turn to the report: CPU of FreeSWITCH, Switchplane and the callers; per
 * call, what it heard of each answer (scripts/bench/ai-hearing.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { MockRealtime, MockSession } from '../../test/helpers/mock-realtime.js';
import { durationMs, readWav } from '../../test/helpers/wav.js';
import { CALLER_SAYS, type CallRecord } from './ai-callers.js';
import { figures, hear, type AnswerWindow, type StepFigures } from './ai-hearing.js';
import { aiNumber, cpuMs, type AiRig } from './ai-rig.js';
import { startBenchSipp } from './ai-sipp.js';
import { wallMs } from './media-stats.js';

export const ANSWER_MS = 3000;
export const STAGGER_MS = 1000;
/** The mock's server VAD ends a turn after this much quiet, ms (its default, which Switchplane keeps). */
const VAD_SILENCE_MS = 500;
const SPEECH_MS = durationMs(readWav(CALLER_SAYS));
/** From one turn's start to the next's: the last caller's utterance, the VAD, the answer, and slack. */
const TURN_MS = STAGGER_MS + SPEECH_MS + VAD_SILENCE_MS + ANSWER_MS + 1500;

/** The callers' process, as the step drives it. */
export interface Callers {
  open(calls: number): Promise<number[]>;
  start(media: Array<[number, number]>): void;
  speak(at: Array<number | null>): void;
  report(): Promise<{ calls: CallRecord[]; lag: { p99: number; max: number }; cpuMs: number }>;
  close(): Promise<void>;
}

export interface StepResult {
  figures: StepFigures;
  /** CPU over the measured window, % of one core. */
  cpu: { freeswitch: number; switchplane: number; callers: number };
  callersLag: { p99: number; max: number };
  /** FreeSWITCH [ERR]/[CRIT] lines logged during the step, and the first of them. */
  fsErrors: number;
  firstError: string | undefined;
  sippErrors: string;
}

/** A line on stderr about where a step is (stdout holds the results). */
const progress = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** Each session's responses' first audio delta, wallMs, in the order they started; keyed by the DID its instructions name. */
function watchSessions(mock: MockRealtime): { byDid: Map<string, number[]>; stop(): void } {
  const byDid = new Map<string, number[]>();
  const onSession = (session: MockSession) => {
    const firsts: number[] = [];
    let response = '';
    session.on('received', (r) => {
      if (r.type === 'session.update') {
        const did = /\+15550100\d{3}/.exec(JSON.stringify(r.event))?.[0];
        if (did) byDid.set(did, firsts);
      }
      session.received.length = 0;
      session.appends.length = 0;
    });
    session.on('sent', (r) => {
      if (r.type === 'response.output_audio.delta' && r.event.response_id !== response) {
        response = String(r.event.response_id);
        firsts.push(performance.timeOrigin + r.at);
      }
      session.sent.length = 0;
      session.deltas.length = 0;
    });
  };
  mock.on('session', onSession);
  return { byDid, stop: () => void mock.off('session', onSession) };
}

/** Runs one step of `n` calls; `rate` calls set up a second, `turns` answers per call. */
export async function runStep(rig: AiRig, mock: MockRealtime, callers: Callers, mode: 'ai' | 'tone', n: number, rate: number, turns: number): Promise<StepResult> {
  const dir = mkdtempSync(path.join(tmpdir(), `switchplane-bench-ai-${mode}-`));
  const ports = await callers.open(n);
  const sessions = watchSessions(mock);
  const logFrom = rig.rs.fs.log().length;
  const uuids = ports.map(() => randomUUID());
  if (mode === 'ai') await rig.numbers(n);
  const sipp = await startBenchSipp(mode === 'ai'
    ? { dir, mode: 'carrier', remote: rig.rs.carrierSide, rate, calls: ports.map((mediaPort, i) => ({ did: aiNumber(i), mediaPort, caller: `+1555777${String(i).padStart(4, '0')}` })) }
    : { dir, mode: 'phone' });
  try {
    if (mode === 'tone') {
      for (const [i, port] of ports.entries()) {
        await rig.esl.bgapi(`originate {origination_uuid=${uuids[i]},ignore_early_media=true,absolute_codec_string=PCMU}sofia/external/${port}@127.0.0.1:${sipp.port} &park()`);
        await sleep(1000 / rate);
      }
    }
    // Calls come up: start each caller's RTP once its SDP exchange is done.
    const started = new Set<number>();
    const deadline = wallMs() + (n / rate) * 1000 + 30_000;
    while (started.size < n && wallMs() < deadline) {
      const fresh = [...sipp.answered()].filter(([media]) => !started.has(media));
      for (const [media] of fresh) started.add(media);
      if (fresh.length) callers.start(fresh);
      await sleep(200);
    }
    // An AI call is up once its Realtime session greeted (its first audio delta sent): the fork
    // and the session can take seconds on a loaded machine, and a caller speaking before would not be heard.
    const greeted = (i: number) => mode === 'tone' || (sessions.byDid.get(aiNumber(i))?.length ?? 0) > 0;
    for (const end = wallMs() + 30_000; wallMs() < end && !ports.every((p, i) => !started.has(p) || greeted(i)); ) await sleep(200);
    const up = ports.map((p, i) => started.has(p) && greeted(i));
    progress(`${mode} ${n}: ${started.size}/${n} calls answered, ${up.filter(Boolean).length} up`);
    await sleep(1000); // the last greetings played
    const cpu0 = { fs: cpuMs(rig.pids.freeswitch), sp: cpuMs(rig.pids.switchplane), at: wallMs() };
    const broadcasts: number[][] = ports.map(() => []);
    const timers: NodeJS.Timeout[] = [];
    for (let k = 0; k < turns; k++) {
      const base = wallMs() + 200;
      const at = ports.map((_, i) => (up[i] ? base + (i * STAGGER_MS) / n : null));
      if (mode === 'ai') callers.speak(at);
      else {
        for (const [i, t] of at.entries()) {
          if (t === null) continue;
          timers.push(setTimeout(() => {
            broadcasts[i]!.push(wallMs());
            void rig.esl.api(`uuid_broadcast ${uuids[i]} tone_stream://%(${ANSWER_MS},0,523) aleg`);
          }, t + SPEECH_MS + VAD_SILENCE_MS - wallMs()));
        }
      }
      await sleep(TURN_MS);
    }
    const report = await callers.report();
    progress(`${mode} ${n}: turns done, hanging up`);
    const wall = wallMs() - cpu0.at;
    const pct = (ms: number) => (ms / wall) * 100;
    const perCall = report.calls.map((call, i) => {
      if (!up[i]) return { up: false, answers: [] };
      const firsts = sessions.byDid.get(aiNumber(i)) ?? [];
      const answers = Array.from({ length: turns }, (_, k) => {
        const w: AnswerWindow = mode === 'ai'
          ? { from: call.spoke[k]?.end ?? Infinity, to: call.spoke[k + 1]?.start ?? Infinity, sourceAt: firsts[k + 1], expectedMs: ANSWER_MS }
          : { from: broadcasts[i]![k] ?? Infinity, to: broadcasts[i]![k + 1] ?? Infinity, sourceAt: broadcasts[i]![k], expectedMs: ANSWER_MS };
        return { ...hear(call, w), expectedMs: ANSWER_MS };
      });
      return { up: true, answers };
    });
    const errors = rig.rs.fs.log().slice(logFrom).split('\n').filter((l) => /\[ERR\]|\[CRIT\]/.test(l));
    const result: StepResult = {
      figures: figures(perCall),
      cpu: { freeswitch: pct(cpuMs(rig.pids.freeswitch) - cpu0.fs), switchplane: pct(cpuMs(rig.pids.switchplane) - cpu0.sp), callers: pct(report.cpuMs) },
      callersLag: report.lag,
      fsErrors: errors.length,
      firstError: errors[0],
      sippErrors: sipp.errors(),
    };
    for (const t of timers) clearTimeout(t);
    if (process.env.BENCH_DEBUG) {
      const file = path.join(tmpdir(), `bench-ai-debug-${mode}-${n}.json`);
      writeFileSync(file, JSON.stringify({
        calls: report.calls.map((c, i) => ({
          up: up[i], packets: c.at.length, loud: c.peak.filter((p) => p >= 500).length, firstAt: c.at[0], lastAt: c.at.at(-1), spoke: c.spoke,
          firsts: sessions.byDid.get(aiNumber(i)), broadcasts: broadcasts[i], answers: perCall[i]!.answers,
        })),
        dids: [...sessions.byDid.keys()],
        switchplane: rig.rs.sp.output().split('\n').slice(-40),
        freeswitch: rig.rs.fs.log().slice(logFrom).split('\n').filter((l) => /ERR|WARN|audio_stream|originate|Hangup/i.test(l)).slice(-60),
        sipp: sipp.errors(),
      }, null, 1));
      progress(`${mode} ${n}: diagnostics in ${file}`);
    }
    return result;
  } finally {
    sessions.stop();
    await rig.esl.api('hupall NORMAL_CLEARING');
    for (const end = wallMs() + 20_000; wallMs() < end; await sleep(250)) {
      if (/^0 total/m.test(await rig.esl.api('show channels count'))) break;
    }
    await sipp.stop();
    await callers.close();
    mock.sessions.length = 0;
    rmSync(dir, { recursive: true, force: true });
    progress(`${mode} ${n}: hung up`);
  }
}
