/**
 * Switchplane for `npm run bench:register`: `src/main.ts` in its own process (test/helpers'
 * startSwitchplane: embedded database, 127.0.0.1), with BENCH_USERS extensions of one customer made
 * through the REST API, its event socket client pointed at `eslPort` (the bench starts each run's
 * FreeSWITCH there when the run is this Switchplane's), and the bench's SIP port in its profile.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { freeListenPort } from '../../test/helpers/sipp.js';
import { startSwitchplane, type SwitchplaneProcess } from '../../test/helpers/switchplane-process.js';
import { cpuSecondsOf } from './register-switch.js';
import type { BenchUser } from './register-sipp.js';

export interface BenchSwitchplane {
  sp: SwitchplaneProcess;
  pid: number;
  eslPort: number;
  /** `user:password` mod_xml_curl sends. */
  credentials: string;
  xmlCurlUrl: string;
  cpuSeconds(): number;
  /** POSTs a mod_xml_curl form to /freeswitch/xml; resolves with the answer. */
  lookup(form: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

/** The PID of the process listening on TCP `port` of 127.0.0.1 (`ss -ltnp`). */
function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (!pid) throw new Error(`no process found listening on port ${port}: ${out}`);
  return Number(pid);
}

/** Starts Switchplane with `env` on top of the bench's settings. */
export async function startBenchSwitchplane(sipPort: number, env: Record<string, string>): Promise<BenchSwitchplane> {
  const teardowns: Array<() => unknown> = [];
  // startSwitchplane registers its stop with a tap test; the bench runs those itself.
  const owner = { teardown: (fn: () => unknown) => void teardowns.push(fn) } as unknown as Test;
  const eslPort = await freeListenPort();
  const password = randomBytes(18).toString('base64url');
  const sp = await startSwitchplane(owner, await freeListenPort(), {
    XMLCURL_USERNAME: 'freeswitch',
    XMLCURL_PASSWORD: password,
    ESL_NODES: `fs1@127.0.0.1:${eslPort}`,
    ESL_RECONNECT_MAX_MS: '1000',
    SOFIA_SIP_IP: '127.0.0.1',
    SOFIA_EXTERNAL_IP: '127.0.0.1',
    SOFIA_INTERNAL_PORT: String(sipPort),
    SOFIA_EXTERNAL_PORT: String(sipPort + 1),
    LOG_LEVEL: 'warn',
    // The users are made through the REST API, 1,000 and more within a minute.
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    ...env,
  });
  const pid = listenerPid(sp.port);
  const credentials = `freeswitch:${password}`;
  const xmlCurlUrl = `${sp.url}/freeswitch/xml`;
  return {
    sp,
    pid,
    eslPort,
    credentials,
    xmlCurlUrl,
    cpuSeconds: () => cpuSecondsOf(pid),
    async lookup(form) {
      const res = await fetch(xmlCurlUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
      return res.text();
    },
    async stop() {
      for (const fn of teardowns.reverse()) await fn();
    },
  };
}

/** `count` users 2000, 2001, … with random passwords. */
export const benchUsers = (count: number): BenchUser[] =>
  Array.from({ length: count }, (_, i) => ({ user: String(2000 + i), password: `bench-${randomBytes(9).toString('base64url')}` }));

/** Makes one customer of `domain` with an extension per user through the API. */
export async function loadUsers(sp: SwitchplaneProcess, domain: string, users: BenchUser[]): Promise<void> {
  const customer = await sp.ok('POST', '/api/v1/customers', { name: 'bench', slug: 'bench', sipDomain: domain });
  const key = (await sp.ok('POST', '/api/v1/api-keys', { name: 'bench', customerId: customer.id, scopes: ['tenant'] })).key as string;
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const u = users[next++]!;
      await sp.ok('POST', '/api/v1/extensions', { extensionNumber: u.user, displayName: `Bench ${u.user}`, password: u.password }, key);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
