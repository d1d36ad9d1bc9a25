/**
 * The AI receptionist guide, step by step: a customer reads its SIP configuration, configures the
 * SIP trunk behind one of its numbers, tests it against a real SIP peer (SIPp on loopback), and
 * FreeSWITCH's next lookups see the new gateway and an edited extension.
 */
import t from 'tap';
import dgram from 'node:dgram';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { freePort, startSipp } from '../helpers/sipp.js';

const SOFIA_EXTERNAL = 'section=configuration&tag_name=configuration&key_name=name&key_value=sofia.conf&profile=external';
const directoryBody = (user: string) =>
  `section=directory&tag_name=domain&key_name=name&key_value=acme.switchplane.test&domain=acme.switchplane.test&user=${user}&action=sip_auth&sip_auth_realm=acme.switchplane.test`;

async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

for (const backend of backends) {
  t.test(`${backend.name}: the AI receptionist guide`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const sippPort = await startSipp(t, 'udp');
    const base = `/api/v1/customers/${keys.acmeId}`;

    const created = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510777', route: 'extension', routeTarget: '1001' });
    t.equal(created.status, 201);
    const numberId: string = created.body.data.id;

    t.test('step 1: the SIP configuration, as the guide shows it, without any password', async (t) => {
      const res = await call(app, keys.acme, 'GET', `${base}/sip_configuration`);
      t.equal(res.status, 200);
      t.match(res.body.data, {
        customer_id: keys.acmeId, customer_name: 'Acme Corp', sip_enabled: true, sip_username: 'acme',
        sip_domain: 'acme.switchplane.test', sip_uri: 'sip:acme@acme.switchplane.test', max_concurrent_calls: 10,
      });
      const main = res.body.data.phone_numbers.find((n: { number: string }) => n.number === '+390510510511');
      t.match(main, { sip_trunk_enabled: true, sip_trunk_host: '127.0.0.1', sip_trunk_port: 5070, sip_trunk_username: 'acme_trunk', sip_trunk_protocol: 'UDP', incoming_calls_enabled: true });
      t.notOk(JSON.stringify(res.body).includes('acme-trunk-secret'), 'no trunk password');
      t.notOk(/password/i.test(JSON.stringify(res.body)), 'no password field at all');
    });

    let trunkId = '';
    t.test('step 2: configure the trunk behind the new number', async (t) => {
      const res = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, {
        phone_number: {
          sip_trunk_enabled: true, sip_trunk_host: '127.0.0.1', sip_trunk_port: sippPort, sip_trunk_username: 'acme_did',
          sip_trunk_password: 'did-trunk-secret', sip_trunk_domain: 'provider.example', sip_trunk_protocol: 'udp',
          incoming_calls_enabled: true, outbound_calls_enabled: false,
        },
      });
      t.equal(res.status, 200);
      t.match(res.body.data, { id: numberId, number: '+390510510777', sip_trunk_enabled: true, sip_trunk_port: sippPort, sip_trunk_domain: 'provider.example', sip_trunk_protocol: 'UDP', outbound_calls_enabled: false });
      const row = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('phone_numbers').select('trunk_id').where('id', '=', numberId).executeTakeFirstOrThrow());
      trunkId = row.trunk_id!;
      t.ok(trunkId);
      const again = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_port: sippPort } });
      t.equal(again.status, 200, 'a second call updates the same trunk');
      const trunks = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('trunks').select('id').where('name', 'like', 'did-%').execute());
      t.same(trunks.map((x) => x.id), [trunkId]);
    });

    t.test('step 3: test the trunk against SIPp', async (t) => {
      const res = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/test_sip_trunk`);
      t.equal(res.status, 200);
      t.match(res.body.data, { reachable: true, status_code: 200, reason_phrase: 'OK', resolved_address: `127.0.0.1:${sippPort}`, transport: 'udp', error: null });
      t.type(res.body.data.round_trip_ms, 'number');
      const camel = await call(app, keys.acme, 'POST', `/api/v1/trunks/${trunkId}/test?timeoutMs=2000`);
      t.match(camel.body.data, { reachable: true, statusCode: 200, roundTripMs: Number });
      const audit = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('audit_log').selectAll().where('action', '=', 'test').execute());
      t.equal(audit.length, 2, 'each test is audited');
    });

    t.test('step 4: FreeSWITCH sees the new gateway, and an edited extension at its next lookup', async (t) => {
      const sofia = await postLookup(t, app, SOFIA_EXTERNAL);
      t.match(sofia, `<gateway name="${trunkId}">`);
      t.match(sofia, `<param name="proxy" value="127.0.0.1:${sippPort}"/>`);
      const ext = (await call(app, keys.acme, 'GET', '/api/v1/extensions')).body.data.find((e: { extensionNumber: string }) => e.extensionNumber === '1002');
      t.notMatch(await postLookup(t, app, directoryBody('1002')), 'Giulia B. (front desk)');
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/extensions/${ext.id}`, { displayName: 'Giulia B. (front desk)' })).status, 200);
      t.ok(await eventually(async () => (await postLookup(t, app, directoryBody('1002'))).includes('Giulia B. (front desk)')), 'the directory cache was invalidated');
    });

    t.test('the preview is the XML FreeSWITCH gets, for this customer only, passwords masked', async (t) => {
      const res = await call(app, keys.acme, 'GET', `${base}/freeswitch_config`);
      t.equal(res.status, 200);
      const { directory, gateways, dialplan } = res.body.data;
      const u1001 = directory.find((d: { user: string }) => d.user === '1001');
      t.equal(u1001.xml, await postLookup(t, app, directoryBody('1001')), 'identical to the directory answer');
      t.match(gateways, `<gateway name="${trunkId}">`);
      t.match(gateways, '<param name="password" value="********"/>');
      t.notMatch(gateways, 'did-trunk-secret');
      t.notMatch(gateways, 'acme-trunk-secret');
      const globexTrunk = await ctx.store.withTenant(keys.globexId, (db) => db.selectFrom('trunks').select('id').executeTakeFirstOrThrow());
      t.notMatch(gateways, globexTrunk.id, 'no other tenant\'s gateway');
      t.ok(dialplan.some((d: { number: string; xml: string }) => d.number === '+390510510511' && d.xml.includes('user/1001@acme.switchplane.test')));
    });

    t.test('unreachable trunks say why', async (t) => {
      const closed = await freePort('udp');
      await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_port: closed } });
      const refused = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/test_sip_trunk`);
      t.match(refused.body.data, { reachable: false, status_code: null, error: { code: 'connection_refused' } });
      const silent = dgram.createSocket('udp4');
      await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
      t.teardown(() => new Promise<void>((r) => silent.close(() => r())));
      await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_port: silent.address().port } });
      const timeout = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/test_sip_trunk?timeout_ms=300`);
      t.match(timeout.body.data, { reachable: false, error: { code: 'timeout' } });
      const noTrunk = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510778', route: 'extension', routeTarget: '1001' });
      const none = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${noTrunk.body.data.id}/test_sip_trunk`);
      t.equal(none.status, 409);
      t.equal(none.body.error.field, 'sip_trunk');
    });

    t.test('validation names the guide\'s fields', async (t) => {
      const bad = async (phone_number: object) => (await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number })).body.error;
      t.match(await bad({ sip_trunk_port: 70000 }), { code: 'validation_failed', field: 'phone_number.sip_trunk_port' });
      t.match(await bad({ sip_trunk_protocol: 'SCTP' }), { code: 'validation_failed', field: 'phone_number.sip_trunk_protocol' });
      t.match(await bad({ sip_trunk_password: 'a$${b}' }), { code: 'validation_failed', field: 'phone_number.sip_trunk_password' });
      t.match(await bad({ sip_trunk_host: 'bad host!' }), { code: 'validation_failed', field: 'phone_number.sip_trunk_host' });
    });

    t.test('another customer gets 404 on every one of these routes, and nothing changes or is sent', async (t) => {
      const before = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('trunks').selectAll().where('id', '=', trunkId).executeTakeFirstOrThrow());
      const attempts: Array<[string, string, object?]> = [
        ['GET', `${base}/sip_configuration`],
        ['GET', `${base}/freeswitch_config`],
        ['POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_host: 'evil.example' } }],
        ['POST', `${base}/phone_numbers/${numberId}/test_sip_trunk`],
        ['POST', `/api/v1/trunks/${trunkId}/test`],
        ['POST', `/api/v1/customers/${keys.globexId}/phone_numbers/${numberId}/test_sip_trunk`],
        ['POST', `/api/v1/customers/${keys.globexId}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_host: 'evil.example' } }],
      ];
      for (const [method, url, body] of attempts) {
        const res = await call(app, keys.globex, method as 'GET' | 'POST', url, body);
        t.equal(res.status, 404, `${method} ${url}`);
      }
      const after = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('trunks').selectAll().where('id', '=', trunkId).executeTakeFirstOrThrow());
      t.same(after, before);
      t.equal((await call(app, keys.acmeRead, 'POST', `${base}/phone_numbers/${numberId}/test_sip_trunk`)).status, 403, 'a read-only key cannot send packets');
    });
  });
}
