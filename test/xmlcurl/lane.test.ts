/**
 * The node:http lane ahead of Fastify (src/xmlcurl/lane.ts): which requests it takes, and that
 * over a real socket the app answers, counts and refuses as through Fastify (app.inject).
 */
import t from 'tap';
import http, { type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthFailures } from '../../src/auth-failures.js';
import { loadConfig } from '../../src/config.js';
import { XmlCurlLane } from '../../src/xmlcurl/lane.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { FORM, fixtureBody, isNotFound, rewrite } from '../helpers/fixtures.js';
import { directoryUser } from '../helpers/xml.js';

const ACME = 'acme.switchplane.test';
const LOOKUP = rewrite(fixtureBody('directory-register.txt'), { user: '1001', domain: ACME, key_value: ACME, sip_auth_realm: ACME });

interface Sent { status: number; body: string; headers: http.IncomingHttpHeaders }

/** Sends one request over a new connection to 127.0.0.1:`port`. */
function send(port: number, method: string, path: string, headers: Record<string, string | number>, body = ''): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const formHeaders = (body: string) => ({ ...FORM, 'content-length': Buffer.byteLength(body) });

t.test('the lane takes form POSTs to /freeswitch/xml from admitted addresses only, after the plugin set its answer', async (t) => {
  const taken: string[] = [];
  const passed: string[] = [];
  const lane = new XmlCurlLane(loadConfig({ DATABASE_URL: 'postgres://x/y' }), 64, new AuthFailures(20));
  const fallback: RequestListener = (req, res) => {
    passed.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.end('fastify'));
  };
  const server: Server = lane.server(fallback, {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;

  t.equal((await send(port, 'POST', '/freeswitch/xml', formHeaders('section=directory'), 'section=directory')).body, 'fastify', 'no answer set yet: Fastify');
  lane.respond = (form) => {
    taken.push(form);
    return form.startsWith('section=dialplan') ? Promise.resolve('<later/>') : Buffer.from('<now/>');
  };
  const now = await send(port, 'POST', '/freeswitch/xml', formHeaders('section=directory'), 'section=directory');
  t.same([now.status, now.body, now.headers['content-type'], now.headers['content-length']], [200, '<now/>', 'text/xml; charset=utf-8', '6']);
  t.equal((await send(port, 'POST', '/freeswitch/xml', formHeaders('section=dialplan'), 'section=dialplan')).body, '<later/>', 'an asynchronous answer');
  t.same(taken, ['section=directory', 'section=dialplan'], 'the form body as sent');

  for (const [method, path, headers, body] of [
    ['GET', '/freeswitch/xml?section=directory', {}, ''],
    ['POST', '/freeswitch/directory', formHeaders('a=b'), 'a=b'],
    ['POST', '/freeswitch/xml', { 'content-type': 'text/plain', 'content-length': 3 }, 'a=b'],
    ['POST', '/freeswitch/xml', formHeaders('x'.repeat(65)), 'x'.repeat(65)],
    ['POST', '/freeswitch/xml', { ...FORM, 'transfer-encoding': 'chunked' }, 'a=b'],
  ] as const) {
    t.equal((await send(port, method, path, headers, body)).body, 'fastify', `${method} ${path} ${JSON.stringify(headers)}: Fastify`);
  }
  t.equal(taken.length, 2);
  t.equal(passed.length, 6);
});

t.test('no credentials when they are required, trusted proxies or an address outside the allowlist: Fastify, which checks and refuses', async (t) => {
  for (const env of [{ XMLCURL_USERNAME: 'fs', XMLCURL_PASSWORD: 'secret-password-1' }, { TRUST_PROXY: '127.0.0.1' }, { XMLCURL_ALLOW_FROM: '192.0.2.0/24' }]) {
    const lane = new XmlCurlLane(loadConfig({ DATABASE_URL: 'postgres://x/y', ...env }), 1024, new AuthFailures(20));
    lane.respond = () => '<lane/>';
    const server = lane.server((req, res) => { req.resume(); res.end('fastify'); }, {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    t.equal((await send(port, 'POST', '/freeswitch/xml', formHeaders('a=b'), 'a=b')).body, 'fastify', Object.keys(env).join(','));
    await new Promise<void>((r) => server.close(() => r()));
  }
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

t.test('with XMLCURL_USERNAME/PASSWORD: the lane takes the Authorization header they make, from an address with no recent failure', async (t) => {
  const failures = new AuthFailures(20);
  const lane = new XmlCurlLane(loadConfig({ DATABASE_URL: 'postgres://x/y', XMLCURL_USERNAME: 'fs', XMLCURL_PASSWORD: 'secret-password-1' }), 1024, failures);
  lane.respond = () => '<lane/>';
  const server = lane.server((req, res) => { req.resume(); res.end('fastify'); }, {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const lookup = (authorization?: string) =>
    send(port, 'POST', '/freeswitch/xml', { ...formHeaders('a=b'), ...(authorization ? { authorization } : {}) }, 'a=b').then((r) => r.body);

  t.equal(await lookup(basic('fs', 'secret-password-1')), '<lane/>', 'the right credentials');
  t.equal(await lookup(basic('fs', 'secret-password-2')), 'fastify', 'a wrong password: Fastify answers (401) and counts it');
  t.equal(await lookup(basic('other', 'secret-password-1')), 'fastify', 'a wrong user');
  t.equal(await lookup('basic ' + basic('fs', 'secret-password-1').slice(6)), 'fastify', 'another spelling: Fastify judges it');
  t.equal(await lookup(), 'fastify', 'none');
  await failures.fail('127.0.0.1');
  t.equal(await lookup(basic('fs', 'secret-password-1')), 'fastify', 'an address that failed within the minute: Fastify, which refuses it once over the limit');
  t.ok(failures.failedRecently('::ffff:127.0.0.1'), 'counted under the address, as the limit counts it');
  t.notOk(failures.failedRecently('127.0.0.2'), 'another address is not');
});

for (const backend of backends) {
  t.test(`${backend.name}: over a socket with credentials, the right ones are answered and an address over the failure limit is refused (429)`, async (t) => {
    const ctx = await demoApp(backend, { XMLCURL_USERNAME: 'fs', XMLCURL_PASSWORD: 'secret-password-1', AUTH_FAILURES_PER_MINUTE: '3' });
    t.teardown(ctx.close);
    await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (ctx.app.server.address() as AddressInfo).port;
    const lookup = (authorization: string) => send(port, 'POST', '/freeswitch/xml', { ...formHeaders(LOOKUP), authorization }, LOOKUP);

    const right = await lookup(basic('fs', 'secret-password-1'));
    t.equal(right.status, 200);
    t.equal(directoryUser(right.body).id, '1001');
    for (let i = 0; i < 3; i++) t.equal((await lookup(basic('fs', `wrong-${i}`))).status, 401, `wrong password ${i + 1}`);
    const blocked = await lookup(basic('fs', 'secret-password-1'));
    t.equal(blocked.status, 429, 'the right password from an address over the limit is not checked');
    t.ok(Number(blocked.headers['retry-after']) > 0, 'Retry-After');
  });
}

for (const backend of backends) {
  t.test(`${backend.name}: over a socket the app answers and counts lookups as through Fastify`, async (t) => {
    const ctx = await demoApp(backend, {});
    t.teardown(ctx.close);
    await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (ctx.app.server.address() as AddressInfo).port;
    const found = async () =>
      (await ctx.metrics.xmlcurlLookups.get()).values.find((v) => v.labels.section === 'directory' && v.labels.result === 'found')?.value ?? 0;

    const before = await found();
    const viaSocket = await send(port, 'POST', '/freeswitch/xml', formHeaders(LOOKUP), LOOKUP);
    const viaInject = await ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload: LOOKUP });
    t.equal(viaSocket.status, 200);
    t.equal(viaSocket.headers['content-type'], viaInject.headers['content-type']);
    t.equal(viaSocket.body, viaInject.body, 'the same answer');
    t.equal(directoryUser(viaSocket.body).id, '1001');
    t.equal((await found()) - before, 2, 'both counted');

    const unknown = rewrite(LOOKUP, { domain: 'nowhere.test', key_value: 'nowhere.test', sip_auth_realm: 'nowhere.test' });
    const missing = await send(port, 'POST', '/freeswitch/xml', formHeaders(unknown), unknown);
    t.equal(missing.status, 200);
    t.ok(isNotFound(missing.body), 'an unknown domain: not found');
    const health = await send(port, 'GET', '/health', {});
    t.equal(health.status, 200, 'other routes still reach Fastify');
    t.same(Object.keys(JSON.parse(health.body)).filter((k) => k.endsWith('PrerenderPending')), ['directoryPrerenderPending', 'dialplanPrerenderPending'], 'health counts both prerenders');
  });
}
