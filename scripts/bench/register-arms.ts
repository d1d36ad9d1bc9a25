/**
 * The arms of `npm run bench:register` and one run of an arm: a fresh FreeSWITCH with that arm's
 * directory and profile, BENCH_SECONDS of REGISTERs at a rate from SIPp, the CPU the switch and
 * the directory server used, the "SQLite is BUSY/LOCKED" lines FreeSWITCH logged.
 */
import { loadavg } from 'node:os';
import { eventually } from '../../test/helpers/eventually.js';
import type { BenchSwitchplane } from './register-switchplane.js';
import { registerAt, type BenchUser, type RegisterRun } from './register-sipp.js';
import { startSwitch } from './register-switch.js';

export type ArmId = 'static' | 'instant' | 'nocache' | 'cache' | 'static+' | 'cache+';

export interface Arm {
  id: ArmId;
  label: string;
  /** The profile with the settings Switchplane serves to lift the ceiling (else the stock one). */
  tuned: boolean;
  /** The directory: static XML, the instant server, or a Switchplane. */
  directory: { kind: 'static' } | { kind: 'instant'; url: () => string; cpuSeconds: () => number } | { kind: 'switchplane'; sp: BenchSwitchplane };
}

export interface RunResult extends RegisterRun {
  arm: ArmId;
  rate: number;
  /** CPU seconds per 1,000 successful REGISTER exchanges. */
  fsCpuPer1000: number;
  serverCpuPer1000: number | null;
  busyLines: number;
  load1: number;
  passed: boolean;
}

export interface RunContext {
  domain: string;
  users: BenchUser[];
  seconds: number;
  sofiaConf: { stock: string; tuned: string };
  staticDirectory: string;
  /** The event socket port of runs without a Switchplane (nobody connects to it). */
  spareEslPort: number;
}

/** < 1 % failed and ≥ 95 % of the rate achieved. */
export const passes = (r: RegisterRun, rate: number): boolean => r.failed < 0.01 * r.offered && r.achieved >= 0.95 * rate;

async function eslConnected(sp: BenchSwitchplane): Promise<void> {
  await eventually('Switchplane connected to the event socket', async () => {
    const health = (await (await fetch(`${sp.sp.url}/health`)).json()) as { esl: Array<{ connected: boolean }> };
    return health.esl.every((n) => n.connected);
  }, { timeoutMs: 30_000, intervalMs: 100 });
}

/** One run of `arm` at `rate` REGISTER exchanges a second. */
export async function runArm(arm: Arm, rate: number, ctx: RunContext): Promise<RunResult> {
  const d = arm.directory;
  const sw = await startSwitch({
    sofiaConf: arm.tuned ? ctx.sofiaConf.tuned : ctx.sofiaConf.stock,
    eslPort: d.kind === 'switchplane' ? d.sp.eslPort : ctx.spareEslPort,
    ...(d.kind === 'static' ? { staticDirectory: ctx.staticDirectory } : {}),
    ...(d.kind === 'instant' ? { xmlCurlUrl: d.url() } : {}),
    ...(d.kind === 'switchplane' ? { xmlCurlUrl: d.sp.xmlCurlUrl, xmlCurlCredentials: d.sp.credentials } : {}),
  });
  try {
    if (d.kind === 'switchplane') await eslConnected(d.sp);
    const serverCpu = d.kind === 'static' ? () => 0 : d.kind === 'instant' ? d.cpuSeconds : () => d.sp.cpuSeconds();
    const fs0 = sw.cpuSeconds();
    const server0 = serverCpu();
    const r = await registerAt(`127.0.0.1:${sipPortOf(ctx.sofiaConf.stock)}`, ctx.domain, ctx.users, rate, ctx.seconds);
    const per1000 = (cpu: number) => (r.successful > 0 ? (1000 * cpu) / r.successful : NaN);
    return {
      ...r,
      arm: arm.id,
      rate,
      fsCpuPer1000: per1000(sw.cpuSeconds() - fs0),
      serverCpuPer1000: d.kind === 'static' ? null : per1000(serverCpu() - server0),
      busyLines: sw.countLog(/SQLite is (BUSY|LOCKED)/),
      load1: loadavg()[0]!,
      passed: passes(r, rate),
    };
  } finally {
    await sw.stop();
  }
}

/** The `sip-port` of the profile in a sofia.conf. */
export function sipPortOf(conf: string): number {
  const port = /<param name="sip-port" value="(\d+)"\/>/.exec(conf)?.[1];
  if (!port) throw new Error('the profile has no sip-port');
  return Number(port);
}
