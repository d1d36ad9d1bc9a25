/**
 * SIPp for `npm run bench:calls`: a load UAC placing `rate` calls a second for `seconds`
 * (`-r`, `-m`), and UAS peers that answer every call until stopped, all on 127.0.0.1. No message
 * trace (it would cost SIPp more CPU than the calls); the UAC keeps its statistics
 * (`-trace_stat`) and every call's setup time (`-trace_rtt`: response time 1, the first INVITE
 * sent to the 200 OK received).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exited, stopChild, track } from '../../test/helpers/child-processes.js';
import { freePort } from '../../test/helpers/sipp.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** A scenario file of scripts/bench/ or test/freeswitch/sipp/ with its `${NAME}` placeholders filled. */
function scenarioIn(dir: string, file: string, vars: Record<string, string | number>): string {
  const text = readFileSync(file, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`${file}: no value for \${${name}}`);
    return String(vars[name]);
  });
  const out = path.join(dir, path.basename(file));
  writeFileSync(out, text);
  return out;
}

export const benchScenario = (name: string) => path.join(HERE, name);
export const testScenario = (name: string) => fileURLToPath(new URL(`../../test/freeswitch/sipp/${name}`, import.meta.url));

export interface LoadResult {
  /** Calls SIPp placed (TotalCallCreated). */
  created: number;
  successful: number;
  failed: number;
  /** Setup times in ms (response time 1), sorted. */
  setupMs: number[];
  /** When the first and the last 200 OK were received (ms, SIPp's clock). */
  firstAnswerMs: number;
  lastAnswerMs: number;
  /** SIPp's exit code (0: every call went through the scenario). */
  code: number | null;
}

function parseStats(csv: string): Record<string, string> {
  const lines = csv.trim().split('\n');
  const header = lines[0]!.split(';');
  const last = lines.at(-1)!.split(';');
  return Object.fromEntries(header.map((h, i) => [h, last[i] ?? '']));
}

/**
 * Runs a load UAC to its end: `rate` calls a second, `rate × seconds` calls, at most `limit` at
 * once; SIPp gives up `graceSeconds` after the last call is due. `keepIn`: a folder the run's files
 * are copied to before they are removed (scenario, stats, setup times, `errors.log`: SIPp's
 * unexpected messages with the SIP response of each failed call).
 */
export async function runLoad(opts: {
  scenario: string;
  remote: string;
  rate: number;
  seconds: number;
  limit: number;
  graceSeconds: number;
  vars: Record<string, string | number>;
  auth?: { user: string; password: string };
  keepIn?: string;
}): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-bench-sipp-'));
  try {
    const file = scenarioIn(dir, opts.scenario, opts.vars);
    const calls = Math.round(opts.rate * opts.seconds);
    const stats = path.join(dir, 'stats.csv');
    const args = ['-sf', file, '-i', '127.0.0.1', '-p', String(await freePort('udp')), '-mp', String(await freePort('udp')),
      '-cp', String(await freePort('udp')), '-nostdin', '-r', String(opts.rate), '-m', String(calls), '-l', String(opts.limit),
      '-trace_stat', '-stf', stats, '-fd', '1', '-trace_rtt', '-rtt_freq', '1', '-trace_err', '-error_file', path.join(dir, 'errors.log'),
      '-timeout', `${Math.ceil(opts.seconds + opts.graceSeconds)}s`, '-timeout_error'];
    if (opts.auth) args.push('-au', opts.auth.user, '-ap', opts.auth.password);
    args.push(opts.remote);
    const child = track(spawn('sipp', args, { cwd: dir, stdio: 'ignore' }));
    await exited(child);
    const s = parseStats(readFileSync(stats, 'utf8'));
    const rttFile = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
    const rows = rttFile ? readFileSync(path.join(dir, rttFile), 'utf8').trim().split('\n').slice(1) : [];
    let firstAnswerMs = Infinity;
    let lastAnswerMs = 0;
    const setupMs: number[] = [];
    for (const row of rows) {
      const [date, ms] = row.split(';').map(Number) as [number, number];
      if (!Number.isFinite(date) || !Number.isFinite(ms)) continue;
      setupMs.push(ms);
      firstAnswerMs = Math.min(firstAnswerMs, date);
      lastAnswerMs = Math.max(lastAnswerMs, date);
    }
    return {
      created: Number(s.TotalCallCreated),
      successful: Number(s['SuccessfulCall(C)']),
      failed: Number(s['FailedCall(C)']),
      setupMs: setupMs.sort((a, b) => a - b),
      firstAnswerMs,
      lastAnswerMs,
      code: child.exitCode,
    };
  } finally {
    if (opts.keepIn) cpSync(dir, opts.keepIn, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A UAS on `port` answering every call (test/freeswitch/sipp/carrier-uas.xml) until `stop()`. */
export async function startUas(port: number): Promise<{ stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-bench-uas-'));
  const file = scenarioIn(dir, testScenario('carrier-uas.xml'), {});
  const child = track(spawn('sipp', ['-sf', file, '-i', '127.0.0.1', '-p', String(port), '-mp', String(await freePort('udp')),
    '-cp', String(await freePort('udp')), '-aa', '-nostdin'], { cwd: dir, stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new Error(`the SIPp UAS on port ${port} exited at start (${child.exitCode})`);
  return {
    async stop() {
      await stopChild(child, 'SIGTERM', 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registers `user` from `port` (test/freeswitch/sipp/register.xml, digest); throws unless 200. */
export async function register(remote: string, port: number, user: string, password: string, domain: string): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-bench-reg-'));
  try {
    const file = scenarioIn(dir, testScenario('register.xml'), { USER: user, DOMAIN: domain, EXPECT: 200, EXPIRES: 3600, USER_AGENT: 'SIPp-bench' });
    const child = track(spawn('sipp', ['-sf', file, '-i', '127.0.0.1', '-p', String(port), '-mp', String(await freePort('udp')),
      '-cp', String(await freePort('udp')), '-nostdin', '-m', '1', '-au', user, '-ap', password, '-timeout', '15s', '-timeout_error', remote],
    { cwd: dir, stdio: 'ignore' }));
    await exited(child);
    if (child.exitCode !== 0) throw new Error(`${user}@${domain} did not register with ${remote} (SIPp exit ${child.exitCode})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
