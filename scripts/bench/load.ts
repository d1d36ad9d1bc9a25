/**
 * Load generator for `npm run bench:xmlcurl`, run as a separate process so it does not share the
 * server's event loop, and kept running for the whole bench so that a slice of a few seconds
 * pays no start-up. Reads one JSON command a line on stdin and answers each with one JSON line
 * on stdout, after firing mod_xml_curl requests built from real FreeSWITCH captures at full
 * speed for the slice.
 *
 * Command: `{ url, mode: 'directory'|'dialplan', seconds, connections, keepAlive, tenants, extensions }`.
 * Answer: `{ requests, errors, non2xx, bodyBytes, latencies }`: answers received, transport errors
 * and timeouts, answers other than 2xx, the mean request body size (bytes) and each answer's
 * latency (ms, 0.01 resolution).
 * - keepAlive: autocannon, `connections` persistent connections.
 * - no keep-alive: `connections` loops, each request on a connection of its own that is closed
 *   after the answer (node:http without an agent), as mod_xml_curl does: it makes a new curl
 *   handle per fetch and cleans it up afterwards (mod_xml_curl.c `xml_url_fetch`).
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface SliceCommand {
  url: string;
  mode: 'directory' | 'dialplan';
  seconds: number;
  connections: number;
  keepAlive: boolean;
  tenants: number;
  extensions: number;
}

export interface SliceResult {
  requests: number;
  errors: number;
  non2xx: number;
  bodyBytes: number;
  latencies: number[];
}

const fixtures = fileURLToPath(new URL('../../../shared/fixtures/freeswitch/xml_curl/', import.meta.url));
const capture = (name: string) => {
  const text = readFileSync(fixtures + name, 'utf8');
  return new URLSearchParams(text.slice(text.indexOf('\n\n') + 2));
};
const register = capture('directory-register.txt');
const invite = capture('dialplan-invite.txt');
const pick = (n: number) => Math.floor(Math.random() * n);
const HEADERS = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'freeswitch-xml/1.0' };

/** A REGISTER `sip_auth` body (the capture) for a random user of a random tenant. */
function directoryBody(c: SliceCommand): string {
  const domain = `t${pick(c.tenants)}.bench.switchplane.test`;
  const user = String(1001 + pick(c.extensions));
  for (const k of ['key_value', 'domain', 'sip_auth_realm', 'sip_to_host', 'sip_from_host']) register.set(k, domain);
  for (const k of ['user', 'sip_auth_username', 'sip_to_user', 'sip_from_user']) register.set(k, user);
  return register.toString();
}

/**
 * An INVITE dialplan body (the capture) for a random tenant's DID in the `public` context: a call
 * from a carrier, so without the directory user the captured call had authenticated as
 * (`variable_user_name`), which a call from a trunk does not have.
 */
invite.delete('variable_user_name');
function dialplanBody(c: SliceCommand): string {
  const did = `+1555${String(pick(c.tenants)).padStart(7, '0')}`;
  for (const k of ['Caller-Context', 'Hunt-Context']) invite.set(k, 'public');
  for (const k of ['Caller-Destination-Number', 'Hunt-Destination-Number']) invite.set(k, did);
  return invite.toString();
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function keepAliveSlice(c: SliceCommand, makeBody: () => string): Promise<SliceResult> {
  const latencies: number[] = [];
  let bytes = 0;
  let sent = 0;
  const setupRequest = (req: autocannon.Request) => {
    const body = makeBody();
    bytes += body.length;
    sent++;
    return { ...req, body };
  };
  const options = { url: c.url, method: 'POST' as const, connections: c.connections, duration: c.seconds, headers: HEADERS, requests: [{ setupRequest }] };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(round(responseTime)));
  });
  return { requests: result.requests.total, errors: result.errors + result.timeouts, non2xx: result.non2xx, bodyBytes: bytes / Math.max(1, sent), latencies };
}

function postOnce(url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function closingSlice(c: SliceCommand, makeBody: () => string): Promise<SliceResult> {
  const url = new URL(c.url);
  const out: SliceResult = { requests: 0, errors: 0, non2xx: 0, bodyBytes: 0, latencies: [] };
  let bytes = 0;
  const until = performance.now() + c.seconds * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      const body = makeBody();
      bytes += body.length;
      const started = performance.now();
      try {
        const status = await postOnce(url, body);
        out.requests++;
        if (status < 200 || status > 299) out.non2xx++;
        out.latencies.push(round(performance.now() - started));
      } catch {
        out.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: c.connections }, loop));
  out.bodyBytes = bytes / Math.max(1, out.requests + out.errors);
  return out;
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const c = JSON.parse(line) as SliceCommand;
  const makeBody = c.mode === 'dialplan' ? () => dialplanBody(c) : () => directoryBody(c);
  const result = await (c.keepAlive ? keepAliveSlice(c, makeBody) : closingSlice(c, makeBody));
  process.stdout.write(JSON.stringify(result) + '\n');
}
