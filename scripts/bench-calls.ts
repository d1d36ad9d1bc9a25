/**
 * `npm run bench:calls`: calls a second the real FreeSWITCH completes with Switchplane's
 * dialplan, against the same routing from a static XML configuration on the same machine.
 *
 * Arms (scripts/bench/calls-rig.ts): `switchplane`, FreeSWITCH configured by Switchplane over
 * mod_xml_curl (directory, dialplan, profiles), with Switchplane on the event socket and
 * mod_json_cdr posting every leg, CDRs written to PostgreSQL (BENCH_DATABASE_URL, else
 * DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres; a fresh database, dropped
 * after); `static`, a second FreeSWITCH with the same switch config, no mod_xml_curl, and the
 * directory, external profile and DID context Switchplane serves for the bench's customer written
 * to its conf (scripts/bench/calls-static-conf.ts).
 * Flows: 1, a carrier's call (SIPp UAC on the external profile) to a DID routed to extension
 * 1002, answered by a SIPp UAS registered as 1002; 2, extension 1001 (SIPp UAC, digest auth)
 * calling an E.164 number out through the trunk (gateway with register=false) to a SIPp UAS
 * playing the carrier. Every call is held HOLD_MS (2 s) with SDP offered and answered but no RTP
 * sent, then hung up by the caller.
 *
 * Each flow steps through BENCH_RATES (calls/s, comma-separated; default 10,20,30,40,50): per
 * rate BENCH_RUNS (3) runs of BENCH_SECONDS (20) per arm, alternating static, switchplane, static, ...; a run
 * passes with < 1 % of the due calls failed, ≥ 95 % of the rate achieved (calls answered ÷ (first
 * → last 200 OK + 1/rate)) and, on Switchplane's arm, one CDR row
 * per leg FreeSWITCH created in the run (`status` sessions since startup; Switchplane stores one
 * row per leg, src/cdr/). An arm stops at its first failing rate (the rest of its runs there are
 * skipped); a flow also stops stepping up once BENCH_BUDGET_SECONDS (420) have gone on it.
 * BENCH_CPU_PROF=<dir> writes a CPU profile of Switchplane there (scripts/bench/calls-cpu-profile.ts).
 * BENCH_KEEP_LOGS=<dir> keeps there each run's SIPp files (`<scenario>-<arm>-<rate>-<ms>/errors.log`:
 * the SIP responses of failed calls), and at the end both FreeSWITCH logs and Switchplane's output.
 *
 * Prints every run, then per flow and arm: highest passing rate, the ratio switchplane/static,
 * call setup p50/p99 (SIPp response time: the first INVITE to the 200 OK) and CPU seconds per
 * 1,000 calls of FreeSWITCH and Switchplane at that rate, and the CDR check. Target: switchplane
 * ≥ 0.95 × static in both flows, every CDR written.
 */
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { CARRIER_CALLER, DID, OUTBOUND_DEST, RTP_CALLS_AT_ONCE, startRig, type Arm, type Rig } from './bench/calls-rig.js';
import { HOLD_MS, measure, type Flow, type RunResult } from './bench/calls-run.js';
import { benchScenario, runLoad } from './bench/calls-sipp.js';

const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const RATES = (env.BENCH_RATES ?? '10,20,30,40,50').split(',').map(Number);
const BUDGET_S = Number(env.BENCH_BUDGET_SECONDS ?? 420);
const RUNS = Number(env.BENCH_RUNS ?? 3);
const KEEP_LOGS = env.BENCH_KEEP_LOGS;
const SERVER_URL = env.BENCH_DATABASE_URL ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!(SECONDS > 0) || RATES.some((r) => !(r > 0))) throw new Error('BENCH_SECONDS and BENCH_RATES must be positive numbers');
// Calls up at once: the hold plus up to a second of setup and teardown each. Past the switches' RTP
// ports a call fails in FreeSWITCH whatever serves its dialplan.
if (Math.max(...RATES) * (HOLD_MS / 1000 + 1) > RTP_CALLS_AT_ONCE) {
  throw new Error(`BENCH_RATES up to ${Math.max(...RATES)} calls/s hold more calls at once than the switches' RTP ports carry (${RTP_CALLS_AT_ONCE}): widen RTP_PORTS in scripts/bench/calls-rig.ts`);
}

const sipp = (scenario: string, remote: (a: Arm) => string, vars: (rig: Rig) => Record<string, string | number>, auth?: (rig: Rig) => { user: string; password: string }) =>
  (rig: Rig): Flow['load'] => (arm, rate, seconds) =>
    runLoad({ scenario: benchScenario(scenario), remote: remote(arm), rate, seconds, limit: Math.max(50, rate * 10), graceSeconds: 45,
      vars: { ...vars(rig), HOLD_MS }, ...(auth ? { auth: auth(rig) } : {}),
      ...(KEEP_LOGS ? { keepIn: path.join(KEEP_LOGS, `${path.basename(scenario, '.xml')}-${arm.name}-${rate}-${Date.now()}`) } : {}) });

const FLOWS = [
  { name: 'flow 1: carrier → DID → registered extension', make: sipp('calls-carrier-uac.xml', (a) => a.carrierSide, () => ({ DID, CALLER: CARRIER_CALLER })) },
  { name: 'flow 2: extension (digest) → trunk → carrier', make: sipp('calls-phone-uac.xml', (a) => a.registrar,
    (rig) => ({ USER: rig.caller.user, DOMAIN: rig.domain, DEST: OUTBOUND_DEST }), (rig) => rig.caller) },
];

const fmt = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function line(r: RunResult): string {
  const cdr = r.cdrRows === undefined ? '' : ` CDR rows ${r.cdrRows}/${r.legs} legs${r.unattributed ? ` (unattributed total ${r.unattributed})` : ''}`;
  const cpu = `CPU s FS ${fmt(r.cpu.freeswitch, 1)}${r.cpu.switchplane === undefined ? '' : ` SP ${fmt(r.cpu.switchplane, 1)}`}`;
  return `  ${r.arm.padEnd(11)} ${r.rate} calls/s: ${r.successful}/${r.due} ok (${fmt(r.failedPct, 1)} % failed), achieved ${fmt(r.achieved, 1)}/s, ` +
    `setup p50 ${fmt(pct(r.setupMs, 50))} p99 ${fmt(pct(r.setupMs, 99))} ms, legs ${r.legs}, ${cpu};${cdr} load ${fmt(r.load, 2)} ${r.passed ? 'PASS' : 'FAIL'}`;
}

interface ArmSummary { best: number; runs: RunResult[]; failedAt?: number }

async function searchFlow(rig: Rig, flow: Flow): Promise<Record<Arm['name'], ArmSummary>> {
  const summary: Record<Arm['name'], ArmSummary> = { static: { best: 0, runs: [] }, switchplane: { best: 0, runs: [] } };
  const started = Date.now();
  for (const arm of rig.arms) {
    const warm = await measure(rig, arm, flow, 5, 2);
    console.log(`  warm-up${line(warm).slice(1)}`);
    if (warm.successful < warm.due) throw new Error(`${arm.name}: the warm-up calls did not all complete; the routing is broken`);
  }
  for (const rate of RATES) {
    const active = rig.arms.filter((a) => summary[a.name].failedAt === undefined);
    if (active.length === 0) break;
    if ((Date.now() - started) / 1000 > BUDGET_S) {
      console.log(`  time budget of ${BUDGET_S} s spent: not stepping up to ${rate} calls/s`);
      break;
    }
    const runs: Record<string, RunResult[]> = { static: [], switchplane: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const arm of active) {
        if (runs[arm.name]!.some((r) => !r.passed)) continue;
        const r = await measure(rig, arm, flow, rate, SECONDS);
        runs[arm.name]!.push(r);
        console.log(line(r));
      }
    }
    for (const arm of active) {
      const s = summary[arm.name];
      if (runs[arm.name]!.every((r) => r.passed)) [s.best, s.runs] = [rate, runs[arm.name]!];
      else s.failedAt = rate;
    }
  }
  return summary;
}

function report(name: string, s: Record<Arm['name'], ArmSummary>): boolean {
  const ratio = s.static.best > 0 ? s.switchplane.best / s.static.best : NaN;
  console.log(`\n${name}`);
  console.log('  arm          highest passing  setup p50/p99 ms   FS CPU s/1k calls  SP CPU s/1k calls  CDR rows / legs');
  for (const arm of ['static', 'switchplane'] as const) {
    const { best, runs, failedAt } = s[arm];
    const calls = runs.reduce((n, r) => n + r.successful, 0);
    const setup = runs.flatMap((r) => r.setupMs).sort((a, b) => a - b);
    const per1k = (k: 'freeswitch' | 'switchplane') => (calls ? (1000 * runs.reduce((n, r) => n + (r.cpu[k] ?? 0), 0)) / calls : NaN);
    const rows = runs.reduce((n, r) => n + (r.cdrRows ?? 0), 0);
    const legs = runs.reduce((n, r) => n + r.legs, 0);
    const bestText = `${best ? `${best} calls/s` : 'none'}${failedAt ? ` (failed ${failedAt})` : ' (not failed)'}`;
    console.log(`  ${arm.padEnd(12)} ${bestText.padEnd(16)} ${`${fmt(pct(setup, 50))} / ${fmt(pct(setup, 99))}`.padEnd(18)} ` +
      `${fmt(per1k('freeswitch'), 2).padEnd(18)} ${arm === 'switchplane' ? fmt(per1k('switchplane'), 2).padEnd(18) : '-'.padEnd(18)} ` +
      `${arm === 'switchplane' ? `${rows} / ${legs}` : '-'}`);
  }
  console.log(`  ratio switchplane/static: ${fmt(ratio, 2)}`);
  return ratio >= 0.95;
}

async function main(): Promise<void> {
  const profileDir = env.BENCH_CPU_PROF;
  console.log(`bench:calls: ${SECONDS} s runs, rates ${RATES.join(', ')} calls/s, ${RUNS} runs a rate and arm, calls held ${HOLD_MS / 1000} s with no RTP; ` +
    `${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rig = await startRig(SERVER_URL, profileDir ? { BENCH_CPU_PROF: profileDir, NODE_OPTIONS: `--import tsx --import ${new URL('./bench/calls-cpu-profile.ts', import.meta.url).pathname}` } : {});
  try {
    let met = true;
    const results: Array<[string, Record<Arm['name'], ArmSummary>]> = [];
    for (const f of FLOWS) {
      console.log(`\n${f.name}`);
      results.push([f.name, await searchFlow(rig, { name: f.name, load: f.make(rig) })]);
    }
    for (const [name, s] of results) met = report(name, s) && met;
    const cdrsOk = results.every(([, s]) => s.switchplane.runs.every((r) => r.cdrRows === r.legs));
    console.log(`\ntarget: switchplane ≥ 0.95 × static in both flows, CDR rows = legs: ${met && cdrsOk ? 'met' : 'NOT met'} ` +
      `(load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  } finally {
    if (KEEP_LOGS) rig.keepLogs(KEEP_LOGS);
    await rig.close();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(`bench:calls failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
