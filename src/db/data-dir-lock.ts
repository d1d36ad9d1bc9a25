/**
 * The exclusive lock of one Switchplane on its embedded database directory: PGlite is a single
 * in-process session, so two processes on one directory would each see only their own writes and
 * overwrite each other's files. The lock is proper-lockfile's (an atomic `mkdir` of `<dir>.lock`,
 * its mtime refreshed every 10 s); `<dir>.lock.owner` names the holder (pid and host) for
 * the refusal message and for taking over the lock of a process that died on this host.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { StartupError } from '../startup-error.js';

/** Whom the owner file names. */
export interface LockHolder {
  pid: number;
  host: string;
}

/**
 * A second Switchplane (or a second open in this one) on a directory that is locked; a
 * StartupError, so src/main.ts prints the message alone and exits 1.
 */
export class DataDirInUseError extends StartupError {
  constructor(
    /** The locked directory (absolute). */
    readonly dir: string,
    /** The process holding it, when its owner file could be read. */
    readonly holder: LockHolder | undefined,
  ) {
    const who = holder ? `another Switchplane (pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`})` : 'another Switchplane';
    super(`${dir} is in use by ${who}; stop it first, or give this Switchplane a DATA_DIR of its own`);
  }
}

/**
 * A lock not refreshed for this long belongs to a process that is gone (or frozen): another
 * process may take it over. The holder refreshes it every `STALE_MS / 3`.
 */
const STALE_MS = 30_000;

/** Directories this process holds, so an owner file naming this pid is told from a stale one. */
const held = new Set<string>();

const lockPath = (dir: string) => `${dir}.lock`;
const ownerPath = (dir: string) => `${dir}.lock.owner`;

function readHolder(dir: string): LockHolder | undefined {
  try {
    const owner = JSON.parse(readFileSync(ownerPath(dir), 'utf8')) as Partial<LockHolder>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `holder` is a process of this host that no longer runs (a pid reused by this very process included). */
function diedHere(dir: string, holder: LockHolder | undefined): boolean {
  if (!holder || holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return !held.has(dir);
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes the lock on `dir` (created if missing) and returns the function that releases it.
 * A lock left by a process of this host that no longer runs is taken over at once; one left by
 * another host once it has not been refreshed for 30 s.
 * @param onLost called if another process takes the lock over while this one holds it (the
 *   lock was not refreshed in time, or its files were removed): the holder must stop using `dir`
 * @throws DataDirInUseError when another process holds the lock
 */
export async function lockDataDir(dir: string, onLost: (err: Error) => void): Promise<() => Promise<void>> {
  const absolute = path.resolve(dir);
  await mkdir(absolute, { recursive: true });
  if (diedHere(absolute, readHolder(absolute))) {
    rmSync(ownerPath(absolute), { force: true });
    rmSync(lockPath(absolute), { recursive: true, force: true });
  }
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(absolute, { stale: STALE_MS, update: STALE_MS / 3, realpath: false, lockfilePath: lockPath(absolute), onCompromised: onLost });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') throw new DataDirInUseError(absolute, readHolder(absolute));
    throw err;
  }
  held.add(absolute);
  const owner = ownerPath(absolute);
  writeFileSync(`${owner}.${process.pid}`, JSON.stringify({ pid: process.pid, host: hostname() } satisfies LockHolder));
  renameSync(`${owner}.${process.pid}`, owner);
  return async () => {
    held.delete(absolute);
    rmSync(owner, { force: true });
    await release().catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ERELEASED') throw err;
    });
  };
}
