/**
 * Switchplane as an operator runs it: `src/main.ts` in its own process (the `npm start` entry),
 * on its embedded database in a fresh DATA_DIR, with a known admin API key, listening on
 * 127.0.0.1. Stopped by PID (SIGTERM, then SIGKILL) when the test ends. A DATA_DIR made here starts
 * with a copy of a migrated embedded database (db-templates.ts), which skips PGlite's initdb; a
 * DATA_DIR the test passes is used as it is (an empty one makes the process create its database).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { running, stopChild, track } from './child-processes.js';
import { copyPgliteDataDir } from './db-templates.js';
import { eventually } from './eventually.js';
import { CHILD_ROOT, entry, nodeArgs } from './node-child.js';

export interface SwitchplaneProcess {
  url: string;
  port: number;
  /** The process's PID. */
  pid: number;
  adminKey: string;
  dataDir: string;
  /** JSON request to the API with `key` (default the admin key); throws on a network error only. */
  api(method: string, urlPath: string, body?: unknown, key?: string): Promise<{ status: number; body: any }>;
  /** Like `api`, and fails unless the status is 2xx; resolves with `data`. */
  ok(method: string, urlPath: string, body?: unknown, key?: string): Promise<any>;
  /** What the process printed (pino JSON lines). */
  output(): string;
  /** Stops the process (idempotent); `keepData` leaves DATA_DIR for a restart. */
  stop(opts?: { keepData?: boolean; signal?: NodeJS.Signals }): Promise<void>;
}

/** An admin key in Switchplane's format (`sp_<8 hex>_<43 base64url>`). */
export const newAdminKey = (): string => `sp_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`;

/**
 * Starts Switchplane and resolves once `/health` answers 200.
 * @param env more environment (ESL_NODES, SOFIA_*, ...); DEMO_SEED defaults to false here
 */
export async function startSwitchplane(t: Test, port: number, env: Record<string, string>, dataDir?: string): Promise<SwitchplaneProcess> {
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'switchplane-data-'));
  if (!dataDir && !env.DATABASE_URL) await copyPgliteDataDir(path.join(dir, 'pglite'));
  const adminKey = env.ADMIN_API_KEY ?? newAdminKey();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir, ADMIN_API_KEY: adminKey, DEMO_SEED: 'false', LOG_LEVEL: 'info', DESTINATION_ALLOW: '127.0.0.0/8', ...env };
  delete childEnv.DATABASE_URL;
  if (env.DATABASE_URL) childEnv.DATABASE_URL = env.DATABASE_URL;
  const child = track(spawn(process.execPath, nodeArgs([entry('src/main.ts')]), { cwd: CHILD_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;

  const api: SwitchplaneProcess['api'] = async (method, urlPath, body, key = adminKey) => {
    const res = await fetch(`${url}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const sp: SwitchplaneProcess = {
    url,
    port,
    pid: child.pid!,
    adminKey,
    dataDir: dir,
    api,
    async ok(method, urlPath, body, key) {
      const res = await api(method, urlPath, body, key);
      if (res.status < 200 || res.status > 299) throw new Error(`${method} ${urlPath} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body?.data;
    },
    output: () => out,
    stop({ keepData = false, signal = 'SIGTERM' } = {}) {
      stopping ??= (async () => {
        await stopChild(child, signal, 10_000);
        if (!keepData) rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  t.teardown(() => sp.stop());

  // tsx compiles the whole tree at start: over a minute on a loaded two-core machine. Until this
  // process logs that it listens, a /health answer on its port would come from another process
  // (one that took the port since it was found free).
  const state = await eventually('Switchplane healthy (GET /health 200)', async () => {
    if (!running(child)) return 'exited';
    if (!out.includes(`Server listening at ${url}`)) return false;
    const res = await fetch(`${url}/health`).catch(() => undefined);
    return res?.status === 200 && 'up';
  }, { timeoutMs: 180_000, intervalMs: 200 }).catch((err: Error) => {
    throw new Error(`${err.message}:\n${out.slice(-3000)}`);
  });
  if (state === 'exited') throw new Error(`Switchplane exited at start (${child.exitCode ?? child.signalCode}):\n${out.slice(-3000)}`);
  return sp;
}
