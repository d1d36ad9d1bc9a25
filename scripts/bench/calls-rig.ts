/**
 * The rig of `npm run bench:calls`: Switchplane (src/main.ts in its own process, on a fresh
 * PostgreSQL database) with the real FreeSWITCH it configures (test/helpers/real-switch.ts), the
 * bench's customer made through the REST API (a DID routed to extension 1002, extension 1001
 * calling out through one trunk to the carrier's SIPp), and the static arm's FreeSWITCH built from
 * what Switchplane serves for that customer (./calls-static-switch.ts). One SIPp UAS plays the
 * phone 1002 (registered with both switches from one port), another the carrier behind the trunk.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { startRealSwitch, type RealSwitch } from '../../test/helpers/real-switch.js';
import { BENCH_RTP_RANGES } from '../../test/helpers/rtp-ports.js';
import { freeListenPort } from '../../test/helpers/sipp.js';
import { register, startUas } from './calls-sipp.js';
import { startStaticSwitch, type StaticSwitch } from './calls-static-switch.js';
import type { ServedConfig } from './calls-static-conf.js';

export const DID = '+15550100100';
export const CARRIER_CALLER = '+15557770001';
/** Flow 2's destination: an E.164 number out through the trunk. */
export const OUTBOUND_DEST = '+15550000200';
const MAX_CALLS = 1000;
/**
 * Each arm's FreeSWITCH RTP ports: a bench range of its own (test/helpers/rtp-ports.ts), not a
 * test switch's 100 ports (50 legs, which failed every call past the 25th up at once with
 * DESTINATION_OUT_OF_ORDER). FreeSWITCH takes one even port per leg, so 1,000 ports carry
 * RTP_CALLS_AT_ONCE calls of two legs.
 */
const RTP_PORTS = { switchplane: BENCH_RTP_RANGES[0], static: BENCH_RTP_RANGES[1] } as const;
export const RTP_CALLS_AT_ONCE = 250;

/** A stand-in for tap's Test so that the test helpers run in a script: teardowns run in `close()`. */
export function scriptTest(): { t: Test; close(): Promise<void> } {
  const teardowns: Array<() => unknown> = [];
  const t = { teardown: (fn: () => unknown) => void teardowns.push(fn), passing: () => true } as unknown as Test;
  return {
    t,
    async close() {
      for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch((err: unknown) => console.error('teardown failed:', err));
    },
  };
}

export interface Arm {
  name: 'static' | 'switchplane';
  /** 127.0.0.1:<port> of the internal (phones) and external (carriers) profiles. */
  registrar: string;
  carrierSide: string;
  /** PIDs whose CPU time is charged to the arm. */
  pids: { freeswitch: number; switchplane?: number };
  cli(command: string): Promise<string>;
}

export interface Rig {
  arms: [Arm, Arm];
  domain: string;
  caller: { user: string; password: string };
  /** CDR rows in Switchplane's database: `cdrs` and `unattributed_cdrs`. */
  cdrRows(): Promise<{ cdrs: number; unattributed: number }>;
  /** Writes to `dir` both FreeSWITCH logs (`freeswitch-<arm>.log`) and Switchplane's output (`switchplane.log`). */
  keepLogs(dir: string): void;
  close(): Promise<void>;
}

/** PIDs of this process's children whose command line matches `pattern`. */
function childPids(pattern: RegExp): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return ppid === process.pid && pattern.test(cmd) ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

/** User plus system CPU seconds of `pid` so far (/proc/<pid>/stat utime + stime, at 100 ticks a second). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return (await c.query<T>(text).finally(() => c.end())).rows;
}

/** Starts everything; `spEnv` is more Switchplane environment (e.g. NODE_OPTIONS for a CPU profile). */
export async function startRig(serverUrl: string, spEnv: Record<string, string> = {}): Promise<Rig> {
  const { t, close } = scriptTest();
  const dbName = `switchplane_bench_calls_${randomBytes(4).toString('hex')}`;
  await sql(serverUrl, `create database ${dbName}`);
  const dbUrl = Object.assign(new URL(serverUrl), { pathname: `/${dbName}` }).toString();
  let staticSwitch: StaticSwitch | undefined;
  const closeAll = async () => {
    await staticSwitch?.stop();
    await close();
    await sql(serverUrl, `drop database if exists ${dbName} with (force)`);
  };
  try {
    const rs: RealSwitch = await startRealSwitch(t, 'bench-calls', { DATABASE_URL: dbUrl, LOG_LEVEL: 'warn', ...spEnv }, { rtp: RTP_PORTS.switchplane, normalPriority: true });
    const sp = rs.sp;
    const customer = await sp.ok('POST', '/api/v1/customers', { name: 'bench', slug: 'bench', sipDomain: 'bench.switchplane.test', maxConcurrentCalls: 10 * MAX_CALLS });
    const key = (await sp.ok('POST', '/api/v1/api-keys', { name: 'bench', customerId: customer.id, scopes: ['tenant', 'extensions:credentials'] })).key as string;
    const ext = async (n: string) => {
      const e = await sp.ok('POST', '/api/v1/extensions', { extensionNumber: n, displayName: `Bench ${n}`, maxConcurrentCalls: MAX_CALLS }, key);
      return { id: e.id as string, user: n, password: e.sipCredentials.password as string };
    };
    const caller = await ext('1001');
    const callee = await ext('1002');
    const carrierPort = await freeListenPort();
    const phonePort = await freeListenPort();
    const carrier = await startUas(carrierPort);
    t.teardown(() => carrier.stop());
    const trunk = await sp.ok('POST', '/api/v1/trunks', { name: 'carrier', host: '127.0.0.1', port: carrierPort, priority: 1, maxChannels: MAX_CALLS }, key);
    await sp.ok('POST', '/api/v1/phone-numbers', { trunkId: trunk.id, number: DID, route: 'extension', routeTarget: '1002' }, key);
    for (let i = 0; !(await rs.fs.cli('sofia status gateway')).includes(trunk.gatewayName); i++) {
      if (i > 150) throw new Error(`the gateway ${trunk.gatewayName} never loaded`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const served = (await sp.ok('GET', `/api/v1/customers/${customer.id}/freeswitch_config`)) as ServedConfig;
    const domain = customer.sipDomain as string;
    const ports = { internal: await freeListenPort(), external: await freeListenPort(), esl: await freeListenPort(), rtp: RTP_PORTS.static };
    staticSwitch = await startStaticSwitch(served, {
      tenantId: customer.id, tenantMaxCalls: 10 * MAX_CALLS, domain, callerExtensionId: caller.id, callerMaxCalls: MAX_CALLS,
      gatewayName: trunk.gatewayName, gatewayMaxChannels: MAX_CALLS, callerIdNumber: DID,
    }, OUTBOUND_DEST, ports);
    const static_: Arm = {
      name: 'static', registrar: `127.0.0.1:${ports.internal}`, carrierSide: `127.0.0.1:${ports.external}`,
      pids: { freeswitch: staticSwitch.pid }, cli: staticSwitch.cli,
    };
    const [fsPid] = childPids(new RegExp(`-conf ${rs.fs.dir}/conf`));
    const [spPid] = childPids(/src\/main\.ts/);
    if (!fsPid || !spPid) throw new Error('the PIDs of Switchplane and its FreeSWITCH were not found');
    const switchplane: Arm = {
      name: 'switchplane', registrar: rs.registrar, carrierSide: rs.carrierSide,
      pids: { freeswitch: fsPid, switchplane: spPid }, cli: (c) => rs.fs.cli(c),
    };
    for (const arm of [static_, switchplane]) await register(arm.registrar, phonePort, callee.user, callee.password, domain);
    const phone = await startUas(phonePort);
    t.teardown(() => phone.stop());
    return {
      arms: [static_, switchplane],
      domain,
      caller,
      async cdrRows() {
        const [row] = await sql<{ cdrs: number; unattributed: number }>(dbUrl,
          'select (select count(*)::int from cdrs) as cdrs, (select count(*)::int from unattributed_cdrs) as unattributed');
        return row!;
      },
      keepLogs(dir) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'switchplane.log'), rs.sp.output());
        writeFileSync(path.join(dir, 'freeswitch-switchplane.log'), rs.fs.log());
        copyFileSync(path.join(staticSwitch!.dir, 'log', 'freeswitch.log'), path.join(dir, 'freeswitch-static.log'));
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
