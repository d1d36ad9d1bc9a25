/**
 * The real switch for `npm run bench:ai`: Switchplane (src/main.ts in its own process) and
 * FreeSWITCH 1.10.12 with mod_audio_stream, started by the test helpers (test/helpers/real-switch.ts)
 * outside tap, a customer whose AI numbers carry the bench's calls, an event socket of the bench's
 * own (modesl) for `originate` and `uuid_broadcast`, and the CPU time of both processes read from
 * /proc/<pid>/stat.
 */
import { readdirSync, readFileSync } from 'node:fs';
import esl from 'modesl';
import type { Test } from 'tap';
import { carrierAdmitted, createCustomer, startRealSwitch, type Customer, type RealSwitch } from '../../test/helpers/real-switch.js';
import { BENCH_RTP_RANGES } from '../../test/helpers/rtp-ports.js';

/**
 * What the test helpers need of a tap Test: `teardown` (run in reverse order by `close()`) and
 * `passing` (false keeps FreeSWITCH's log under /tmp/switchplane-freeswitch-logs/).
 */
export class Teardowns {
  private fns: Array<() => unknown> = [];
  failed = false;
  teardown(fn: () => unknown): void {
    this.fns.push(fn);
  }
  passing(): boolean {
    return !this.failed;
  }
  get test(): Test {
    return this as unknown as Test;
  }
  async close(): Promise<void> {
    for (const fn of this.fns.reverse()) await Promise.resolve(fn()).catch((err: unknown) => console.error('teardown:', err));
    this.fns = [];
  }
}

/** The AI number of call `i` of a step: one number per call, so that a Realtime session (whose instructions name the DID) tells its call. */
export const aiNumber = (i: number): string => `+1555${String(100000 + i).padStart(7, '0')}`;

/** A plain event-socket client of the bench's own. */
export interface Esl {
  /** `api <command>`; resolves with the body FreeSWITCH answered. */
  api(command: string): Promise<string>;
  /** `bgapi <command>`: resolves once FreeSWITCH took the job, not when it is done. */
  bgapi(command: string): Promise<void>;
  close(): void;
}

function connectEsl(port: number): Promise<Esl> {
  return new Promise((resolve, reject) => {
    const conn = new esl.Connection('127.0.0.1', port, 'ClueCon');
    conn.on('error', reject);
    conn.once('esl::ready', () =>
      resolve({
        api: (command) => new Promise((done) => conn.api(command, (res) => done(res.getBody()))),
        bgapi: (command) => new Promise((done) => conn.sendRecv(`bgapi ${command}`, () => done())),
        close: () => conn.socket?.destroy(),
      }),
    );
  });
}

/** The process whose /proc/<pid>/<file> (NUL-separated) contains `needle`; undefined when none does. */
function findPid(file: 'cmdline' | 'environ', needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/${file}`, 'utf8').split('\0').includes(needle)) return Number(entry);
    } catch {
      // gone, or not ours
    }
  }
  return undefined;
}

/** CPU time (user + system) of `pid` so far, ms; NaN once it is gone. USER_HZ is 100 on Linux. */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14, 15 of stat)
  } catch {
    return NaN;
  }
}

export interface AiRig {
  rs: RealSwitch;
  acme: Customer;
  esl: Esl;
  pids: { freeswitch: number | undefined; switchplane: number | undefined };
  /** Makes sure AI numbers 0..n-1 exist. */
  numbers(n: number): Promise<void>;
}

/**
 * Starts Switchplane (its Realtime API the mock at `realtimeUrl`, trusted through `caFile`) and
 * FreeSWITCH, a customer `acme` open all week with room for `maxCalls` calls, and the carrier trunk
 * 127.0.0.1:5999 its numbers' calls come from.
 */
export async function startAiRig(td: Teardowns, realtimeUrl: string, caFile: string, maxCalls: number): Promise<AiRig> {
  const rs = await startRealSwitch(td.test, 'bench-ai', {
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: realtimeUrl,
    OPENAI_CA_FILE: caFile,
    MEDIA_FORK_MODULE: 'audio_stream',
    AI_ANALYSIS: 'false',
    LOG_LEVEL: 'warn',
  }, { rtp: BENCH_RTP_RANGES[0] });
  const acme = await createCustomer(rs.sp, 'acme', { timezone: 'UTC', maxConcurrentCalls: maxCalls * 2 });
  await rs.sp.ok('POST', '/api/v1/extensions', { extensionNumber: '1002' }, acme.key);
  await rs.sp.ok('POST', '/api/v1/trunks', { name: 'carrier', host: '127.0.0.1', port: 5999, maxChannels: maxCalls * 2 }, acme.key);
  await carrierAdmitted(rs);
  const eslClient = await connectEsl(rs.ports.esl);
  td.teardown(() => eslClient.close());
  const open = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, { start: '00:00', end: '23:59' }]));
  let made = 0;
  return {
    rs,
    acme,
    esl: eslClient,
    pids: { freeswitch: findPid('cmdline', `${rs.fs.dir}/conf`), switchplane: findPid('environ', `DATA_DIR=${rs.sp.dataDir}`) },
    async numbers(n) {
      for (; made < n; made++) {
        await rs.sp.ok('POST', '/api/v1/phone-numbers', { number: aiNumber(made), route: 'ai_agent', aiAgentProfile: 'customer-care-voice', businessHours: open, failoverExtension: '1002' }, acme.key);
      }
    },
  };
}
