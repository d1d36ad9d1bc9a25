/**
 * Fuzzed bodies, queries and path parameters over every write route of the API: text with NUL
 * and other control characters, lone surrogates and U+FFFE/U+FFFF, strings up to ~1 MB, wrong
 * types, objects and arrays where scalars belong, deep nesting, numbers out of range, unknown
 * fields, bodies that are not objects or not JSON. Every answer must be below 500; every error a
 * small JSON `{ error: { code, message, field? } }`, naming the field when one field was changed.
 * Deterministic: the PRNG seed is printed (FUZZ_SEED picks another; FUZZ_CASES the count per
 * file and database). The trunk test routes are fuzzed against trunks and numbers that do not
 * exist, so no OPTIONS is ever sent. Four files share the routes and the databases
 * (test/api/fuzz-*.test.ts: two sets of routes, each on the embedded database and on PostgreSQL),
 * so that each takes under a minute: 5,000 requests each, 20,000 in all.
 */
import type { Test } from 'tap';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/wiring/http.js';
import { CallControl } from '../../src/esl/call-control.js';
import { ChannelTracker } from '../../src/esl/channels.js';
import { backends } from './backends.js';
import { demoApp, type TestApp } from './app.js';
import { call, demoKeys } from './api.js';
import { eslRig } from './esl-controller.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261204) >>> 0;
const CASES = Number(process.env.FUZZ_CASES ?? 5000);
/** The largest error answer allowed, in bytes. */
const MAX_ERROR_BYTES = 2048;

/** mulberry32: a small, seedable PRNG (uniform in [0, 1)). */
function prng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

const UNSTORABLE_CHARS = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f', '\ufffe', '\uffff', '\ud800', '\udbff', '\udc00', '\udfff'];
const UNICODE = ['é', 'ß', 'Ω', 'ж', 'ע', 'ش', '中', '日本', '한', '😀', '👩‍👩‍👧', '\u0301', '\u200b', '\u200f', '\u202e', '\ufeff', '\u00a0', '\u0085', '\ue000', '𝔘', '\t', '\n', '\r'];
const TRICKY = ["' or 1=1 --", '"; drop table tenants; --', '${sofia_contact(1001@x)}', '$${local_ip_v4}', '{^^:a=b}', '<user id="x"/>', ']]>', '&amp;', '%00', '%s%n', '../../etc/passwd', 'null', 'true', '1e400', '-0', '0x7f000001', '', ' ', 'sip:1001@127.0.0.1', 'http://169.254.169.254/', 'Europe/Rome', '+390510510511', '1001', '09:00', 'daily', 'udp', 'active'];

function fuzzString(r: Rng): string {
  switch (r.int(6)) {
    case 0: {
      const base = r.pick(TRICKY);
      const at = r.int(base.length + 1);
      return base.slice(0, at) + r.pick(UNSTORABLE_CHARS) + base.slice(at);
    }
    case 1:
      return Array.from({ length: 1 + r.int(12) }, () => r.pick(UNICODE)).join('');
    case 2: {
      // Huge: 1 KB to ~1 MB, sometimes with an unstorable character at the end.
      const size = Math.floor(1024 * Math.pow(2, r.next() * 9.9));
      return 'x'.repeat(size) + (r.chance(0.3) ? r.pick(UNSTORABLE_CHARS) : '');
    }
    case 3:
      return r.pick(TRICKY);
    case 4:
      return Array.from({ length: 1 + r.int(40) }, () => String.fromCharCode(r.int(0x80))).join('');
    default:
      return '9'.repeat(1 + r.int(400));
  }
}

const NUMBERS = [0, -1, 1, 1.5, -0.5, 59, 60, 65535, 65536, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, 1e308, -1e308, 1e-300, 1e21];

/** A value of any JSON type; `depth` bounds the nesting of the containers it makes. */
function fuzzValue(r: Rng, depth = 0): unknown {
  const kind = r.int(depth > 2 ? 4 : 8);
  switch (kind) {
    case 0:
    case 1:
      return fuzzString(r);
    case 2:
      return r.pick(NUMBERS);
    case 3:
      return r.pick([true, false, null]);
    case 4:
      return Array.from({ length: r.int(4) }, () => fuzzValue(r, depth + 1));
    case 5:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.chance(0.8) ? r.pick(['a', 'start', 'monday', 'id', 'value', '__proto__', 'constructor']) : fuzzString(r).slice(0, 200), fuzzValue(r, depth + 1)]));
    case 6:
      return Array.from({ length: r.pick([1000, 20_000]) }, () => r.pick([0, 'x', null]));
    default:
      return nested(r.pick([10, 40, 2000]), r.chance(0.5) ? [] : {});
  }
}

/** Percent-encodes the UTF-8 bytes of `s` (a lone surrogate becomes U+FFFD's bytes, as a client's encoder would send it). */
const percentEncode = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');
/** Percent-escapes that decode to no UTF-8 text, or to what an overlong decoder would read as NUL or `/`. */
const BAD_ESCAPES = ['%ff', '%c0%80', '%c0%af', '%ed%a0%80', '%', '%zz', '%00'];

/**
 * Nesting `levels` deep, as a placeholder that `serialize` expands in the JSON text (a
 * JSON.stringify of thousands of levels would overflow this test's own stack).
 */
const nested = (levels: number, container: unknown[] | object) => `__nested_${levels}_${Array.isArray(container) ? 'array' : 'object'}__`;

/** JSON text of `body`, nesting placeholders expanded. */
function serialize(body: unknown): string {
  return JSON.stringify(body).replace(/"__nested_(\d+)_(array|object)__"/g, (_m, levels: string, kind: string) => {
    const n = Number(levels);
    return kind === 'array' ? `${'['.repeat(n)}"leaf"${']'.repeat(n)}` : `${'{"a":'.repeat(n)}"leaf"${'}'.repeat(n)}`;
  });
}

type Method = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export interface Route {
  name: string;
  method: Method;
  /** The URL with its path parameters; `id` replaces the item id when the path is fuzzed. */
  url: (id?: string) => string;
  key: 'admin' | 'tenant';
  /** A body the route accepts (fresh values where they must be unique); undefined: no body. */
  body?: (n: number) => Record<string, unknown>;
  /** Query parameters the route reads. */
  query?: string[];
}

interface Fixture {
  tenantId: string;
  targetId: string;
  extensionId: string;
  trunkId: string;
  numberId: string;
  recurringId: string;
}

function routes(f: Fixture): Route[] {
  const C = `/api/v1/customers/${f.tenantId}`;
  const trunk = (n: number) => ({
    name: `fuzz-${n}`, provider: 'Carrier', host: '192.0.2.10', port: 5060, transport: 'udp', username: 'fuzz', password: 'trunk-secret-1',
    realm: 'sip.example.com', fromUser: 'fuzz', fromDomain: 'sip.example.com', register: false, expireSeconds: 3600, retrySeconds: 30,
    pingSeconds: null, callerIdInFrom: false, priority: 1, maxChannels: 10, status: 'active',
  });
  const number = (n: number) => ({
    number: `+3906${String(10_000_000 + n)}`, trunkId: f.trunkId, description: 'main line', incomingEnabled: true, outboundEnabled: true,
    route: 'extension', routeTarget: '1001', businessHours: { monday: { start: '09:00', end: '17:00' }, sunday: null }, failoverExtension: null,
    crmWebhookUrl: null, crmWebhookSecret: null,
  });
  const extension = (n: number) => ({
    extensionNumber: String(2000 + (n % 7000)), sipUsername: `fuzz${n}`, password: 'extension-pass-1', displayName: 'Fuzz Tester', email: 'fuzz@example.com',
    userId: `u-${n}`, callerIdName: 'Fuzz', callerIdNumber: '+390510510511', allowedCodecs: ['PCMU', 'PCMA'], voicemailEnabled: false, voicemailPin: '1234',
    callRecording: false, reverseAuth: false, forwardingEnabled: false, forwardingNumber: null, doNotDisturb: false, maxConcurrentCalls: 2,
    registrationExpiry: 3600, status: 'active',
  });
  const recurring = () => ({ destinationNumber: '+390212345678', schedule: { frequency: 'weekly', time: '09:30', dayOfWeek: 1, timezone: 'Europe/Rome' }, enabled: true });
  const customer = (n: number) => ({ name: `Fuzz ${n}`, sipDomain: `c${n}.fuzz.test`, timezone: 'Europe/Rome', maxConcurrentCalls: 5, status: 'active', crmWebhookUrl: null });
  return [
    { name: 'create customer', method: 'POST', url: () => '/api/v1/customers', key: 'admin', body: customer },
    { name: 'update customer', method: 'PATCH', url: (id = f.targetId) => `/api/v1/customers/${id}`, key: 'admin', body: (n) => ({ name: `Target ${n}`, timezone: 'Europe/Madrid', maxConcurrentCalls: 3 }) },
    { name: 'suspend customer', method: 'POST', url: (id = f.targetId) => `/api/v1/customers/${id}/suspend`, key: 'admin' },
    { name: 'create API key', method: 'POST', url: () => '/api/v1/api-keys', key: 'admin', body: (n) => ({ name: `key ${n}`, customerId: f.targetId, scopes: ['tenant:read'] }) },
    { name: 'revoke API key', method: 'DELETE', url: (id = randomUUID()) => `/api/v1/api-keys/${id}`, key: 'admin' },
    { name: 'create trunk', method: 'POST', url: () => `${C}/trunks`, key: 'admin', body: trunk },
    { name: 'replace trunk', method: 'PUT', url: (id = f.trunkId) => `${C}/trunks/${id}`, key: 'admin', body: (n) => ({ ...trunk(n), name: 'fuzz-main' }) },
    { name: 'update trunk', method: 'PATCH', url: (id = f.trunkId) => `${C}/trunks/${id}`, key: 'admin', body: () => ({ priority: 2, maxChannels: 20 }) },
    { name: 'delete trunk', method: 'DELETE', url: (id = randomUUID()) => `${C}/trunks/${id}`, key: 'admin' },
    { name: 'test trunk', method: 'POST', url: (id = randomUUID()) => `${C}/trunks/${id}/test`, key: 'admin', body: () => ({ timeoutMs: 100 }), query: ['timeoutMs'] },
    { name: 'create number', method: 'POST', url: () => `${C}/phone-numbers`, key: 'admin', body: number },
    { name: 'replace number', method: 'PUT', url: (id = f.numberId) => `${C}/phone-numbers/${id}`, key: 'admin', body: (n) => ({ ...number(n), number: '+390600000001' }) },
    { name: 'update number', method: 'PATCH', url: (id = f.numberId) => `${C}/phone-numbers/${id}`, key: 'admin', body: () => ({ description: 'updated', routeTarget: '1001' }) },
    { name: 'delete number', method: 'DELETE', url: (id = randomUUID()) => `${C}/phone-numbers/${id}`, key: 'admin' },
    { name: 'test number trunk', method: 'POST', url: (id = randomUUID()) => `${C}/phone_numbers/${id}/test_sip_trunk`, key: 'admin', query: ['timeout_ms'] },
    {
      name: 'configure number trunk', method: 'POST', url: (id = f.numberId) => `${C}/phone_numbers/${id}/configure_sip_trunk`, key: 'admin',
      body: () => ({ phone_number: { sip_trunk_enabled: true, sip_trunk_host: '192.0.2.20', sip_trunk_port: 5060, sip_trunk_username: 'did', sip_trunk_password: 'did-secret-1', sip_trunk_domain: 'sip.example.com', sip_trunk_protocol: 'UDP', incoming_calls_enabled: true } }),
    },
    { name: 'create extension', method: 'POST', url: () => '/api/v1/extensions', key: 'tenant', body: extension },
    { name: 'create extension (admin)', method: 'POST', url: () => `${C}/extensions`, key: 'admin', body: extension },
    { name: 'replace extension', method: 'PUT', url: (id = f.extensionId) => `/api/v1/extensions/${id}`, key: 'tenant', body: (n) => ({ ...extension(n), extensionNumber: '1001', sipUsername: 'fuzz1001' }) },
    { name: 'update extension', method: 'PATCH', url: (id = f.extensionId) => `/api/v1/extensions/${id}`, key: 'tenant', body: () => ({ displayName: 'Patched', callerIdName: 'Patched', userId: 'patched' }) },
    { name: 'delete extension', method: 'DELETE', url: (id = randomUUID()) => `/api/v1/extensions/${id}`, key: 'tenant' },
    { name: 'create recurring call', method: 'POST', url: (id = f.extensionId) => `/api/v1/extensions/${id}/recurring-calls`, key: 'tenant', body: recurring },
    { name: 'replace recurring call', method: 'PUT', url: (id = f.recurringId) => `/api/v1/recurring-calls/${id}`, key: 'tenant', body: recurring },
    { name: 'delete recurring call', method: 'DELETE', url: (id = randomUUID()) => `/api/v1/recurring-calls/${id}`, key: 'tenant' },
    { name: 'click-to-call', method: 'POST', url: () => '/api/v1/calls', key: 'tenant', body: () => ({ extension: '1001', destination: '+390212345678' }) },
    { name: 'hang up', method: 'POST', url: (id = randomUUID()) => `/api/v1/calls/${id}/hangup`, key: 'tenant' },
    { name: 'transfer', method: 'POST', url: (id = randomUUID()) => `/api/v1/calls/${id}/transfer`, key: 'tenant', body: () => ({ extension: '1001' }) },
  ];
}

/** What a case changed, and so whether a 400 must name a field. */
type Mutation = 'valid' | 'field' | 'fields' | 'unknown field' | 'missing field' | 'not an object' | 'not JSON' | 'path' | 'query';

interface Case {
  route: Route;
  mutation: Mutation;
  url: string;
  payload?: string;
  contentType?: string;
}

function makeCase(r: Rng, route: Route, n: number): Case {
  const template = route.body?.(n);
  const mutations: Mutation[] = ['field', 'field', 'field', 'field', 'fields', 'unknown field', 'missing field', 'not an object', 'not JSON', 'path', 'valid'];
  if (route.query) mutations.push('query', 'query');
  let mutation = r.pick(mutations);
  if (!template && ['field', 'fields', 'missing field'].includes(mutation)) mutation = 'unknown field';
  let body: unknown = template ? structuredClone(template) : undefined;
  let url = route.url();
  let payload: string | undefined;
  let contentType: string | undefined;
  const setRandomField = (obj: Record<string, unknown>) => {
    const keys = Object.keys(obj);
    const key = r.pick(keys);
    const inner = obj[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner) && r.chance(0.6)) setRandomField(inner as Record<string, unknown>);
    else obj[key] = fuzzValue(r);
  };
  switch (mutation) {
    case 'field':
      setRandomField(body as Record<string, unknown>);
      break;
    case 'fields':
      for (let i = 0, k = 2 + r.int(3); i < k; i++) setRandomField(body as Record<string, unknown>);
      break;
    case 'unknown field': {
      const name = r.chance(0.7) ? r.pick(['extension', 'tenantId', 'id', 'admin', 'sip_domain', 'x']) : fuzzString(r).slice(0, r.pick([10, 100_000]));
      body = { ...((body as object) ?? {}), [name]: fuzzValue(r) };
      break;
    }
    case 'missing field': {
      const obj = body as Record<string, unknown>;
      delete obj[r.pick(Object.keys(obj))];
      break;
    }
    case 'not an object':
      body = r.chance(0.5) ? fuzzValue(r) : r.pick([[], 'text', 42, null, true, nested(5000, [])]);
      break;
    case 'not JSON':
      [payload, contentType] = r.pick<[string, string]>([
        ['{"name": "x",', 'application/json'],
        ['{"name": "x"}}', 'application/json'],
        ["{'name': 'x'}", 'application/json'],
        ['name=x&host=y', 'application/x-www-form-urlencoded'],
        ['<name>x</name>', 'application/xml'],
        [fuzzString(r).slice(0, 5000), 'text/plain'],
        ['{"__proto__": {"admin": true}}', 'application/json'],
        ['{"constructor": {"prototype": {"admin": true}}}', 'application/json'],
        [`{"name": "${'\\ud800'}"}`, 'application/json'],
        [`{"name": "a\\u0000b"}`, 'application/json'],
        ['\u0000', 'application/json'],
        ['', 'application/json'],
      ]);
      break;
    case 'path':
      url = route.url(r.chance(0.2)
        ? `${randomUUID()}${r.pick(BAD_ESCAPES)}`
        : percentEncode(r.chance(0.5) ? fuzzString(r).slice(0, r.pick([40, 2000])) : r.pick(['0', '-1', 'null', '00000000-0000-0000-0000-000000000000', randomUUID().toUpperCase(), `${randomUUID()}x`])));
      break;
    case 'query': {
      const value = r.chance(0.5) ? String(r.pick(NUMBERS)) : fuzzString(r).slice(0, 4000);
      const extra = r.chance(0.2) ? `&${percentEncode(fuzzString(r).slice(0, 100))}=1` : r.chance(0.1) ? `&x=${r.pick(BAD_ESCAPES)}` : '';
      url = `${url}?${r.pick(route.query!)}=${percentEncode(value)}${extra}`;
      break;
    }
    case 'valid':
      break;
  }
  if (payload === undefined && body !== undefined) {
    payload = serialize(body);
    contentType = 'application/json';
  }
  return { route, mutation, url, payload, contentType };
}

/** `text` for a failure report: runs of one character shortened (`x{262144}`), then cut at `max`. */
const brief = (text: string, max: number) => text.replace(/(.)\1{31,}/gs, (run, c: string) => `${c}{${run.length}}`).slice(0, max);

/** The calls routes need a FreeSWITCH: a fake event socket that accepts every command. */
async function appWithCalls(test: Test, ctx: TestApp): Promise<FastifyInstance> {
  const tracker = new ChannelTracker({ store: ctx.store, metrics: ctx.metrics, onError: (err) => test.error(err), countDelayMs: 5 });
  const rig = await eslRig(test, [tracker], ctx.metrics, (cmd) => (cmd === 'show channels as json' ? '{"row_count": 0}\n' : '+OK\n'));
  const calls = new CallControl({ nodes: rig.nodes, channels: tracker });
  const app = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics, esl: rig.nodes, calls });
  test.teardown(async () => {
    await app.close();
    await tracker.close();
  });
  return app;
}

/** The extension, recurring-call and call-control routes; the others are the operator's (customers, API keys, trunks, numbers). */
export const isExtensionOrCallRoute = (route: Route): boolean => /extension|recurring call|click-to-call|hang up|transfer/.test(route.name);

/**
 * One test: FUZZ_CASES (default 5,000) fuzzed requests over the write routes `select` keeps, each
 * route in turn, from one seeded PRNG, on `database` (none on PostgreSQL without TEST_DATABASE_URL).
 * @param what the routes, for the test's name
 */
export function fuzzWriteRoutes(t: Test, what: string, select: (route: Route) => boolean, database: 'pglite' | 'postgres'): void {
  for (const backend of backends.filter((b) => b.name === database)) {
    t.test(`${backend.name}: ${CASES} fuzzed requests over ${what}, seed ${SEED}`, async (t) => {
      const ctx = await demoApp(backend, { API_RATE_LIMIT_PER_MINUTE: '1000000', TRUNK_TEST_RATE_LIMIT_PER_MINUTE: '100000' });
      t.teardown(ctx.close);
      const keys = await demoKeys(ctx.store);
      const app = await appWithCalls(t, ctx);

      // The customer the fuzz writes in, its tenant key and one record of each kind; a second
      // customer to rename and suspend.
      const tenant = await call(app, keys.admin, 'POST', '/api/v1/customers', { name: 'Fuzz Inc', sipDomain: 'fuzz.switchplane.test' });
      const target = await call(app, keys.admin, 'POST', '/api/v1/customers', { name: 'Target Inc', sipDomain: 'target.switchplane.test' });
      const tenantId: string = tenant.body.data.id;
      const tenantKey = (await call(app, keys.admin, 'POST', '/api/v1/api-keys', { name: 'fuzz', customerId: tenantId, scopes: ['tenant'] })).body.data.key;
      const C = `/api/v1/customers/${tenantId}`;
      const trunk = await call(app, keys.admin, 'POST', `${C}/trunks`, { name: 'fuzz-main', host: '192.0.2.10' });
      const extension = await call(app, tenantKey, 'POST', '/api/v1/extensions', { extensionNumber: '1001', sipUsername: 'fuzz1001' });
      const number = await call(app, keys.admin, 'POST', `${C}/phone-numbers`, { number: '+390600000001', trunkId: trunk.body.data.id, routeTarget: '1001' });
      const recurring = await call(app, tenantKey, 'POST', `/api/v1/extensions/${extension.body.data.id}/recurring-calls`, { destinationNumber: '+390212345678', schedule: { frequency: 'daily', time: '09:00' } });
      t.same([tenant, target, trunk, extension, number, recurring].map((r) => r.status), [201, 201, 201, 201, 201, 201], 'fixtures created');
      const fixture: Fixture = {
        tenantId, targetId: target.body.data.id, extensionId: extension.body.data.id, trunkId: trunk.body.data.id,
        numberId: number.body.data.id, recurringId: recurring.body.data.id,
      };
      const all = routes(fixture).filter(select);

      t.comment(`seed ${SEED} (FUZZ_SEED=${SEED} repeats this run)`);
      const r = prng(SEED);
      const byStatus: Record<string, number> = {};
      const byRoute: Record<string, Record<number, number>> = {};
      const problems: string[] = [];
      let largestError = 0;
      const started = performance.now();
      for (let n = 0; n < CASES; n++) {
        const route = all[n % all.length]!;
        const c = makeCase(r, route, n);
        const res = await app.inject({
          method: route.method, url: c.url,
          headers: { authorization: `Bearer ${route.key === 'admin' ? keys.admin : tenantKey}`, ...(c.contentType ? { 'content-type': c.contentType } : {}) },
          ...(c.payload !== undefined ? { payload: c.payload } : {}),
        });
        byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
        (byRoute[route.name] ??= {})[res.statusCode] = (byRoute[route.name]![res.statusCode] ?? 0) + 1;
        const what = () => `#${n} ${route.method} ${brief(c.url, 200)} [${c.mutation}] ${brief(c.payload ?? '', 1500)} → ${res.statusCode} ${brief(res.body, 300)}`;
        if (res.statusCode >= 500) {
          problems.push(`5xx: ${what()}`);
          continue;
        }
        if (res.statusCode < 400) continue;
        let answer: { error?: { code?: unknown; message?: unknown; field?: unknown } };
        try {
          answer = JSON.parse(res.body) as typeof answer;
        } catch {
          problems.push(`not JSON: ${what()}`);
          continue;
        }
        largestError = Math.max(largestError, res.rawPayload.length);
        if (res.rawPayload.length > MAX_ERROR_BYTES) problems.push(`${res.rawPayload.length}-byte error: ${what()}`);
        const error = answer.error;
        if (typeof error?.code !== 'string' || typeof error.message !== 'string') problems.push(`no error code and message: ${what()}`);
        // A body with a __proto__ or constructor key is refused whole (secure-json-parse), before any field is looked at.
        const fieldAtFault = ['field', 'fields', 'unknown field', 'missing field', 'path', 'query'].includes(c.mutation) && !/"(__proto__|constructor)":/.test(c.payload ?? '');
        if (res.statusCode === 400 && fieldAtFault && (typeof error?.field !== 'string' || error.field === '')) problems.push(`400 without a field: ${what()}`);
      }
      const seconds = (performance.now() - started) / 1000;

      t.comment(`${CASES} requests in ${seconds.toFixed(1)} s (${Math.round(CASES / seconds)}/s); by status: ${JSON.stringify(byStatus)}; largest error answer ${largestError} bytes`);
      for (const [name, statuses] of Object.entries(byRoute)) t.comment(`  ${name}: ${JSON.stringify(statuses)}`);
      t.equal(Object.keys(byStatus).filter((s) => Number(s) >= 500).length, 0, 'no answer of 5xx');
      const kinds: Record<string, number> = {};
      for (const p of problems) kinds[p.replace(/:.*/s, '').replace(/^\d+-byte/, 'large')] = (kinds[p.replace(/:.*/s, '').replace(/^\d+-byte/, 'large')] ?? 0) + 1;
      t.same(problems.slice(0, 20), [], `${problems.length} answers broke the rules: ${JSON.stringify(kinds)}`);
      t.ok((byStatus[200] ?? 0) + (byStatus[201] ?? 0) + (byStatus[202] ?? 0) > CASES / 50, 'some fuzzed requests were still valid and went through');
    });
  }
}
