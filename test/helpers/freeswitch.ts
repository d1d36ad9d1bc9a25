/**
 * A real FreeSWITCH 1.10.12 for end-to-end tests: the prebuilt switch of `../shared/freeswitch`
 * (installed by scripts/test-setup.sh under /opt/fsrig), started with a fresh copy of that
 * folder's loopback config in which the repository's own `freeswitch/autoload_configs/` drop-ins
 * (xml_curl, json_cdr, event socket, modules) replace the stock ones, and whose `languages` section
 * holds test/freeswitch/lang/en.xml (mod_voicemail's prompts as beeps), pointed at the Switchplane
 * under test with the test's basic-auth credentials, and whose RTP ports are a range of its own
 * (rtp-ports.ts), so that switches of test files running at the same time never share a media port
 * (a bench carrying more calls names a range of its own instead: `rtp`). The static SIP profiles
 * are removed, so `internal` and `external` exist only if Switchplane serves them. Everything binds to 127.0.0.1. The switch is stopped by PID (`fsctl
 * shutdown`, then SIGTERM, then SIGKILL) when the test ends, passed or failed.
 *
 * `FREESWITCH_BIN` names the binary (default /opt/fsrig/bin/freeswitch); fs_cli is beside it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { exitedWithin, running, stopChild, track } from './child-processes.js';
import { eventually } from './eventually.js';
import { takeRtpRange, type RtpRange } from './rtp-ports.js';
import { SHARED_DIR } from './repo-paths.js';

export const FREESWITCH_BIN = process.env.FREESWITCH_BIN || '/opt/fsrig/bin/freeswitch';
const FS_CLI = path.join(path.dirname(FREESWITCH_BIN), 'fs_cli');
const SHARED_CONF = path.join(SHARED_DIR, 'freeswitch/conf');
const DROP_INS = fileURLToPath(new URL('../../freeswitch/autoload_configs', import.meta.url));
/** The test switch's language: mod_voicemail's phrase macros as beeps (there are no sound files). */
const TEST_LANGUAGE = fileURLToPath(new URL('../freeswitch/lang/en.xml', import.meta.url));
/** Where a failed run's FreeSWITCH log is kept for reading. */
const KEPT_LOGS = path.join(tmpdir(), 'switchplane-freeswitch-logs');

/**
 * Log lines that mean a lookup or a module failed: every one fails the test unless the test said
 * it expects it (`expectLog`).
 */
const FAILURE_LINE = /Error Parsing Result|Received HTTP error|\[ERR\]|\[CRIT\]|\[ALERT\]/;

export interface FreeswitchOptions {
  /** Switchplane's base URL, e.g. http://127.0.0.1:18080: xml_curl and json_cdr point there. */
  switchplaneUrl: string;
  /** The event socket's port on 127.0.0.1. */
  eslPort: number;
  /** A label for the kept log of a failed run. */
  name: string;
  /**
   * The basic-auth pair xml_curl and json_cdr send, written over the drop-ins' placeholder
   * (`freeswitch:change-me`) as freeswitch/README.md tells the operator to; Switchplane runs with
   * the same XMLCURL_USERNAME/XMLCURL_PASSWORD.
   */
  credentials: { username: string; password: string };
  /**
   * Global variables set at the end of vars.xml (`X-PRE-PROCESS cmd="set"`), for `$${name}` in what
   * Switchplane serves: e.g. a node's own SIP address when SOFIA_SIP_IP is `$${name}`, so that
   * switches fetching one sofia.conf bind profiles of their own.
   */
  globals?: Record<string, string>;
  /**
   * RTP ports instead of one of rtp-ports.ts's shared ranges (100 ports: 50 legs at once), for a
   * bench carrying more calls alone under the real-switch lock (rtp-ports.ts BENCH_RTP_RANGES).
   */
  rtp?: { start: number; end: number };
  /**
   * Start at normal scheduling priority (`-np`). By default FreeSWITCH makes its threads realtime
   * (switch.c `set_auto_priority` → switch_core.c `set_realtime_priority`: SCHED_FIFO), and they
   * then preempt every other process of the machine, Switchplane included, whenever they are busy.
   */
  normalPriority?: boolean;
}

export interface Freeswitch {
  /** The run's folder: conf/, log/, db/, certs/, recordings/, storage/, tmp/. */
  dir: string;
  /** Runs an API command through fs_cli; resolves with its output. */
  cli(command: string): Promise<string>;
  /** The log so far. */
  log(): string;
  /** Log lines written from `since` (a length of `log()`) on that match `pattern`. */
  logLines(pattern: RegExp, since?: number): string[];
  /** Declares failure lines (see FAILURE_LINE) this test provokes on purpose. */
  expectLog(...patterns: RegExp[]): void;
  /** Failure lines no test expected. */
  unexpectedFailures(): string[];
  /** Stops the switch (idempotent). */
  stop(): Promise<void>;
}

/** Fails with how to install FreeSWITCH when the binary is missing; tests needing it never skip. */
function requireFreeswitch(): void {
  if (!existsSync(FREESWITCH_BIN)) {
    throw new Error(
      `FreeSWITCH not found at ${FREESWITCH_BIN}. Install it with "bash ../shared/freeswitch/install.sh" ` +
        '(run from the project root, as root; `npm test` does this when it is missing), or set FREESWITCH_BIN.',
    );
  }
}

function dropIn(file: string, into: string, replace: Array<[string | RegExp, string]> = []): void {
  let text = readFileSync(path.join(DROP_INS, file), 'utf8');
  for (const [from, to] of replace) {
    if (!(typeof from === 'string' ? text.includes(from) : from.test(text))) throw new Error(`${file} has no ${String(from)} to replace`);
    text = text.replace(from, to);
  }
  writeFileSync(path.join(into, 'autoload_configs', file), text);
}

/**
 * Sets rtp-start-port and rtp-end-port (inclusive) in `conf`/autoload_configs/switch.conf.xml.
 * FreeSWITCH takes one even port per RTP stream (switch_core_port_allocator.c, SPF_EVEN; an odd
 * end is rounded down), so a range of N ports carries N/2 call legs with audio at once, and a leg
 * finding none left fails ("No audio RTP ports available!", hangup DESTINATION_OUT_OF_ORDER).
 * @throws Error when switch.conf.xml has no such param to replace
 */
export function setRtpPorts(conf: string, rtp: { start: number; end: number }): void {
  const switchConf = path.join(conf, 'autoload_configs', 'switch.conf.xml');
  let settings = readFileSync(switchConf, 'utf8');
  for (const [param, port] of [['rtp-start-port', rtp.start], ['rtp-end-port', rtp.end]] as const) {
    const line = new RegExp(`(<param name="${param}" value=")\\d+("/>)`);
    if (!line.test(settings)) throw new Error(`switch.conf.xml has no ${param} to replace`);
    settings = settings.replace(line, `$1${port}$2`);
  }
  writeFileSync(switchConf, settings);
}

/** The run's config: the shared loopback config with Switchplane's drop-ins, no static profiles and its own RTP ports. */
function writeConf(dir: string, opts: FreeswitchOptions, rtp: RtpRange): string {
  const conf = path.join(dir, 'conf');
  cpSync(SHARED_CONF, conf, { recursive: true });
  setRtpPorts(conf, rtp);
  if (opts.globals) {
    const vars = path.join(conf, 'vars.xml');
    const sets = Object.entries(opts.globals).map(([name, value]) => `  <X-PRE-PROCESS cmd="set" data="${name}=${value}"/>\n`).join('');
    writeFileSync(vars, readFileSync(vars, 'utf8').replace(/<\/include>\s*$/, `${sets}</include>\n`));
  }
  rmSync(path.join(conf, 'sip_profiles'), { recursive: true, force: true });
  writeFileSync(
    path.join(conf, 'autoload_configs', 'sofia.conf.xml'),
    '<configuration name="sofia.conf" description="no static profiles: they come from Switchplane">\n' +
      '  <global_settings><param name="log-level" value="0"/></global_settings>\n  <profiles/>\n</configuration>\n',
  );
  const base = 'http://127.0.0.1:8080';
  const { username, password } = opts.credentials;
  dropIn('xml_curl.conf.xml', conf, [
    [`${base}/freeswitch/xml`, `${opts.switchplaneUrl}/freeswitch/xml`],
    ['name="gateway-credentials" value="freeswitch:change-me"', `name="gateway-credentials" value="${username}:${password}"`],
  ]);
  dropIn('json_cdr.conf.xml', conf, [
    [`${base}/freeswitch/cdr`, `${opts.switchplaneUrl}/freeswitch/cdr`],
    ['name="cred" value="freeswitch:change-me"', `name="cred" value="${username}:${password}"`],
  ]);
  dropIn('event_socket.conf.xml', conf, [['value="8021"', `value="${opts.eslPort}"`]]);
  copyFileSync(path.join(DROP_INS, 'modules.conf.xml'), path.join(conf, 'autoload_configs', 'modules.conf.xml'));
  mkdirSync(path.join(conf, 'lang'), { recursive: true });
  copyFileSync(TEST_LANGUAGE, path.join(conf, 'lang', 'en.xml'));
  const main = path.join(conf, 'freeswitch.xml');
  const languages = /(<section name="languages"[^>]*>)\s*(<\/section>)/;
  const text = readFileSync(main, 'utf8');
  if (!languages.test(text)) throw new Error('freeswitch.xml has no empty languages section to fill');
  writeFileSync(main, text.replace(languages, '$1\n    <X-PRE-PROCESS cmd="include" data="lang/en.xml"/>\n  $2'));
  return conf;
}

/**
 * Runs one API command on the switch whose event socket listens on 127.0.0.1:`eslPort` (fs_cli
 * `-x`, the test configuration's password).
 * @param timeoutMs fs_cli's own timeout; the process is killed 2 s after it
 * @returns fs_cli's output
 * @throws Error naming the command, with fs_cli's stderr, when fs_cli fails or times out
 */
export function fsCli(eslPort: number, command: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(FS_CLI, ['-H', '127.0.0.1', '-P', String(eslPort), '-p', 'ClueCon', '-t', String(timeoutMs), '-x', command], { timeout: timeoutMs + 2000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`fs_cli -x '${command}' failed: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Stops a FreeSWITCH process: `fsctl shutdown now` over its event socket, up to 10 s for it to
 * exit, then SIGTERM with 5 s of grace, then SIGKILL. Resolves once it has exited; never throws.
 * `now` exits at once (switch_core.c `SCSC_SHUTDOWN_NOW`: `exit(0)`), 30–40 ms on the project's machine,
 * where a plain `fsctl shutdown` unloads every module first and took 5.2–5.6 s: what those
 * switches hold (their SQLite databases, logs, registrations) goes with their temporary folder.
 */
export async function stopFreeswitch(child: ChildProcess, eslPort: number): Promise<void> {
  if (!running(child)) return;
  await fsCli(eslPort, 'fsctl shutdown now', 3000).catch(() => undefined);
  await exitedWithin(child, 10_000);
  await stopChild(child, 'SIGTERM', 5000);
}

/** Starts FreeSWITCH and resolves once its event socket answers and mod_sofia has loaded. */
export async function startFreeswitch(t: Test, opts: FreeswitchOptions): Promise<Freeswitch> {
  requireFreeswitch();
  const rtp: RtpRange = opts.rtp ? { ...opts.rtp, release: async () => undefined } : await takeRtpRange();
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-fs-'));
  let conf: string;
  try {
    conf = writeConf(dir, opts, rtp);
  } catch (err) {
    await rtp.release();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const folders = Object.fromEntries(['log', 'db', 'run', 'tmp', 'certs', 'recordings', 'storage'].map((f) => [f, path.join(dir, f)]));
  for (const f of Object.values(folders)) mkdirSync(f, { recursive: true });
  const child = track(spawn(
    FREESWITCH_BIN,
    [...(opts.normalPriority ? ['-np'] : []), '-nf', '-nc', '-nonat', '-nonatmap', '-conf', conf, '-log', folders.log!, '-db', folders.db!, '-run', folders.run!, '-temp', folders.tmp!,
      '-certs', folders.certs!, '-recordings', folders.recordings!, '-storage', folders.storage!],
    { stdio: 'ignore' },
  ));
  const logFile = path.join(folders.log!, 'freeswitch.log');
  const expected: RegExp[] = [];
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let stopping: Promise<void> | undefined;

  const fs: Freeswitch = {
    dir,
    cli: (command) => fsCli(opts.eslPort, command),
    log: readLog,
    logLines: (pattern, since = 0) => readLog().slice(since).split('\n').filter((l) => pattern.test(l)),
    expectLog: (...patterns) => void expected.push(...patterns),
    unexpectedFailures: () => fs.logLines(FAILURE_LINE).filter((l) => !expected.some((p) => p.test(l))),
    stop() {
      stopping ??= (async () => {
        await stopFreeswitch(child, opts.eslPort);
        try {
          const failed = t.passing() === false || fs.unexpectedFailures().length > 0;
          if (failed) {
            mkdirSync(KEPT_LOGS, { recursive: true });
            copyFileSync(logFile, path.join(KEPT_LOGS, `${opts.name}-${child.pid}.log`));
          }
          rmSync(dir, { recursive: true, force: true });
        } finally {
          await rtp.release();
        }
      })();
      return stopping;
    },
  };
  t.teardown(() => fs.stop());

  const state = await eventually('FreeSWITCH ready (status UP, "FreeSWITCH Started" logged)', async () => {
    if (!running(child)) return 'exited';
    const status = await fsCli(opts.eslPort, 'status', 2000).catch(() => '');
    return /UP \d/.test(status) && readLog().includes('FreeSWITCH Started') && 'up';
  }, { timeoutMs: 30_000, intervalMs: 200 }).catch((err: Error) => {
    throw new Error(`${err.message}; log:\n${readLog().slice(-3000)}`);
  });
  if (state === 'exited') throw new Error(`FreeSWITCH exited at start (${child.exitCode ?? child.signalCode}); log:\n${readLog().slice(-3000)}`);
  return fs;
}
