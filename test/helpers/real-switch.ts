/**
 * The product on the real switch: Switchplane in its own process (embedded database, event socket
 * to the switch) and a real FreeSWITCH whose directory, dialplan and SIP profiles come from it,
 * each on ports of its own on 127.0.0.1, FreeSWITCH asking Switchplane with basic-auth credentials
 * as freeswitch/README.md says to configure it; plus customers, extensions, trunks and numbers made
 * through the REST API as a customer would. Both processes stop when the test ends; the test
 * fails if FreeSWITCH logged a failure it did not expect (see `assertCleanLog`).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import { eventually } from './eventually.js';
import { startFreeswitch, type Freeswitch, type FreeswitchOptions } from './freeswitch.js';
import { freeListenPort } from './sipp.js';
import { runSipp, startSipp, type Sipp, type SippResult } from './sipp-scenario.js';
import { startSwitchplane, type SwitchplaneProcess } from './switchplane-process.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export interface RealSwitch {
  sp: SwitchplaneProcess;
  fs: Freeswitch;
  ports: { http: number; esl: number; internal: number; external: number; wss: number; ws: number };
  /** 127.0.0.1:<internal SIP port>: where phones register and call. */
  registrar: string;
  /** 127.0.0.1:<external SIP port>: where carriers send calls. */
  carrierSide: string;
  /** The relay between Switchplane and the event socket, when asked for. */
  eslProxy: TcpProxy | undefined;
  /** XMLCURL_USERNAME/PASSWORD of Switchplane, written into the switch's xml_curl and json_cdr drop-ins. */
  credentials: { username: string; password: string };
  /** Stops Switchplane (SIGTERM), waits `downMs`, starts it again on the same data and port. */
  restartSwitchplane(downMs: number): Promise<void>;
}

/**
 * `eventually` as the real-switch tests use it: 15 s by default, a check every 100 ms (a check
 * may run fs_cli or ask Switchplane's API). Resolves with the check's truthy value.
 */
export function until<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  return eventually(what, check, { timeoutMs, intervalMs: 100 });
}

async function eslConnected(sp: SwitchplaneProcess): Promise<void> {
  await until('Switchplane connected to the event socket', async () => {
    const health = (await (await fetch(`${sp.url}/health`)).json()) as { esl: Array<{ connected: boolean }> };
    return health.esl.every((n) => n.connected);
  });
}

/**
 * Starts Switchplane, then FreeSWITCH pointed at it, and waits until the event socket is connected.
 * @param env more Switchplane environment
 * @param opts.eslProxy Switchplane reaches the event socket through a relay the test can cut
 * @param opts.rtp the switch's RTP ports instead of a shared test range (FreeswitchOptions.rtp)
 * @param opts.normalPriority FreeSWITCH at normal scheduling priority (FreeswitchOptions.normalPriority)
 */
export async function startRealSwitch(t: Test, name: string, env: Record<string, string> = {},
  opts: { eslProxy?: boolean; rtp?: FreeswitchOptions['rtp']; normalPriority?: boolean } = {}): Promise<RealSwitch> {
  const ports = {
    http: await freeListenPort(),
    esl: await freeListenPort(),
    internal: await freeListenPort(),
    external: await freeListenPort(),
    wss: await freeListenPort(),
    ws: await freeListenPort(),
  };
  const eslProxy = opts.eslProxy ? await startTcpProxy(t, ports.esl) : undefined;
  const credentials = { username: 'freeswitch', password: randomBytes(18).toString('base64url') };
  const spEnv = {
    XMLCURL_USERNAME: credentials.username,
    XMLCURL_PASSWORD: credentials.password,
    ESL_NODES: `fs1@127.0.0.1:${eslProxy?.port ?? ports.esl}`,
    ESL_RECONNECT_MAX_MS: '1000',
    SOFIA_SIP_IP: '127.0.0.1',
    SOFIA_EXTERNAL_IP: '127.0.0.1',
    SOFIA_INTERNAL_PORT: String(ports.internal),
    SOFIA_EXTERNAL_PORT: String(ports.external),
    SOFIA_WSS_PORT: String(ports.wss),
    SOFIA_WS_PORT: String(ports.ws),
    ...env,
  };
  const sp = await startSwitchplane(t, ports.http, spEnv);
  const fs = await startFreeswitch(t, { switchplaneUrl: sp.url, eslPort: ports.esl, name, credentials,
    ...(opts.rtp ? { rtp: opts.rtp } : {}), ...(opts.normalPriority ? { normalPriority: true } : {}) });
  await eslConnected(sp);
  const rs: RealSwitch = {
    sp,
    fs,
    ports,
    eslProxy,
    credentials,
    registrar: `127.0.0.1:${ports.internal}`,
    carrierSide: `127.0.0.1:${ports.external}`,
    async restartSwitchplane(downMs) {
      const { adminKey, dataDir } = rs.sp;
      await rs.sp.stop({ keepData: true });
      await sleep(downMs);
      rs.sp = await startSwitchplane(t, ports.http, { ...spEnv, ADMIN_API_KEY: adminKey }, dataDir);
      await eslConnected(rs.sp);
    },
  };
  return rs;
}

/** The last subtest of a file on the real switch: FreeSWITCH logged no failure the tests did not provoke. */
export function assertCleanLog(t: Test, rs: () => RealSwitch): void {
  t.test('FreeSWITCH logged no unexpected failure (Error Parsing Result, HTTP error, [ERR])', async (t) => {
    t.same(rs().fs.unexpectedFailures(), []);
  });
}

export interface Customer {
  id: string;
  sipDomain: string;
  /** A tenant API key for this customer. */
  key: string;
}

/** A customer with a tenant key, made through the admin API. */
export async function createCustomer(sp: SwitchplaneProcess, slug: string, extra: Record<string, unknown> = {}): Promise<Customer> {
  const sipDomain = `${slug}.switchplane.test`;
  const customer = await sp.ok('POST', '/api/v1/customers', { name: slug, slug, sipDomain, ...extra });
  const key = await sp.ok('POST', '/api/v1/api-keys', { name: `${slug} test`, customerId: customer.id, scopes: ['tenant', 'extensions:credentials'] });
  return { id: customer.id, sipDomain, key: key.key };
}

export interface Extension {
  id: string;
  number: string;
  password: string;
}

/** An extension of `c`, made with its tenant key; `body` as the API takes it. */
export async function createExtension(sp: SwitchplaneProcess, c: Customer, body: Record<string, unknown>): Promise<Extension> {
  const ext = await sp.ok('POST', '/api/v1/extensions', body, c.key);
  return { id: ext.id, number: ext.extensionNumber, password: ext.sipCredentials.password };
}

/**
 * A registered phone that answers the next call after `answerAfterMs`: SIPp registers from a port
 * (register.xml), then answers there (phone.xml). `sipp.done` settles after that call's BYE
 * (code 0) or 90 s. With `rtpEcho` SIPp sends every RTP packet it receives back (`-rtp_echo`).
 */
export async function startPhone(t: Test, rs: RealSwitch, c: Customer, ext: Extension, answerAfterMs = 200, opts: { rtpEcho?: boolean } = {}): Promise<Sipp> {
  const port = await freeListenPort();
  const registered = await runSipp(t, {
    scenario: 'register.xml',
    remote: rs.registrar,
    port,
    auth: { user: ext.number, password: ext.password },
    vars: { USER: ext.number, DOMAIN: c.sipDomain, EXPECT: 200, EXPIRES: 300, USER_AGENT: `SIPp-phone-${ext.number}` },
    timeoutMs: 15_000,
  });
  if (registered.code !== 0) throw new Error(`phone ${ext.number}@${c.sipDomain} did not register:\n${registered.messages.slice(-2000)}`);
  const phone = await startSipp(t, { scenario: 'phone.xml', port, vars: { USER: ext.number, ANSWER_AFTER_MS: answerAfterMs }, timeoutMs: 90_000, rtpEcho: opts.rtpEcho });
  // phone.xml ends SIPp itself after the call (exit 97, "internal command", which a global
  // timeout gives too): the call went through when the trace holds the BYE it answered.
  const done = phone.done.then((r) => ({ ...r, code: r.code === 97 && /\] bytes :\s+BYE sip:/.test(r.messages) ? 0 : r.code === 0 ? 1 : r.code }));
  return { ...phone, done };
}

/**
 * Places a call from `from` to `dest`: answered and hung up by the caller after `holdMs` (SIPp
 * call.xml); with `refusedWith`, refused with that status (call-refused.xml).
 */
export function placeCall(
  t: Test,
  rs: RealSwitch,
  c: Customer,
  from: Extension,
  dest: string,
  opts: { holdMs?: number; refusedWith?: number } = {},
): Promise<SippResult> {
  const [scenario, vars] = opts.refusedWith !== undefined
    ? ['call-refused.xml', { EXPECT: opts.refusedWith }]
    : ['call.xml', { HOLD_MS: opts.holdMs ?? 1000 }];
  return runSipp(t, {
    scenario,
    remote: rs.registrar,
    auth: { user: from.number, password: from.password },
    vars: { USER: from.number, DOMAIN: c.sipDomain, DEST: dest, ...vars },
    timeoutMs: 45_000,
  });
}

/**
 * A carrier's call to a DID on the external profile, answered and held for `holdMs`; or, with
 * `refusedWith`, refused with that status (carrier-call-refused.xml). `address` is the loopback
 * address it is sent from (default 127.0.0.1), which the inbound ACL checks.
 */
export function carrierCall(
  t: Test,
  rs: RealSwitch,
  did: string,
  caller: string,
  holdMs = 1000,
  opts: { address?: string; refusedWith?: number } = {},
): Promise<SippResult> {
  const refused = opts.refusedWith !== undefined;
  return runSipp(t, {
    scenario: refused ? 'carrier-call-refused.xml' : 'carrier-call.xml',
    remote: rs.carrierSide,
    ...(opts.address ? { address: opts.address } : {}),
    vars: { DID: did, CALLER: caller, ...(refused ? { EXPECT: opts.refusedWith! } : { HOLD_MS: holdMs }) },
    timeoutMs: 45_000,
  });
}

/** Whether FreeSWITCH's inbound ACL of the external profile admits `address` (mod_commands `acl <ip> trunks`). */
export async function trunkAdmitted(rs: RealSwitch, address: string): Promise<boolean> {
  return (await rs.fs.cli(`acl ${address} trunks`)).trim() === 'true';
}

/** Resolves once FreeSWITCH takes calls from `address` (a trunk there was created, reloadacl done). */
export async function carrierAdmitted(rs: RealSwitch, address = '127.0.0.1'): Promise<void> {
  await until(`calls from ${address} admitted by the trunks ACL`, () => trunkAdmitted(rs, address));
}

/** Every CDR of a customer (newest first), read through its API. */
export async function cdrsOf(sp: SwitchplaneProcess, c: Customer): Promise<any[]> {
  return (await sp.api('GET', '/api/v1/cdrs?limit=200', undefined, c.key)).body.data;
}

/**
 * Resolves once FreeSWITCH has a bridged call, both legs answered (`callstate` ACTIVE in
 * `show calls as json`), one of whose channels matches `channel` (e.g. `sofia/internal/1002@`).
 */
export async function bridgedCall(rs: RealSwitch, channel: string, timeoutMs = 15_000): Promise<void> {
  await until(`an answered, bridged call with ${channel}`, async () => {
    const { rows = [] } = JSON.parse(await rs.fs.cli('show calls as json')) as { rows?: Array<Record<string, string>> };
    return rows.some((r) => (r.name?.includes(channel) || r.b_name?.includes(channel)) && r.callstate === 'ACTIVE' && r.b_callstate === 'ACTIVE');
  }, timeoutMs);
}
