/**
 * FreeSWITCH for `npm run bench:register`: the real switch (/opt/fsrig, FREESWITCH_BIN) started on
 * a fresh copy of ../shared/freeswitch/conf for one run, with the run's SIP profile written as a
 * static sofia.conf, its directory either static (the bench users in conf/directory/) or asked
 * over mod_xml_curl from `xmlCurlUrl` (directory section only), and its event socket on its own
 * port. Stopped by PID (`fsctl shutdown now`, then SIGTERM, then SIGKILL).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { running, track } from '../../test/helpers/child-processes.js';
import { eventually } from '../../test/helpers/eventually.js';
import { FREESWITCH_BIN, fsCli, stopFreeswitch } from '../../test/helpers/freeswitch.js';

/** Where the log of a FreeSWITCH that did not start is kept (as the tests keep theirs). */
const KEPT_LOGS = path.join(tmpdir(), 'switchplane-freeswitch-logs');
const SHARED_CONF = fileURLToPath(new URL('../../../shared/freeswitch/conf', import.meta.url));

export interface SwitchOptions {
  /** `<configuration name="sofia.conf">` with the profile the phones register to. */
  sofiaConf: string;
  /** `<domain>` elements of a static directory, or undefined to ask `xmlCurlUrl`. */
  staticDirectory?: string;
  /** mod_xml_curl's gateway-url for the directory section. */
  xmlCurlUrl?: string;
  /** `user:password` for mod_xml_curl's basic auth. */
  xmlCurlCredentials?: string;
  eslPort: number;
}

export interface BenchSwitch {
  pid: number;
  /** CPU seconds (user + system) the process has used so far (/proc/<pid>/stat). */
  cpuSeconds(): number;
  cli(command: string): Promise<string>;
  /** Lines of freeswitch.log matching `pattern`. */
  countLog(pattern: RegExp): number;
  stop(): Promise<void>;
}

const CLOCK_TICKS = 100;

/** utime + stime of `pid` in seconds (fields 14 and 15 of /proc/<pid>/stat, after the command name). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function xmlCurlConf(opts: SwitchOptions): string {
  if (opts.staticDirectory !== undefined) return '<configuration name="xml_curl.conf" description="static arm: no bindings"><bindings/></configuration>\n';
  return `<configuration name="xml_curl.conf" description="bench">
  <bindings>
    <binding name="bench">
      <param name="gateway-url" value="${opts.xmlCurlUrl}" bindings="directory"/>
      <param name="method" value="POST"/>
      <param name="timeout" value="5"/>
      <param name="disable-100-continue" value="true"/>
      ${opts.xmlCurlCredentials ? `<param name="gateway-credentials" value="${opts.xmlCurlCredentials}"/><param name="auth-scheme" value="basic"/>` : ''}
    </binding>
  </bindings>
</configuration>
`;
}

function writeConf(dir: string, opts: SwitchOptions): string {
  const conf = path.join(dir, 'conf');
  cpSync(SHARED_CONF, conf, { recursive: true });
  rmSync(path.join(conf, 'sip_profiles'), { recursive: true, force: true });
  const auto = path.join(conf, 'autoload_configs');
  writeFileSync(path.join(auto, 'sofia.conf.xml'), opts.sofiaConf);
  writeFileSync(path.join(auto, 'xml_curl.conf.xml'), xmlCurlConf(opts));
  const esl = readFileSync(path.join(auto, 'event_socket.conf.xml'), 'utf8');
  writeFileSync(path.join(auto, 'event_socket.conf.xml'), esl.replace('value="8021"', `value="${opts.eslPort}"`));
  if (opts.staticDirectory !== undefined) writeFileSync(path.join(conf, 'directory', 'bench.xml'), `<include>\n${opts.staticDirectory}\n</include>\n`);
  return conf;
}

/** Starts FreeSWITCH; resolves once it is UP and the `internal` profile is RUNNING. */
export async function startSwitch(opts: SwitchOptions): Promise<BenchSwitch> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-bench-fs-'));
  const conf = writeConf(dir, opts);
  const folders = Object.fromEntries(['log', 'db', 'run', 'tmp', 'certs', 'recordings', 'storage'].map((f) => [f, path.join(dir, f)]));
  for (const f of Object.values(folders)) mkdirSync(f, { recursive: true });
  // At normal scheduling priority (`-np`): FreeSWITCH's default realtime threads would preempt the
  // directory servers and SIPp beside it on the bench's two cores (test/helpers/freeswitch.ts normalPriority).
  const child = track(spawn(
    FREESWITCH_BIN,
    ['-np', '-nf', '-nc', '-nonat', '-nonatmap', '-conf', conf, '-log', folders.log!, '-db', folders.db!, '-run', folders.run!, '-temp', folders.tmp!,
      '-certs', folders.certs!, '-recordings', folders.recordings!, '-storage', folders.storage!],
    { stdio: 'ignore' },
  ));
  const logFile = path.join(folders.log!, 'freeswitch.log');
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let stopping: Promise<void> | undefined;
  const sw: BenchSwitch = {
    pid: child.pid!,
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    cli: (command) => fsCli(opts.eslPort, command),
    countLog: (pattern) => readLog().split('\n').filter((l) => pattern.test(l)).length,
    stop() {
      stopping ??= (async () => {
        await stopFreeswitch(child, opts.eslPort);
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  try {
    await eventually('FreeSWITCH up with the internal profile running', async () => {
      if (!running(child)) return 'exited';
      const status = await fsCli(opts.eslPort, 'sofia status', 2000).catch(() => '');
      return /internal\s+profile\s+\S+\s+RUNNING/.test(status) && readLog().includes('FreeSWITCH Started') && 'up';
    }, { timeoutMs: 60_000, intervalMs: 200 }).then((state) => {
      if (state === 'exited') throw new Error('FreeSWITCH exited at start');
    });
  } catch (err) {
    mkdirSync(KEPT_LOGS, { recursive: true });
    const kept = path.join(KEPT_LOGS, `bench-register-${child.pid}.log`);
    writeFileSync(kept, readLog());
    await sw.stop();
    throw new Error(`${(err as Error).message} (log kept in ${kept})`);
  }
  return sw;
}
