/**
 * The product on the real switch: Switchplane in its own process (embedded database, event socket
 * to the switch) and a real FreeSWITCH whose directory, dialplan and SIP profiles come from it,
 * each on ports of its own on 127.0.0.1; plus customers, extensions, trunks and numbers made
 * through the REST API as a customer would. Both processes stop when the test ends; the test
 * fails if FreeSWITCH logged a failure it did not expect (see `assertCleanLog`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import { startFreeswitch, type Freeswitch } from './freeswitch.js';
import { freePort } from './sipp.js';
import { startSwitchplane, type SwitchplaneProcess } from './switchplane-process.js';

export interface RealSwitch {
  sp: SwitchplaneProcess;
  fs: Freeswitch;
  ports: { http: number; esl: number; internal: number; external: number; wss: number };
  /** 127.0.0.1:<internal SIP port>: where phones register and call. */
  registrar: string;
  /** 127.0.0.1:<external SIP port>: where carriers send calls. */
  carrierSide: string;
}

/** Waits until `check` resolves truthy (polling every 100 ms); resolves with its value. */
export async function until<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
    await sleep(100);
  }
}

/**
 * Starts Switchplane, then FreeSWITCH pointed at it, and waits until the event socket is connected.
 * @param env more Switchplane environment
 */
export async function startRealSwitch(t: Test, name: string, env: Record<string, string> = {}): Promise<RealSwitch> {
  const ports = {
    http: await freePort('tcp'),
    esl: await freePort('tcp'),
    internal: await freePort('udp'),
    external: await freePort('udp'),
    wss: await freePort('tcp'),
  };
  const sp = await startSwitchplane(t, ports.http, {
    ESL_NODES: `fs1@127.0.0.1:${ports.esl}`,
    ESL_RECONNECT_MAX_MS: '1000',
    SOFIA_SIP_IP: '127.0.0.1',
    SOFIA_EXTERNAL_IP: '127.0.0.1',
    SOFIA_INTERNAL_PORT: String(ports.internal),
    SOFIA_EXTERNAL_PORT: String(ports.external),
    SOFIA_WSS_PORT: String(ports.wss),
    ...env,
  });
  const fs = await startFreeswitch(t, { switchplaneUrl: sp.url, eslPort: ports.esl, name });
  await until('Switchplane connected to the event socket', async () => {
    const health = (await (await fetch(`${sp.url}/health`)).json()) as { esl: Array<{ connected: boolean }> };
    return health.esl.every((n) => n.connected);
  });
  return { sp, fs, ports, registrar: `127.0.0.1:${ports.internal}`, carrierSide: `127.0.0.1:${ports.external}` };
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
