/**
 * One measured run of `npm run bench:calls`: SIPp places `rate` calls a second for `seconds` on
 * one arm, then the run waits for the switch to have no channel left and, on Switchplane's arm,
 * for the CDR rows of every leg the switch created (FreeSWITCH's `status`, sessions since
 * startup). CPU time of FreeSWITCH and Switchplane is read from /proc before and after.
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, type Arm, type Rig } from './calls-rig.js';
import { runLoad } from './calls-sipp.js';

export interface RunResult {
  arm: Arm['name'];
  rate: number;
  /** Calls due: rate × seconds. */
  due: number;
  successful: number;
  /** Due calls that did not complete (failed, or never placed or finished). */
  failedPct: number;
  /**
   * Calls answered a second: successful ÷ (first → last 200 OK + one call's interval), which is
   * the rate when every call is answered as it is placed, and less when answers fall behind.
   */
  achieved: number;
  setupMs: number[];
  /** Legs FreeSWITCH created in the run, and (Switchplane's arm) the CDR rows written for the run. */
  legs: number;
  cdrRows?: number;
  unattributed?: number;
  cpu: { freeswitch: number; switchplane?: number };
  /** 1-minute load average at the end of the run. */
  load: number;
  passed: boolean;
}

export interface Flow {
  name: string;
  /** Starts the flow's SIPp UAC on `arm` and resolves with its result. */
  load(arm: Arm, rate: number, seconds: number): ReturnType<typeof runLoad>;
}

export const HOLD_MS = 2000;

async function sessionsSinceStartup(arm: Arm): Promise<number> {
  const m = /(\d+) session\(s\) since startup/.exec(await arm.cli('status'));
  if (!m) throw new Error(`no session count in ${arm.name}'s status`);
  return Number(m[1]);
}

async function drained(arm: Arm): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
    if (/^0 total/m.test(await arm.cli('show channels count'))) return;
  }
  console.error(`  ${arm.name}: channels still up 60 s after the run`);
}

/** Waits until `expected` rows are in (or the count has not moved for 10 s); resolves with the count. */
async function cdrsIn(rig: Rig, before: number, expected: number): Promise<{ rows: number; unattributed: number }> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const now = await rig.cdrRows();
    const rows = now.cdrs - before;
    if (rows >= expected) return { rows, unattributed: now.unattributed };
    if (rows !== last) [last, since] = [rows, Date.now()];
    else if (Date.now() - since > 10_000) return { rows, unattributed: now.unattributed };
    await sleep(200);
  }
}

const cpuOf = (arm: Arm) => ({ freeswitch: cpuSeconds(arm.pids.freeswitch), switchplane: arm.pids.switchplane ? cpuSeconds(arm.pids.switchplane) : undefined });

export async function measure(rig: Rig, arm: Arm, flow: Flow, rate: number, seconds: number): Promise<RunResult> {
  const due = Math.round(rate * seconds);
  const sessions = await sessionsSinceStartup(arm);
  const rowsBefore = arm.pids.switchplane ? (await rig.cdrRows()).cdrs : 0;
  const cpu0 = cpuOf(arm);
  const load = await flow.load(arm, rate, seconds);
  await drained(arm);
  const legs = (await sessionsSinceStartup(arm)) - sessions;
  const cdr = arm.pids.switchplane ? await cdrsIn(rig, rowsBefore, legs) : undefined;
  const cpu1 = cpuOf(arm);
  const spanS = Number.isFinite(load.firstAnswerMs) ? (load.lastAnswerMs - load.firstAnswerMs) / 1000 + 1 / rate : Infinity;
  const achieved = load.successful / spanS;
  const failedPct = (100 * (due - load.successful)) / due;
  const cdrOk = !cdr || cdr.rows === legs;
  return {
    arm: arm.name,
    rate,
    due,
    successful: load.successful,
    failedPct,
    achieved,
    setupMs: load.setupMs,
    legs,
    ...(cdr ? { cdrRows: cdr.rows, unattributed: cdr.unattributed } : {}),
    cpu: {
      freeswitch: cpu1.freeswitch - cpu0.freeswitch,
      ...(cpu1.switchplane !== undefined ? { switchplane: cpu1.switchplane - cpu0.switchplane! } : {}),
    },
    load: loadavg()[0]!,
    passed: failedPct < 1 && achieved >= 0.95 * rate && cdrOk,
  };
}
