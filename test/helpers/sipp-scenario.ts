/**
 * SIPp (sip-tester, installed by scripts/test-setup.sh) playing the scenarios of
 * test/freeswitch/sipp/ against the real FreeSWITCH: phones, carriers, a provider's registrar.
 * `${NAME}` placeholders in a scenario are filled from `vars` before SIPp reads it (SIPp's own
 * `[keywords]` are left to it). Everything binds to a loopback address (127.0.0.1 unless told) on
 * ports of its own; every SIPp is
 * stopped by PID when the test ends.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { exited, stopChild, track } from './child-processes.js';
import { freeListenPort, freePort } from './sipp.js';

const SCENARIOS = fileURLToPath(new URL('../freeswitch/sipp/', import.meta.url));

export interface SippOptions {
  /** Scenario file in test/freeswitch/sipp/, e.g. `register.xml`. */
  scenario: string;
  vars?: Record<string, string | number>;
  /** host:port to send to (clients); omitted for a server that waits for requests. */
  remote?: string;
  /** Digest credentials for `[authentication]`. */
  auth?: { user: string; password: string };
  /** Calls to place or take (clients: default 1); a server without it runs until stopped. */
  calls?: number;
  /** The SIP port; default a free one. */
  port?: number;
  /** The loopback address SIPp binds to and sends from (`-i`); default 127.0.0.1. */
  address?: string;
  /** SIPp gives up (and fails) after this long; clients default to 60 s, servers wait. */
  timeoutMs?: number;
  /** Send every RTP packet received on the media port back to its sender (`-rtp_echo`). */
  rtpEcho?: boolean;
}

export interface SippResult {
  /** SIPp's exit code: 0 when every call went through the scenario as written. */
  code: number | null;
  /** SIPp's message trace (-trace_msg). */
  messages: string;
  /** SIPp's errors (-trace_err). */
  errors: string;
}

export interface Sipp {
  port: number;
  /** Settles when SIPp exits. */
  done: Promise<SippResult>;
  /** The message trace so far. */
  messages(): string;
  stop(): Promise<SippResult>;
}

function fill(scenario: string, vars: Record<string, string | number>): string {
  const text = readFileSync(path.join(SCENARIOS, scenario), 'utf8');
  return text.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => {
    if (!(name in vars)) throw new Error(`${scenario}: no value for \${${name}}`);
    return String(vars[name]);
  });
}

/** Starts SIPp; a client (with `remote`) exits by itself after its calls, a server when stopped. */
export async function startSipp(t: Test, opts: SippOptions): Promise<Sipp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-sipp-'));
  const scenarioFile = path.join(dir, opts.scenario);
  writeFileSync(scenarioFile, fill(opts.scenario, opts.vars ?? {}));
  const port = opts.port ?? (await freeListenPort());
  const messageFile = path.join(dir, 'messages.log');
  const errorFile = path.join(dir, 'errors.log');
  const args = ['-sf', scenarioFile, '-i', opts.address ?? '127.0.0.1', '-p', String(port), '-mp', String(await freePort('udp')), '-cp', String(await freePort('udp'))];
  // -aa: 200 OK to NOTIFY, INFO, OPTIONS and UPDATE outside the scenario (e.g. the message-waiting
  // NOTIFY FreeSWITCH sends a phone after it registers).
  args.push('-aa', '-nostdin', '-trace_msg', '-message_file', messageFile, '-trace_err', '-error_file', errorFile);
  if (opts.auth) args.push('-au', opts.auth.user, '-ap', opts.auth.password);
  if (opts.rtpEcho) args.push('-rtp_echo');
  const calls = opts.calls ?? (opts.remote ? 1 : undefined);
  if (calls !== undefined) args.push('-m', String(calls));
  const timeoutMs = opts.timeoutMs ?? (opts.remote ? 60_000 : undefined);
  if (timeoutMs !== undefined) args.push('-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error');
  if (opts.remote) args.push(opts.remote);
  const child = track(spawn('sipp', args, { cwd: dir, stdio: 'ignore' }));
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const done = exited(child).then(() => ({ code: child.exitCode, messages: read(messageFile), errors: read(errorFile) }));
  const sipp: Sipp = {
    port,
    done,
    messages: () => read(messageFile),
    async stop() {
      await stopChild(child, 'SIGTERM', 3000);
      return done;
    },
  };
  t.teardown(async () => {
    await sipp.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await sleep(100);
  // A client whose calls ended within those 100 ms (a refused INVITE can) exited 0: it did not fail to start.
  const finished = opts.remote !== undefined && child.exitCode === 0;
  if (child.exitCode !== null && !finished) throw new Error(`sipp ${opts.scenario} exited at start (${child.exitCode}): ${read(errorFile)}`);
  return sipp;
}

/** Runs a client scenario to its end; resolves with its result (the test checks `code`). */
export async function runSipp(t: Test, opts: SippOptions & { remote: string }): Promise<SippResult> {
  const sipp = await startSipp(t, opts);
  return sipp.done;
}
