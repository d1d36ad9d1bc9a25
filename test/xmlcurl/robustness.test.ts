import t from 'tap';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../src/wiring/http.js';
import { loadConfig } from '../../src/config.js';
import type { Store } from '../../src/db/store.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { createMetrics } from '../../src/metrics.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { FORM, fixtureBody, isNotFound, parseXml, rewrite } from '../helpers/fixtures.js';
import { directoryUser, dialplan } from '../helpers/xml.js';

const ACME = 'acme.switchplane.test';

for (const backend of backends) {
  t.test(`bad input on ${backend.name}`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const send = async (payload: string | Buffer, headers: Record<string, string> = FORM) => {
      const res = await ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers, payload });
      t.equal(res.statusCode, 200, 'always 200');
      t.doesNotThrow(() => parseXml(res.body), 'well-formed XML');
      return res.body;
    };

    t.test('empty, garbage, binary and unknown sections answer not found', async (t) => {
      t.ok(isNotFound(await send('')));
      t.ok(isNotFound(await send('this is <not a form at all>&&&==')));
      t.ok(isNotFound(await send(randomBytes(2048), { 'content-type': 'application/octet-stream' })));
      t.ok(isNotFound(await send('{"section":"directory"}', { 'content-type': 'application/json' })));
      t.ok(isNotFound(await send('section=languages&tag_name=language&key_name=name&key_value=en')));
      t.ok(isNotFound(await send('section=directory')));
      t.ok(isNotFound(await send('section=dialplan')));
      t.ok(isNotFound(await send('section=configuration')));
      const res = await ctx.app.inject({ method: 'POST', url: '/freeswitch/chatplan', headers: FORM, payload: 'section=chatplan' });
      t.equal(res.statusCode, 200);
      t.ok(isNotFound(res.body));
    });

    t.test('100 KB fields are answered', async (t) => {
      const huge = 'x'.repeat(100 * 1024);
      t.ok(isNotFound(await send(rewrite(fixtureBody('directory-register.txt'), { user: huge, domain: ACME }))));
      t.ok(isNotFound(await send(rewrite(fixtureBody('directory-register.txt'), { domain: huge }))));
      const body = rewrite(fixtureBody('directory-register.txt'), { user: '1001', domain: ACME, key_value: ACME, sip_auth_realm: ACME, sip_user_agent: huge });
      t.equal(directoryUser(await send(body)).id, '1001');
      const dp = rewrite(fixtureBody('dialplan-invite.txt'), { 'Caller-Context': 'public', 'Hunt-Context': 'public', 'Hunt-Destination-Number': huge });
      t.equal(dialplan(await send(dp)).actions.at(-1)?.[1], 'UNALLOCATED_NUMBER');
    });

    t.test('XML metacharacters and non-ASCII in display names are escaped; FreeSWITCH expansions removed', async (t) => {
      const tenantId = await ctx.store.withLookup(async (db) => (await db.selectFrom('tenants').select('id').where('slug', '=', 'acme').executeTakeFirstOrThrow()).id);
      const nasty = `Zoë "<O'Brien> & Ñandú" 東京 \u0001 $\${local_ip_v4} \${system(rm -rf /)}`;
      await ctx.change(tenantId, (db) => db.updateTable('extensions').set({ display_name: nasty, caller_id_name: nasty }).where('extension', '=', '1001').execute());
      const body = rewrite(fixtureBody('directory-register.txt'), { user: '1001', domain: ACME, key_value: ACME, sip_auth_realm: ACME });
      const xml = await send(body);
      const u = directoryUser(xml);
      t.equal(u.variables.effective_caller_id_name, `Zoë "<O'Brien> & Ñandú" 東京  local_ip_v4 system(rm -rf /)`);
      t.notMatch(xml, '${system', 'no run-time expansion survives');
      t.notMatch(xml, '$${local_ip_v4}', 'no preprocessor expansion survives');
      const dp = rewrite(fixtureBody('dialplan-invite.txt'), {
        'Caller-Context': ACME, 'Hunt-Context': ACME, 'Hunt-Destination-Number': '+14155550100', variable_user_name: '1001',
      });
      const names = dialplan(await send(dp)).actions.filter(([app, data]) => app === 'set' && data?.startsWith('effective_caller_id_name='));
      t.same(names, [['set', `effective_caller_id_name=Zoë "<O'Brien> & Ñandú" 東京  local_ip_v4 system(rm -rf /)`]]);
    });

    t.test('SQL metacharacters in user names and domains are plain data', async (t) => {
      for (const user of [`1001' or '1'='1`, `1001"; drop table extensions; --`, `%`, `_001`, `1001\\`]) {
        t.ok(isNotFound(await send(rewrite(fixtureBody('directory-register.txt'), { user, domain: ACME, key_value: ACME }))), user);
      }
      t.ok(isNotFound(await send(rewrite(fixtureBody('directory-register.txt'), { user: '1001', domain: `x' or 1=1 --` }))));
      const count = await ctx.store.withLookup((db) => db.selectFrom('extensions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow());
      t.equal(Number(count.n), 4, 'extensions table intact');
    });

    t.test('a failed lookup is counted', async (t) => {
      const metrics = await ctx.metrics.registry.getSingleMetricAsString('switchplane_xmlcurl_lookups_total');
      t.match(metrics, /section="directory",result="found"/);
      t.match(metrics, /section="directory",result="not_found"/);
    });
  });
}

t.test('a database that is unreachable or slower than the budget answers not found within the budget', async (t) => {
  const config = loadConfig({ DATA_DIR: '/nonexistent', XMLCURL_BUDGET_MS: '200' });
  const secrets = new SecretBox(randomBytes(32));
  const stores: Array<[string, Store]> = [
    ['unreachable', {
      kind: 'postgres',
      withTenant: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      withOperator: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      withLookup: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      withIngest: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      withScheduler: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      onChange: async () => async () => undefined,
      close: async () => undefined,
    }],
    ['hanging', {
      kind: 'postgres',
      withTenant: () => new Promise(() => undefined),
      withOperator: () => new Promise(() => undefined),
      withLookup: () => new Promise(() => undefined),
      withIngest: () => new Promise(() => undefined),
      withScheduler: () => new Promise(() => undefined),
      onChange: async () => async () => undefined,
      close: async () => undefined,
    }],
  ];
  for (const [label, store] of stores) {
    const metrics = createMetrics();
    const app = await buildApp({ config, store, secrets, metrics });
    const body = rewrite(fixtureBody('directory-register.txt'), { user: '1001', domain: ACME, key_value: ACME });
    for (const payload of [body, fixtureBody('configuration-sofia.conf.txt'), rewrite(fixtureBody('dialplan-invite.txt'), { 'Hunt-Context': 'public', 'Hunt-Destination-Number': '+390510510511' })]) {
      // The hanging store never answers: an answer at all, counted as `timeout` below, is the
      // budget's (how fast it comes is for the benchmarks, not for a wall-clock assertion here).
      const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload });
      t.equal(res.statusCode, 200, label);
      t.ok(isNotFound(res.body), `${label}: not found`);
    }
    const counted = await metrics.registry.getSingleMetricAsString('switchplane_xmlcurl_lookups_total');
    for (const section of ['directory', 'configuration', 'dialplan']) {
      t.match(counted, `{section="${section}",result="${label === 'hanging' ? 'timeout' : 'failed'}"} 1`, `${label}: ${section} counted`);
    }
    const health = await app.inject({ method: 'GET', url: '/health' });
    t.equal(health.statusCode, 503, `${label}: health reports the database`);
    await app.close();
  }
});

t.test('XML-curl access control: allowlist and basic auth', async (t) => {
  const ctx = await demoApp(backends[0]!, { XMLCURL_ALLOW_FROM: '10.0.0.0/8', XMLCURL_USERNAME: 'fs', XMLCURL_PASSWORD: 's3cret' });
  t.teardown(ctx.close);
  const body = rewrite(fixtureBody('directory-register.txt'), { user: '1001', domain: ACME, key_value: ACME, sip_auth_realm: ACME });
  const auth = { authorization: 'Basic ' + Buffer.from('fs:s3cret').toString('base64') };
  const outside = await ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { ...FORM, ...auth }, payload: body, remoteAddress: '192.0.2.7' });
  t.equal(outside.statusCode, 403);
  t.ok(isNotFound(outside.body));
  const noAuth = await ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload: body, remoteAddress: '10.1.2.3' });
  t.equal(noAuth.statusCode, 401);
  const wrong = await ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { ...FORM, authorization: 'Basic ' + Buffer.from('fs:nope').toString('base64') }, payload: body, remoteAddress: '10.1.2.3' });
  t.equal(wrong.statusCode, 401);
  const ok = await ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { ...FORM, ...auth }, payload: body, remoteAddress: '10.1.2.3' });
  t.equal(ok.statusCode, 200);
  t.equal(directoryUser(ok.body).id, '1001');
});
