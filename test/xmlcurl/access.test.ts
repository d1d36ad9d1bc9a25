/**
 * Who may query /freeswitch/* (src/http/freeswitch-access.ts, loadConfig): loopback only by default, an
 * allowlist, credentials, both; and the settings Switchplane refuses to start with.
 */
import t, { type Test } from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { backends } from '../helpers/backends.js';
import { demoApp, type TestApp } from '../helpers/app.js';
import { FORM, fixtureBody, isNotFound, rewrite } from '../helpers/fixtures.js';
import { directoryUser } from '../helpers/xml.js';

const ACME = 'acme.switchplane.test';
const LOOKUP = rewrite(fixtureBody('directory-register.txt'), { user: '1001', domain: ACME, key_value: ACME, sip_auth_realm: ACME });
const basic = (user: string, pass: string) => ({ authorization: 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64') });

async function lookupFrom(ctx: TestApp, remoteAddress: string, headers: Record<string, string> = {}) {
  return ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { ...FORM, ...headers }, payload: LOOKUP, remoteAddress });
}

async function app(t: Test, env: Record<string, string>): Promise<TestApp> {
  const ctx = await demoApp(backends[0]!, env);
  t.teardown(ctx.close);
  return ctx;
}

t.test('neither allowlist nor credentials: loopback only, every other address 403', async (t) => {
  const ctx = await app(t, {});
  for (const address of ['127.0.0.1', '127.0.0.9', '::1', '::ffff:127.0.0.1']) {
    const res = await lookupFrom(ctx, address);
    t.equal(res.statusCode, 200, address);
    t.equal(directoryUser(res.body).id, '1001');
  }
  for (const address of ['192.0.2.7', '10.0.0.5', '::ffff:192.0.2.7', '2001:db8::1']) {
    const res = await lookupFrom(ctx, address);
    t.equal(res.statusCode, 403, address);
    t.ok(isNotFound(res.body), `${address}: still a FreeSWITCH document`);
    t.notMatch(res.body, 'a1-hash');
  }
  const counted = await ctx.metrics.registry.getSingleMetricAsString('switchplane_xmlcurl_lookups_total');
  t.match(counted, '{section="unknown",result="denied"} 4', 'refusals counted');
});

t.test('an allowlist admits its addresses only, loopback included only when listed', async (t) => {
  const ctx = await app(t, { XMLCURL_ALLOW_FROM: '10.0.0.0/8, 192.0.2.7' });
  t.equal((await lookupFrom(ctx, '10.1.2.3')).statusCode, 200);
  t.equal((await lookupFrom(ctx, '192.0.2.7')).statusCode, 200);
  t.equal((await lookupFrom(ctx, '192.0.2.8')).statusCode, 403);
  t.equal((await lookupFrom(ctx, '127.0.0.1')).statusCode, 403);
});

t.test('credentials without an allowlist: any address with them, none without (loopback neither)', async (t) => {
  const ctx = await app(t, { XMLCURL_USERNAME: 'fs', XMLCURL_PASSWORD: 's3cret-pass' });
  for (const address of ['127.0.0.1', '198.51.100.4']) {
    t.equal((await lookupFrom(ctx, address)).statusCode, 401, `${address} without credentials`);
    t.equal((await lookupFrom(ctx, address, basic('fs', 'wrong'))).statusCode, 401, `${address} with a wrong password`);
    const ok = await lookupFrom(ctx, address, basic('fs', 's3cret-pass'));
    t.equal(ok.statusCode, 200, `${address} with the credentials`);
    t.equal(directoryUser(ok.body).id, '1001');
  }
});

t.test('json_cdr follows the same rules', async (t) => {
  const ctx = await demoApp(backends[0]!, {}, false, () => ({ cdrs: { accept: () => undefined } as never }));
  t.teardown(ctx.close);
  const post = (remoteAddress: string) =>
    ctx.app.inject({ method: 'POST', url: '/freeswitch/cdr', headers: { 'content-type': 'application/json' }, payload: '{}', remoteAddress });
  const outside = await post('192.0.2.7');
  t.equal(outside.statusCode, 403);
  t.same(outside.json(), { error: 'address not allowed' });
  t.equal((await post('127.0.0.1')).statusCode, 400, 'loopback reaches the route (which refuses the empty CDR)');
});

t.test('Switchplane refuses to start with /freeswitch/* open to the network', async (t) => {
  const refused = (env: Record<string, string>, variable: string, message: RegExp) => {
    let err: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      err = e;
    }
    t.type(err, ConfigError, JSON.stringify(env));
    t.equal((err as ConfigError).variable, variable);
    t.match((err as ConfigError).message, message);
  };
  for (const open of ['0.0.0.0/0', '::/0', '10.0.0.0/8,0.0.0.0/0']) {
    refused({ XMLCURL_ALLOW_FROM: open }, 'XMLCURL_ALLOW_FROM', /admits every address.*XMLCURL_USERNAME and XMLCURL_PASSWORD/);
  }
  refused({ XMLCURL_ALLOW_FROM: '10.0.0.300/8' }, 'XMLCURL_ALLOW_FROM', /"10\.0\.0\.300\/8" is not an address or CIDR/);
  refused({ XMLCURL_USERNAME: 'freeswitch', XMLCURL_PASSWORD: 'change-me' }, 'XMLCURL_PASSWORD', /placeholder/);
  refused({ XMLCURL_USERNAME: 'freeswitch' }, 'XMLCURL_PASSWORD', /set together/);
  t.same(loadConfig({ XMLCURL_ALLOW_FROM: '0.0.0.0/0', XMLCURL_USERNAME: 'fs', XMLCURL_PASSWORD: 's3cret-pass' }).xmlcurl.allowFrom, ['0.0.0.0/0'], 'every address, but with credentials');
  t.same(loadConfig({}).xmlcurl.allowFrom, [], 'the default: loopback only');
});
