/**
 * Every process a test starts (FreeSWITCH, Switchplane, SIPp) is tracked here and killed when the
 * test process ends by any way: a normal exit, or tap's SIGTERM on a timeout (which skips the
 * tests' own teardowns). Nothing a test started outlives it.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

process.once('exit', killAll);
for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(code);
  });
}

/** Kills `child` with the test process if it is still running then. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Whether `child` is still running. */
export const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/** Resolves once `child` has exited (at once if it has). */
export function exited(child: ChildProcess): Promise<void> {
  if (!running(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Resolves once `child` has exited or `ms` have passed, whichever is first. The timer does not
 * keep the test process alive: a process that exits at once must not hold the file for `ms`.
 */
export function exitedWithin(child: ChildProcess, ms: number): Promise<void> {
  return Promise.race([exited(child), sleep(ms, undefined, { ref: false })]);
}

/** Sends `signal`, waits up to `graceMs`, then SIGKILL; resolves once `child` has exited. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!running(child)) return;
  child.kill(signal);
  await exitedWithin(child, graceMs);
  if (running(child)) child.kill('SIGKILL');
  await exited(child);
}
