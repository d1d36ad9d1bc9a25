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
import { fixtureBody, rewrite } from '../helpers/fixtures.js';
import { silentPeer } from '../helpers/silent-peer.js';
import { eventually } from '../helpers/eventually.js';

const SOFIA_EXTERNAL = 'section=configuration&tag_name=configuration&key_name=name&key_value=sofia.conf&profile=external';
const directoryBody = (user: string) =>
  `section=directory&tag_name=domain&key_name=name&key_value=acme.switchplane.test&domain=acme.switchplane.test&user=${user}&action=sip_auth&sip_auth_realm=acme.switchplane.test`;

/** The captured INVITE dialplan fetch of mod_xml_curl, for a call from a carrier to `destination`. */
const inboundBody = (destination: string) =>
  rewrite(fixtureBody('dialplan-invite.txt'), {
    'Caller-Context': 'public', 'Hunt-Context': 'public',
    'Caller-Destination-Number': destination, 'Hunt-Destination-Number': destination,
    'Caller-Caller-ID-Number': '', 'Hunt-Caller-ID-Number': '', variable_user_name: '', variable_domain_name: 'public',
  });

/** The `<gateway name="id">...</gateway>` element of a sofia.conf answer, or undefined. */
const gatewayElement = (xml: string, id: string) => new RegExp(`<gateway name="${id}">[\\s\\S]*?</gateway>`).exec(xml)?.[0];

/** The directory cache drops the tenant when the change notice arrives: up to 5 s, a lookup every 50 ms. */
const NOTICE = { timeoutMs: 5000, intervalMs: 50 };

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
      t.match(main, { sip_trunk_enabled: true, sip_trunk_host: '127.0.0.1', sip_trunk_port: 5070, sip_trunk_username: 'acme_trunk', sip_trunk_protocol: 'UDP', sip_trunk_context: 'public', sip_trunk_shared: true, incoming_calls_enabled: true });
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
      t.match(res.body.data, { id: numberId, number: '+390510510777', sip_trunk_enabled: true, sip_trunk_port: sippPort, sip_trunk_domain: 'provider.example', sip_trunk_protocol: 'UDP', sip_trunk_shared: false, outbound_calls_enabled: false });
      const row = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('phone_numbers').select('trunk_id').where('id', '=', numberId).executeTakeFirstOrThrow());
      trunkId = row.trunk_id!;
      t.ok(trunkId);
      const again = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_port: sippPort } });
      t.equal(again.status, 200, 'a second call updates the same trunk');
      const trunks = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('trunks').select('id').where('name', 'like', 'did-%').execute());
      t.same(trunks.map((x) => x.id), [trunkId]);
      const audit = await ctx.store.withTenant(keys.acmeId, (db) =>
        db.selectFrom('audit_log').select(['action', 'resource_type', 'resource_id']).where('resource_id', 'in', [trunkId, numberId]).orderBy('created_at').orderBy('id').execute());
      t.match(audit.filter((a) => a.resource_type === 'trunk').map((a) => a.action), ['create', 'update'], 'the trunk was created, then updated, both audited');
      t.equal(audit.filter((a) => a.resource_type === 'phone_number' && a.action === 'update').length, 2, 'each configure audits the number');
      const listed = await call(app, keys.acme, 'GET', `${base}/sip_configuration`);
      t.same(listed.body.data.phone_numbers.find((n: { id: string }) => n.id === numberId), res.body.data, 'the answer is the sip_configuration entry');
      t.notOk(JSON.stringify(listed.body).includes('did-trunk-secret'), 'the new password is never answered');
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
      t.same(audit.map((a) => a.resource_id), [trunkId, trunkId]);
      const viaCustomer = await call(app, keys.acme, 'POST', `${base}/trunks/${trunkId}/test`);
      t.match(viaCustomer, { status: 200, body: { data: { reachable: true, statusCode: 200, transport: 'udp', error: null } } }, 'the /customers/{id}/trunks/{id}/test form');
      for (const q of ['timeout_ms=50', 'timeout_ms=20000']) {
        t.equal((await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/test_sip_trunk?${q}`)).status, 400, `${q} is refused`);
      }
      t.equal((await call(app, keys.acme, 'POST', `/api/v1/trunks/${trunkId}/test?timeoutMs=99`)).status, 400, 'timeoutMs=99 is refused');
    });

    t.test('step 4: FreeSWITCH sees the new gateway, and an edited extension at its next lookup', async (t) => {
      const sofia = await postLookup(t, app, SOFIA_EXTERNAL);
      t.match(sofia, `<gateway name="${trunkId}">`);
      t.match(sofia, `<param name="proxy" value="127.0.0.1:${sippPort}"/>`);
      const ext = (await call(app, keys.acme, 'GET', '/api/v1/extensions')).body.data.find((e: { extensionNumber: string }) => e.extensionNumber === '1002');
      t.notMatch(await postLookup(t, app, directoryBody('1002')), 'Giulia B. (front desk)');
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/extensions/${ext.id}`, { displayName: 'Giulia B. (front desk)' })).status, 200);
      t.ok(await eventually('the new display name in the directory', async () => (await postLookup(t, app, directoryBody('1002'))).includes('Giulia B. (front desk)'), NOTICE), 'the directory cache was invalidated');
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

      t.same(directory.map((d: { user: string }) => d.user).sort(), ['1001', '1002'], "Acme's active extensions, not the suspended one");
      for (const d of directory as Array<{ user: string; xml: string }>) {
        t.match(d.xml, /<param name="a1-hash" value="[0-9a-f]{32}"\/>/, `${d.user}: an a1-hash`);
        t.notMatch(d.xml, /demo-100\d-secret/, `${d.user}: no SIP password in clear`);
        t.equal(d.xml, await postLookup(t, app, directoryBody(d.user)), `${d.user}: identical to the sip_auth answer`);
      }
      t.notMatch(JSON.stringify(res.body), 'globex', "nothing of Globex's");

      const full = await postLookup(t, app, SOFIA_EXTERNAL);
      const acmeTrunks = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('trunks').select('id').where('status', '=', 'active').execute());
      t.ok(acmeTrunks.length >= 2);
      for (const { id } of acmeTrunks) {
        const served = gatewayElement(full, id);
        t.ok(served, `gateway ${id} is served to FreeSWITCH`);
        t.equal(gatewayElement(gateways, id), served!.replace(/(<param name="password" value=")[^"]*"/, '$1********"'), `gateway ${id}: the served element, password masked`);
      }
      t.match(full, '<param name="password" value="did-trunk-secret"/>', 'FreeSWITCH itself gets the password');

      const numbers = (await call(app, keys.acme, 'GET', '/api/v1/phone-numbers')).body.data.map((n: { number: string }) => n.number).sort();
      t.same(dialplan.map((d: { number: string }) => d.number).sort(), numbers, "one dialplan per Acme number");
      const direct = dialplan.find((d: { number: string }) => d.number === '+390510510511');
      t.equal(direct.xml, await postLookup(t, app, inboundBody('+390510510511')), 'identical to the inbound dialplan answer');
    });

    t.test('sip_trunk_enabled: false takes the gateway out of sofia.conf, true puts it back', async (t) => {
      const off = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_enabled: false } });
      t.match(off, { status: 200, body: { data: { id: numberId, sip_trunk_enabled: false } } });
      const row = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('trunks').select('status').where('id', '=', trunkId).executeTakeFirstOrThrow());
      t.equal(row.status, 'inactive');
      t.notMatch(await postLookup(t, app, SOFIA_EXTERNAL), `<gateway name="${trunkId}">`);
      const on = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_enabled: true } });
      t.match(on, { status: 200, body: { data: { sip_trunk_enabled: true } } });
      t.match(await postLookup(t, app, SOFIA_EXTERNAL), `<gateway name="${trunkId}">`);
    });

    t.test('the preview masks voicemail PINs, even for a read-only key', async (t) => {
      const ext = (await call(app, keys.acme, 'GET', '/api/v1/extensions')).body.data.find((e: { extensionNumber: string }) => e.extensionNumber === '1001');
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/extensions/${ext.id}`, { voicemailEnabled: true, voicemailPin: '482913' })).status, 200);
      t.ok(await eventually('the new PIN in the directory', async () => (await postLookup(t, app, directoryBody('1001'))).includes('name="vm-password" value="482913"'), NOTICE), 'FreeSWITCH itself gets the PIN');
      const res = await call(app, keys.acmeRead, 'GET', `${base}/freeswitch_config`);
      t.equal(res.status, 200);
      t.notMatch(JSON.stringify(res.body), '482913');
      t.match(res.body.data.directory.find((d: { user: string }) => d.user === '1001').xml, '<param name="vm-password" value="********"/>');
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
      const peer = await silentPeer(t);
      t.equal((await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_port: peer.port } })).status, 200);
      const before = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('trunks').selectAll().where('id', '=', trunkId).executeTakeFirstOrThrow());
      const numberBefore = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('phone_numbers').selectAll().where('id', '=', numberId).executeTakeFirstOrThrow());
      const attempts: Array<[string, string, object?]> = [
        ['GET', `${base}/sip_configuration`],
        ['GET', `${base}/freeswitch_config`],
        ['POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_host: 'evil.example' } }],
        ['POST', `${base}/phone_numbers/${numberId}/test_sip_trunk`],
        ['POST', `/api/v1/trunks/${trunkId}/test`],
        ['POST', `${base}/trunks/${trunkId}/test`],
        ['POST', `/api/v1/customers/${keys.globexId}/trunks/${trunkId}/test`],
        ['POST', `/api/v1/customers/${keys.globexId}/phone_numbers/${numberId}/test_sip_trunk`],
        ['POST', `/api/v1/customers/${keys.globexId}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_host: 'evil.example' } }],
      ];
      for (const [method, url, body] of attempts) {
        const res = await call(app, keys.globex, method as 'GET' | 'POST', url, body);
        t.equal(res.status, 404, `${method} ${url}`);
      }
      const after = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('trunks').selectAll().where('id', '=', trunkId).executeTakeFirstOrThrow());
      t.same(after, before, 'the trunk is unchanged');
      t.same(await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('phone_numbers').selectAll().where('id', '=', numberId).executeTakeFirstOrThrow()), numberBefore, 'the number is unchanged');
      await new Promise((r) => setTimeout(r, 100));
      t.equal(peer.received(), 0, 'no SIP packet was sent for another customer');
      const own = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/test_sip_trunk?timeout_ms=100`);
      t.match(own.body.data, { reachable: false, error: { code: 'timeout' } });
      t.ok(peer.received() >= 1, 'while Acme\'s own test reaches the same peer');
      t.equal((await call(app, keys.acmeRead, 'POST', `${base}/phone_numbers/${numberId}/test_sip_trunk`)).status, 403, 'a read-only key cannot send packets');
    });
  });
}
