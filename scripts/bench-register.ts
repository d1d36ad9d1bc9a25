/**
 * `npm run bench:register`: SIP REGISTERs a second the real FreeSWITCH sustains, by where its
 * directory comes from. Take the real-switch lock: `flock /tmp/real-switch.lock npm run bench:register`.
 *
 * BENCH_USERS (1,000) phones, one SIPp with an injection file (scripts/bench/register-sipp.ts),
 * each REGISTER answered 401 and sent again with digest credentials. Arms (BENCH_ARMS, comma list;
 * default all but `static+`):
 * - `static`: the users written into FreeSWITCH's conf (static XML directory, no xml_curl);
 * - `instant`: mod_xml_curl to a minimal node:http server answering each user's pre-rendered
 *   XML from memory (scripts/bench/register-instant.ts), no `cacheable`;
 * - `nocache`: Switchplane with DIRECTORY_CACHE_MS=0 (FreeSWITCH asks for every REGISTER);
 * - `cache`: Switchplane as shipped (`cacheable` users: FreeSWITCH keeps each for 60 s);
 * - `static+`, `cache+`: the same as `static` and `cache` with the profile settings Switchplane
 *   serves to lift FreeSWITCH's registration ceiling (src/xmlcurl/sofia.ts
 *   registrationSettings) plus BENCH_PROFILE_SETTINGS (`name=value;…`); the other arms get
 *   the stock profile, without them.
 * Every arm registers against the same `internal` profile and users, taken from Switchplane's own
 * answers. Each run starts a fresh FreeSWITCH and lasts BENCH_SECONDS (20); BENCH_RUNS (3) runs
 * per rate, arms alternating (A, B, C, …, A, B, C, …), after a warm-up run of each arm that is not
 * counted (BENCH_WARMUP_SECONDS, 10, at 150/s; 0 skips it). A rate passes when every run has < 1 %
 * failed exchanges and ≥ 95 % of the rate achieved. Rates: BENCH_RATES (comma list), else from
 * 300 up by 50, an arm stopping after its first failing rate; an arm failing its first rate steps
 * down by 50 until one passes (or 100).
 *
 * Prints per run: achieved rate, failures, REGISTER latency (first REGISTER → 200, SIPp
 * `-trace_rtt`) p50/p99 ms, CPU seconds per 1,000 REGISTERs of FreeSWITCH and of the directory
 * server (/proc/<pid>/stat), "SQLite is BUSY/LOCKED" lines, the 1-minute load. Then the table of
 * rates × arms, per arm the highest passing rate and its ratio to `static` and `instant`
 * measured in the same bench, and the targets.
 * BENCH_CPU_PROF=<dir> writes a CPU profile of each Switchplane there (scripts/bench/calls-cpu-profile.ts).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { registrationSettings } from '../src/xmlcurl/sofia.js';
import { freeListenPort } from '../test/helpers/sipp.js';
import { cpuSecondsOf } from './bench/register-switch.js';
import { runArm, type Arm, type ArmId, type RunContext, type RunResult } from './bench/register-arms.js';
import { configurationOf, directoryAnswers, parseSettings, settingsOf, staticDomain, withSettings } from './bench/register-profile.js';
import { printReport } from './bench/register-report.js';
import { benchUsers, loadUsers, startBenchSwitchplane, type BenchSwitchplane } from './bench/register-switchplane.js';

const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const USERS = Number(env.BENCH_USERS ?? 1000);
const RUNS = Number(env.BENCH_RUNS ?? 3);
const FIXED_RATES = env.BENCH_RATES ? env.BENCH_RATES.split(',').map(Number) : undefined;
const WARMUP_SECONDS = Number(env.BENCH_WARMUP_SECONDS ?? 10);
/** Every user asked at least once in a 10 s warm-up of BENCH_USERS (1,000) phones. */
const WARMUP_RATE = 150;
const ALL_ARMS: ArmId[] = ['static', 'instant', 'nocache', 'cache', 'static+', 'cache+'];
// static+ shows the ceiling moving for FreeSWITCH itself; left out by default to keep the bench near 15 min.
const DEFAULT_ARMS: ArmId[] = ['static', 'instant', 'nocache', 'cache', 'cache+'];
const ARM_IDS = (env.BENCH_ARMS ? env.BENCH_ARMS.split(',') : DEFAULT_ARMS) as ArmId[];
const EXTRA = parseSettings(env.BENCH_PROFILE_SETTINGS);
const DOMAIN = 'bench.switchplane.test';
const START_RATE = 300;
const STEP = 50;
const MAX_RATE = 2000;
for (const id of ARM_IDS) if (!ALL_ARMS.includes(id)) throw new Error(`BENCH_ARMS: unknown arm ${id} (${ALL_ARMS.join(', ')})`);

const cleanups: Array<() => Promise<unknown>> = [];
const started = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

async function startInstant(answers: Record<string, string>): Promise<{ url: string; cpuSeconds: () => number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./bench/register-instant.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanups.push(async () => void child.kill());
  child.stdin.end(JSON.stringify(answers));
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${Number(line.toString().trim())}/freeswitch/xml`, cpuSeconds: () => cpuSecondsOf(child.pid!) };
}

try {
  const sipPort = await freeListenPort();
  const profileDir = env.BENCH_CPU_PROF;
  const profiling: Record<string, string> = profileDir ? { BENCH_CPU_PROF: profileDir, NODE_OPTIONS: `--import tsx --import ${new URL('./bench/calls-cpu-profile.ts', import.meta.url).pathname}` } : {};
  const spEnv = { SOFIA_WSS_PORT: '0', SOFIA_WS_PORT: '0', ...profiling };
  const needs = (...ids: ArmId[]) => ids.some((id) => ARM_IDS.includes(id));
  log('starting Switchplane (no user cache, and cacheable users)');
  const [spNoCache, spCache] = await Promise.all([
    startBenchSwitchplane(sipPort, { ...spEnv, DIRECTORY_CACHE_MS: '0' }),
    needs('cache', 'cache+') ? startBenchSwitchplane(sipPort, spEnv) : Promise.resolve(undefined),
  ]);
  for (const sp of [spNoCache, spCache]) if (sp) cleanups.push(() => sp.stop());
  log('Switchplane started; making the users');
  const users = benchUsers(USERS);
  await Promise.all([loadUsers(spNoCache.sp, DOMAIN, users), spCache ? loadUsers(spCache.sp, DOMAIN, users) : undefined]);
  log(`${USERS} users made in each Switchplane`);

  const served = configurationOf(await spNoCache.lookup({ section: 'configuration', tag_name: 'configuration', key_name: 'name', key_value: 'sofia.conf', profile: 'internal' }));
  const tuning = registrationSettings({ maxRecvRequestsPerSecond: 0 }); // the names only: the stock profile goes without them
  const sofiaConf = { stock: withSettings(served, [...tuning.global, ...tuning.internal].map(([n]) => n), []), tuned: withSettings(served, [], EXTRA) };
  const answers = await directoryAnswers(spNoCache.lookup, DOMAIN, users);
  const instant = needs('instant') ? await startInstant(answers) : undefined;
  const tunedOnly = [...settingsOf(sofiaConf.tuned)].filter(([n, v]) => settingsOf(sofiaConf.stock).get(n) !== v);
  log(`profile settings of the + arms: ${tunedOnly.map(([n, v]) => `${n}=${v}`).join(', ') || '(none: same as stock)'}`);

  const sp = (s: BenchSwitchplane | undefined) => ({ kind: 'switchplane' as const, sp: s! });
  const arms: Arm[] = ([
    { id: 'static', label: 'static XML directory', tuned: false, directory: { kind: 'static' } },
    { id: 'instant', label: 'xml_curl to an instant server', tuned: false, directory: { kind: 'instant', url: () => instant!.url, cpuSeconds: () => instant!.cpuSeconds() } },
    { id: 'nocache', label: 'Switchplane, no user cache', tuned: false, directory: sp(spNoCache) },
    { id: 'cache', label: 'Switchplane, cacheable users', tuned: false, directory: sp(spCache) },
    { id: 'static+', label: 'static XML directory + profile settings', tuned: true, directory: { kind: 'static' } },
    { id: 'cache+', label: 'Switchplane, cacheable users + profile settings', tuned: true, directory: sp(spCache) },
  ] satisfies Arm[]).filter((a) => ARM_IDS.includes(a.id));

  const ctx = (arm: Arm): RunContext => ({
    domain: DOMAIN,
    users,
    seconds: SECONDS,
    sofiaConf,
    staticDirectory: staticDomain(DOMAIN, answers),
    spareEslPort: sipPort + 2,
  });
  const results: RunResult[] = [];
  const runRate = async (rate: number, group: Arm[]) => {
    for (let run = 1; run <= RUNS; run++) {
      for (const arm of group) {
        const r = await runArm(arm, rate, ctx(arm));
        results.push(r);
        log(`${arm.id.padEnd(8)} ${rate}/s run ${run}: ${r.achieved.toFixed(0)}/s, ${r.failed} failed of ${r.offered}, p50 ${r.p50} ms p99 ${r.p99} ms, ` +
          `CPU/1000: FreeSWITCH ${r.fsCpuPer1000.toFixed(2)} s, server ${r.serverCpuPer1000?.toFixed(2) ?? '-'} s, BUSY ${r.busyLines}, load ${r.load1.toFixed(2)} ${r.passed ? 'pass' : 'FAIL'}`);
      }
    }
    return group.filter((a) => results.filter((r) => r.arm === a.id && r.rate === rate).every((r) => r.passed));
  };

  // A directory server's first run under load was its slowest (the instant server's p50 364 ms at
  // 300/s, then 4 ms): a warm-up run per arm, not counted, so that no verdict rests on it.
  if (WARMUP_SECONDS > 0) {
    for (const arm of arms) {
      const r = await runArm(arm, WARMUP_RATE, { ...ctx(arm), seconds: WARMUP_SECONDS });
      log(`${arm.id.padEnd(8)} warm-up ${WARMUP_RATE}/s for ${WARMUP_SECONDS} s: ${r.achieved.toFixed(0)}/s, ${r.failed} failed of ${r.offered} (not counted)`);
    }
  }

  if (FIXED_RATES) {
    for (const rate of FIXED_RATES) await runRate(rate, arms);
  } else {
    let active = arms;
    for (let rate = START_RATE; active.length > 0 && rate <= MAX_RATE; rate += STEP) active = await runRate(rate, active);
    // An arm that failed the first rate (any of its runs): lower until one passes.
    let low = arms.filter((a) => !results.filter((r) => r.arm === a.id && r.rate === START_RATE).every((r) => r.passed));
    for (let rate = START_RATE - STEP; low.length > 0 && rate >= 100; rate -= STEP) {
      const passed = await runRate(rate, low);
      low = low.filter((a) => !passed.includes(a));
    }
  }
  printReport({ arms, results, runs: RUNS, seconds: SECONDS, users: USERS, cores: cpus().length, load: loadavg() });
} finally {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
}

