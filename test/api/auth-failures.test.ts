import t from 'tap';
import { clientKey } from '../../src/auth-failures.js';
import { generateApiKey } from '../../src/domain/api-keys.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { FORM, fixtureBody, rewrite } from '../helpers/fixtures.js';

const LIMIT = 20; // AUTH_FAILURES_PER_MINUTE's default
const ACME = 'acme.switchplane.test';
const LOOKUP = rewrite(fixtureBody('directory-register.txt'), { user: '1001', domain: ACME, key_value: ACME, sip_auth_realm: ACME });
const basic = (user: string, pass: string) => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');

t.test('failures are counted per IPv4 address and per IPv6 /64', async (t) => {
  t.equal(clientKey('192.0.2.7'), '192.0.2.7');
  t.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  t.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:2:ffff::9'));
  t.not(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
});

for (const backend of backends) {
  t.test(`${backend.name}: failed authentications are limited per client address`, async (t) => {
    const ctx = await demoApp(backend, { XMLCURL_USERNAME: 'freeswitch', XMLCURL_PASSWORD: 'xml-curl-secret' });
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const get = (remoteAddress: string, authorization?: string) =>
      app.inject({ method: 'GET', url: '/api/v1/extensions', remoteAddress, headers: authorization ? { authorization } : {} });

    t.test('1,000 unknown keys at full speed: 401 up to the limit, then 429 with Retry-After', async (t) => {
      const ok = await get('198.51.100.1', `Bearer ${keys.acme}`);
      t.equal(ok.statusCode, 200, 'a known key from the address, before');
      const tally: Record<number, number> = {};
      const retryAfter = new Set<string>();
      const started = performance.now();
      for (let i = 0; i < 1000; i++) {
        const res = await get('198.51.100.1', `Bearer ${generateApiKey().key}`);
        tally[res.statusCode] = (tally[res.statusCode] ?? 0) + 1;
        if (res.statusCode === 429) {
          retryAfter.add(String(res.headers['retry-after']));
          if (tally[429] === 1) t.match(res.json().error, { code: 'rate_limited', message: /failed authentications/ });
        }
      }
      const ms = performance.now() - started;
      t.comment(`1000 unknown keys in ${Math.round(ms)} ms (${Math.round(1000 / (ms / 1000))}/s): ${JSON.stringify(tally)}`);
      t.same(tally, { 401: LIMIT, 429: 1000 - LIMIT });
      t.ok([...retryAfter].every((s) => Number(s) >= 1 && Number(s) <= 60), `Retry-After ${[...retryAfter].join(', ')} s`);
      const blocked = await get('198.51.100.1', `Bearer ${keys.acme}`);
      t.equal(blocked.statusCode, 429, 'the address is refused before its key is checked, a known one too');
    });

    t.test('the same at 10 requests in flight: few guesses past the limit', async (t) => {
      const tally: Record<number, number> = {};
      for (let batch = 0; batch < 100; batch++) {
        const answers = await Promise.all(Array.from({ length: 10 }, () => get('198.51.100.2', `Bearer ${generateApiKey().key}`)));
        for (const res of answers) tally[res.statusCode] = (tally[res.statusCode] ?? 0) + 1;
      }
      t.comment(`1000 unknown keys, 10 in flight: ${JSON.stringify(tally)}`);
      t.ok(tally[401]! >= LIMIT && tally[401]! < LIMIT + 10, `${tally[401]} keys checked`);
      t.equal(tally[401]! + tally[429]!, 1000);
    });

    t.test('missing, malformed and revoked keys count too', async (t) => {
      const created = await call(app, keys.admin, 'POST', '/api/v1/api-keys', { name: 'soon revoked', customerId: keys.acmeId, scopes: ['tenant'] });
      t.equal(created.status, 201);
      t.equal((await call(app, keys.admin, 'DELETE', `/api/v1/api-keys/${created.body.data.id}`)).status, 200);
      const tries = [undefined, 'Bearer', 'Basic Zm9vOmJhcg==', 'Bearer not-a-key', `Bearer ${created.body.data.key}`];
      const statuses = [];
      for (let i = 0; i < LIMIT; i++) statuses.push((await get('198.51.100.3', tries[i % tries.length])).statusCode);
      t.same(new Set(statuses), new Set([401]));
      t.equal((await get('198.51.100.3', tries[0])).statusCode, 429);
    });

    t.test('known keys are unaffected: not counted, and other addresses go on', async (t) => {
      const statuses = new Set<number>();
      for (let i = 0; i < 5 * LIMIT; i++) statuses.add((await get('198.51.100.4', `Bearer ${keys.acme}`)).statusCode);
      t.same([...statuses], [200], `${5 * LIMIT} requests with a known key`);
      for (let i = 0; i < LIMIT - 1; i++) await get('198.51.100.4', 'Bearer wrong');
      t.equal((await get('198.51.100.4', `Bearer ${keys.acme}`)).statusCode, 200, 'one failure short of the limit');
      t.equal((await get('198.51.100.5', `Bearer ${keys.acme}`)).statusCode, 200, 'while 198.51.100.1 is refused');
      t.equal((await get('198.51.100.1', `Bearer ${keys.acme}`)).statusCode, 429);
      t.equal((await get('2001:db8:7:7::1', `Bearer ${keys.globex}`)).statusCode, 200);
    });

    t.test('wrong xml_curl credentials count with the API failures of the same address', async (t) => {
      const lookup = (remoteAddress: string, authorization: string) =>
        app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { ...FORM, authorization }, payload: LOOKUP, remoteAddress });
      const good = basic('freeswitch', 'xml-curl-secret');
      const statuses = [];
      for (let i = 0; i < LIMIT; i++) statuses.push((await lookup('2001:db8:5:5::10', basic('freeswitch', `guess-${i}`))).statusCode);
      t.same(new Set(statuses), new Set([401]));
      const refused = await lookup('2001:db8:5:5::99', good);
      t.equal(refused.statusCode, 429, 'the /64 is refused before the credentials are checked');
      t.ok(Number(refused.headers['retry-after']) >= 1);
      t.match(refused.body, /<result status="not found"\/>/, 'FreeSWITCH still gets its not-found document');
      t.equal((await lookup('2001:db8:5:6::10', good)).statusCode, 200, 'another /64 is answered');

      for (let i = 0; i < LIMIT / 2; i++) await lookup('192.0.2.50', basic('freeswitch', 'wrong'));
      for (let i = 0; i < LIMIT / 2; i++) await get('192.0.2.50', 'Bearer wrong');
      t.equal((await get('192.0.2.50', `Bearer ${keys.acme}`)).statusCode, 429, 'half on each: the address is over the limit');
      t.equal((await lookup('192.0.2.50', good)).statusCode, 429);
    });

    t.test('json_cdr posts over the limit get 429 with Retry-After, so mod_json_cdr keeps the CDR and retries', async (t) => {
      const cdrApp = await demoApp(backend, { XMLCURL_USERNAME: 'freeswitch', XMLCURL_PASSWORD: 'xml-curl-secret' }, false, () => ({ cdrs: { accept: () => undefined } as never }));
      t.teardown(cdrApp.close);
      const post = (authorization: string) =>
        cdrApp.app.inject({ method: 'POST', url: '/freeswitch/cdr', headers: { 'content-type': 'application/json', authorization }, payload: '{}', remoteAddress: '192.0.2.60' });
      for (let i = 0; i < LIMIT; i++) t.equal((await post(basic('freeswitch', `guess-${i}`))).statusCode, 401);
      const refused = await post(basic('freeswitch', 'xml-curl-secret'));
      t.equal(refused.statusCode, 429);
      t.ok(Number(refused.headers['retry-after']) >= 1);
      t.same(refused.json(), { error: 'too many failed authentications from this address' });
    });
  });
}
