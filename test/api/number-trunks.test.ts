/**
 * The AI receptionist guide, "Configure SIP Trunk for Phone Number", on two numbers that share a
 * trunk: Acme's +390510510510 (the AI agent) and +390510510511 (Mario's direct line) both use
 * acme-main. Configuring +390510510511 gives it a trunk of its own, so +390510510510 keeps
 * acme-main as it was; sip_configuration shows each number's own settings, and sofia.conf has
 * one gateway per trunk, the new one with the new settings.
 */
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { sofiaProfiles } from '../helpers/xml.js';

const SOFIA_EXTERNAL = 'section=configuration&tag_name=configuration&key_name=name&key_value=sofia.conf&profile=external';
const AI_LINE = '+390510510510';
const DIRECT_LINE = '+390510510511';

/** The guide's Step 2 body, for Mario's line: a new port, username, password, domain and protocol. */
const STEP_2 = {
  phone_number: {
    sip_trunk_enabled: true, sip_trunk_host: '127.0.0.1', sip_trunk_port: 5088, sip_trunk_username: 'mario_line',
    sip_trunk_password: 'mario-line-secret', sip_trunk_domain: 'provider.example', sip_trunk_protocol: 'TCP',
    sip_trunk_context: 'public', incoming_calls_enabled: true, outbound_calls_enabled: false,
  },
};

/** What the guide's reader sees for acme-main, the trunk the demo's numbers share. */
const ACME_MAIN = {
  sip_trunk_enabled: true, sip_trunk_host: '127.0.0.1', sip_trunk_port: 5070, sip_trunk_username: 'acme_trunk',
  sip_trunk_domain: '127.0.0.1', sip_trunk_protocol: 'UDP', sip_trunk_context: 'public',
};

for (const backend of backends) {
  t.test(`${backend.name}: configure_sip_trunk changes that number's trunk only`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const base = `/api/v1/customers/${keys.acmeId}`;
    const entries = async () => {
      const res = await call(app, keys.acme, 'GET', `${base}/sip_configuration`);
      t.equal(res.status, 200);
      return Object.fromEntries(res.body.data.phone_numbers.map((n: { number: string }) => [n.number, n])) as Record<string, Record<string, unknown>>;
    };
    const gateways = async () => {
      const external = sofiaProfiles(await postLookup(t, app, SOFIA_EXTERNAL))[0]!;
      return new Map(external.gateways.map((g) => [g.name, g.params]));
    };
    const trunkRow = (id: string) => ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('trunks').selectAll().where('id', '=', id).executeTakeFirstOrThrow());

    const before = await entries();
    const mainId = before[AI_LINE]!.sip_trunk_id as string;
    const mainRow = await trunkRow(mainId);
    const gatewaysBefore = await gateways();

    t.test('before: both numbers show the shared acme-main', async (t) => {
      t.equal(before[DIRECT_LINE]!.sip_trunk_id, mainId);
      for (const n of [AI_LINE, DIRECT_LINE]) t.match(before[n], { ...ACME_MAIN, sip_trunk_shared: true }, n);
      t.equal(mainRow.name, 'acme-main');
    });

    let ownId = '';
    t.test("the guide's Step 2 on +390510510511: its own trunk, +390510510510 unchanged", async (t) => {
      const res = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${before[DIRECT_LINE]!.id}/configure_sip_trunk`, STEP_2);
      t.equal(res.status, 200);
      t.match(res.body.data, {
        number: DIRECT_LINE, sip_trunk_enabled: true, sip_trunk_host: '127.0.0.1', sip_trunk_port: 5088, sip_trunk_username: 'mario_line',
        sip_trunk_domain: 'provider.example', sip_trunk_protocol: 'TCP', sip_trunk_context: 'public', sip_trunk_shared: false,
        incoming_calls_enabled: true, outbound_calls_enabled: false,
      });
      ownId = res.body.data.sip_trunk_id;
      t.not(ownId, mainId, 'a new trunk');

      const after = await entries();
      t.same(after[AI_LINE], before[AI_LINE], '+390510510510 reads exactly as before');
      t.same(after[DIRECT_LINE], res.body.data, "sip_configuration shows +390510510511's own settings");
      t.same(await trunkRow(mainId), mainRow, 'acme-main itself is untouched');

      const own = await trunkRow(ownId);
      t.match(own, {
        name: 'did-390510510511', register: true, max_channels: mainRow.max_channels, priority: mainRow.priority, provider: 'demo',
        realm: 'provider.example', from_domain: 'provider.example', transport: 'tcp',
      }, 'the settings not sent are copied from acme-main');
      const audit = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('audit_log').select(['action', 'resource_id']).where('resource_type', '=', 'trunk').execute());
      t.same(audit, [{ action: 'create', resource_id: ownId }], 'one audit row: the new trunk');
    });

    t.test('sofia.conf: acme-main keeps its gateway, the new trunk is a gateway of its own', async (t) => {
      const now = await gateways();
      t.same(now.get(mainId), gatewaysBefore.get(mainId), "acme-main's gateway is the same");
      t.same(now.get(ownId), {
        username: 'mario_line', password: 'mario-line-secret', realm: 'provider.example', proxy: '127.0.0.1:5088',
        register: 'true', 'register-transport': 'tcp', 'expire-seconds': '3600', 'retry-seconds': '30',
        'caller-id-in-from': 'false', extension: 'auto_to_user', context: 'public', 'from-domain': 'provider.example',
      });
      t.equal(now.size, gatewaysBefore.size + 1, 'one gateway more');
    });

    t.test('configuring the number again changes its own trunk in place', async (t) => {
      const res = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${before[DIRECT_LINE]!.id}/configure_sip_trunk`, { phone_number: { sip_trunk_port: 5089 } });
      t.match(res, { status: 200, body: { data: { sip_trunk_id: ownId, sip_trunk_port: 5089, sip_trunk_username: 'mario_line' } } });
      t.equal((await gateways()).get(ownId)!.proxy, '127.0.0.1:5089');
      t.same(await trunkRow(mainId), mainRow, 'acme-main still untouched');
    });

    t.test('sip_trunk_enabled: false on +390510510510 turns off its own copy, not acme-main', async (t) => {
      const res = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${before[AI_LINE]!.id}/configure_sip_trunk`, { phone_number: { sip_trunk_enabled: false } });
      t.match(res, { status: 200, body: { data: { ...ACME_MAIN, sip_trunk_enabled: false, sip_trunk_shared: false } } });
      const aiOwn = res.body.data.sip_trunk_id;
      t.not(aiOwn, mainId);
      const now = await gateways();
      t.same(now.get(mainId), gatewaysBefore.get(mainId), "acme-main's gateway is still served, as it was");
      t.notOk(now.has(aiOwn), 'the inactive copy is no gateway');
      t.match(await trunkRow(aiOwn), { name: 'did-390510510510', status: 'inactive', password_enc: mainRow.password_enc }, 'the copy keeps the sealed password');
    });

    t.test("a number's own trunk that another number was given is copied, not changed", async (t) => {
      const other = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510512', route: 'extension', routeTarget: '1002', trunkId: ownId });
      t.equal(other.status, 201);
      const shared = await trunkRow(ownId);
      const res = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${before[DIRECT_LINE]!.id}/configure_sip_trunk`, { phone_number: { sip_trunk_port: 5090 } });
      t.match(res, { status: 200, body: { data: { sip_trunk_port: 5090, sip_trunk_shared: false } } });
      t.not(res.body.data.sip_trunk_id, ownId);
      t.match(await trunkRow(res.body.data.sip_trunk_id), { name: 'did-390510510511-2', phone_number_id: before[DIRECT_LINE]!.id });
      t.same(await trunkRow(ownId), { ...shared, phone_number_id: null, updated_at: (await trunkRow(ownId)).updated_at }, 'the trunk +390510510512 uses keeps its settings, now nobody\'s own');
      t.match((await entries())['+390510510512'], { sip_trunk_id: ownId, sip_trunk_port: 5089, sip_trunk_shared: true });
    });

    t.test('a number moved back to acme-main and configured again gets a new own trunk; the old one is left to the customer', async (t) => {
      const numberId = before[DIRECT_LINE]!.id as string;
      const old = (await entries())[DIRECT_LINE]!.sip_trunk_id as string;
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/phone-numbers/${numberId}`, { trunkId: mainId })).status, 200);
      t.match((await entries())[DIRECT_LINE], { ...ACME_MAIN, sip_trunk_shared: true });
      const res = await call(app, keys.acme, 'POST', `${base}/phone_numbers/${numberId}/configure_sip_trunk`, { phone_number: { sip_trunk_username: 'mario_again' } });
      t.match(res, { status: 200, body: { data: { ...ACME_MAIN, sip_trunk_username: 'mario_again', sip_trunk_shared: false } } });
      t.match(await trunkRow(res.body.data.sip_trunk_id), { name: 'did-390510510511-3', phone_number_id: numberId });
      t.match(await trunkRow(old), { name: 'did-390510510511-2', phone_number_id: null });
      t.same(await trunkRow(mainId), mainRow, 'acme-main still untouched');
    });

    t.test('every field the guide lists is stored, or refused naming it', async (t) => {
      const url = `${base}/phone_numbers/${before[AI_LINE]!.id}/configure_sip_trunk`;
      const bad = async (phone_number: object) => {
        const res = await call(app, keys.acme, 'POST', url, { phone_number });
        t.equal(res.status, 400);
        return res.body.error;
      };
      t.match(await bad({ sip_trunk_context: 'ai_receptionist' }), { code: 'validation_failed', field: 'phone_number.sip_trunk_context', message: /public/ });
      t.match(await bad({ sip_trunk_transport: 'udp' }), { code: 'validation_failed', field: 'phone_number.sip_trunk_transport' }, 'a field the guide does not list');
      t.match(await bad({ sip_trunk_enabled: 'maybe' }), { field: 'phone_number.sip_trunk_enabled' });
      t.match(await bad({ incoming_calls_enabled: 'maybe' }), { field: 'phone_number.incoming_calls_enabled' });
      const stored = await call(app, keys.acme, 'POST', url, { phone_number: { sip_trunk_context: 'public', incoming_calls_enabled: false } });
      t.match(stored, { status: 200, body: { data: { sip_trunk_context: 'public', incoming_calls_enabled: false } } });
    });

    t.test("deleting a number leaves its own trunk to the customer, gateway and all", async (t) => {
      const numberId = before[DIRECT_LINE]!.id as string;
      const ownNow = (await entries())[DIRECT_LINE]!.sip_trunk_id as string;
      t.equal((await call(app, keys.acme, 'DELETE', `/api/v1/phone-numbers/${numberId}`)).status, 204);
      t.match(await trunkRow(ownNow), { phone_number_id: null, name: 'did-390510510511-3' });
      t.ok((await gateways()).has(ownNow), 'still a gateway');
    });
  });
}
