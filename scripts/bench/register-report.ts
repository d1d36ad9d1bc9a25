/**
 * What `npm run bench:register` prints at the end: the rates × arms table (passes out of runs,
 * the lowest achieved rate of a failing one), per arm its highest passing rate with the ratios to
 * the `static` and `instant` ceilings of the same bench, latency and CPU at that rate, and the
 * targets.
 */
import type { Arm, ArmId, RunResult } from './register-arms.js';

export interface Report {
  arms: Arm[];
  results: RunResult[];
  runs: number;
  seconds: number;
  users: number;
  cores: number;
  load: number[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface ArmSummary {
  best: number | null;
  p50: number;
  p99: number;
  fsCpu: number;
  serverCpu: number | null;
  busy: number;
}

function summarize(results: RunResult[], id: ArmId, runs: number): ArmSummary | undefined {
  const mine = results.filter((r) => r.arm === id);
  if (mine.length === 0) return undefined;
  const rates = [...new Set(mine.map((r) => r.rate))];
  const passing = rates.filter((rate) => {
    const at = mine.filter((r) => r.rate === rate);
    return at.length >= runs && at.every((r) => r.passed);
  });
  const best = passing.length ? Math.max(...passing) : null;
  const at = mine.filter((r) => r.rate === (best ?? Math.min(...rates)));
  const server = at.map((r) => r.serverCpuPer1000).filter((c): c is number => c !== null);
  return {
    best,
    p50: median(at.map((r) => r.p50)),
    p99: median(at.map((r) => r.p99)),
    fsCpu: mean(at.map((r) => r.fsCpuPer1000)),
    serverCpu: server.length ? mean(server) : null,
    busy: mean(mine.map((r) => r.busyLines)),
  };
}

function cell(results: RunResult[], id: ArmId, rate: number, runs: number): string {
  const at = results.filter((r) => r.arm === id && r.rate === rate);
  if (at.length === 0) return '—';
  const passed = at.filter((r) => r.passed).length;
  if (passed === at.length && at.length >= runs) return `pass ${passed}/${at.length}`;
  if (passed > 0) return `${passed}/${at.length}`;
  return `fail 0/${at.length} (${Math.min(...at.map((r) => r.achieved)).toFixed(0)}/s lowest)`;
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? (a / b).toFixed(2) : '-');

export function printReport(rep: Report): void {
  const { arms, results, runs } = rep;
  console.log(`\n${rep.users} users, ${rep.seconds} s per run, ${runs} runs per rate, ${rep.cores} cores, load average at the end ${rep.load.map((l) => l.toFixed(2)).join(' ')}`);
  const rates = [...new Set(results.map((r) => r.rate))].sort((a, b) => a - b);
  console.log(`\n| REGISTER/s | ${arms.map((a) => a.label).join(' | ')} |`);
  console.log(`|---|${arms.map(() => '---').join('|')}|`);
  for (const rate of rates) console.log(`| ${rate} | ${arms.map((a) => cell(results, a.id, rate, runs)).join(' | ')} |`);

  const s = Object.fromEntries(arms.map((a) => [a.id, summarize(results, a.id, runs)])) as Partial<Record<ArmId, ArmSummary>>;
  console.log('\n| arm | highest passing rate | ÷ static | ÷ instant | p50 ms | p99 ms | FreeSWITCH CPU s/1000 | server CPU s/1000 | SQLite BUSY lines/run |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const a of arms) {
    const x = s[a.id]!;
    console.log(`| ${a.label} | ${x.best ?? 'none'} | ${ratio(x.best, s.static?.best)} | ${ratio(x.best, s.instant?.best)} | ${x.p50} | ${x.p99} | ${x.fsCpu.toFixed(2)} | ${x.serverCpu?.toFixed(2) ?? '-'} | ${x.busy.toFixed(0)} |`);
  }
  console.log('(latency and CPU at the arm\'s highest passing rate, else its lowest rate; p50/p99 the median over its runs)');

  const target = (name: string, ok: boolean | undefined) => console.log(`${name}: ${ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met'}`);
  console.log('\ntargets');
  const nc = s.nocache, inst = s.instant, st = s.static;
  target('Switchplane without cache ≥ 0.95× the instant server in rate', nc && inst ? (nc.best ?? 0) >= 0.95 * (inst.best ?? Infinity) : undefined);
  target('Switchplane without cache within 2× the instant server\'s REGISTER p50', nc && inst ? nc.p50 <= 2 * inst.p50 : undefined);
  target('Switchplane with cache ≥ 1.0× static, stock profile', s.cache && st ? (s.cache.best ?? 0) >= (st.best ?? Infinity) : undefined);
  target('Switchplane with cache ≥ 1.25× static (stock), with the profile settings Switchplane serves', s['cache+'] && st ? (s['cache+'].best ?? 0) >= 1.25 * (st.best ?? Infinity) : undefined);
}
