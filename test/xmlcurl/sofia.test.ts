import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { fixtureBody, isNotFound, requestFixtures, rewrite } from '../helpers/fixtures.js';
import { sofiaProfiles } from '../helpers/xml.js';

for (const backend of backends) {
  t.test(`sofia.conf on ${backend.name}`, async (t) => {
    const ctx = await demoApp(backend, { SOFIA_INTERNAL_PORT: '5090', SOFIA_EXTERNAL_PORT: '5091', SOFIA_SIP_IP: '127.0.0.1', SOFIA_MAX_RECV_RPS: '2500' });
    t.teardown(ctx.close);
    const post = (payload: string) => postLookup(t, ctx.app, payload);
    const trunkIds = async (tenant: string) => {
      const rows = await ctx.store.withLookup((db) =>
        db.selectFrom('trunks').innerJoin('tenants', 'tenants.id', 'trunks.tenant_id')
          .select(['trunks.id', 'trunks.name']).where('tenants.slug', '=', tenant).execute(),
      );
      return Object.fromEntries(rows.map((r) => [r.name, r.id]));
    };

    t.test('FreeSWITCH loads both profiles at start, with every active trunk as a gateway', async (t) => {
      const profiles = sofiaProfiles(await post(fixtureBody('configuration-sofia.conf.txt')));
      t.same(profiles.map((p) => p.name), ['internal', 'external']);
      const [internal, external] = profiles;
      t.equal(internal!.settings['sip-port'], '5090');
      t.equal(internal!.settings['sip-ip'], '127.0.0.1');
      t.equal(internal!.settings['auth-calls'], 'true');
      t.equal(internal!.settings['wss-binding'], ':7443', 'WebRTC phones');
      t.notOk('ws-binding' in internal!.settings, 'plain WebSocket off unless SOFIA_WS_PORT is set');
      t.same(internal!.gateways, []);
      t.equal(external!.settings['sip-port'], '5091');
      t.equal(external!.settings.context, 'public');
      for (const p of [internal!, external!]) t.equal(p.settings['rtp-timer-name'], 'soft', 'RTP sent on the 20 ms clock (music on hold to a silent peer)');
      t.equal(external!.settings['apply-inbound-acl'], 'trunks', 'calls only from the trunks (acl.conf)');
      t.equal(internal!.settings['inbound-reg-in-new-thread'], 'true', "phones' REGISTERs each in a thread of their own");
      t.notOk('inbound-reg-in-new-thread' in external!.settings, 'the trunks profile takes no REGISTERs');
      t.equal(internal!.settings['max-recv-requests-per-second'], '2500', "sofia's request guard at SOFIA_MAX_RECV_RPS");
      t.equal(internal!.settings['odbc-dsn'], 'sqlite://memory://file:sofia_reg_internal?mode=memory&cache=shared', "the phones profile's database in memory");
      for (const name of ['max-recv-requests-per-second', 'odbc-dsn']) t.notOk(name in external!.settings, `the trunks profile keeps FreeSWITCH's ${name}`);
      const acme = await trunkIds('acme');
      const globex = await trunkIds('globex');
      t.same(external!.gateways.map((g) => g.name).sort(), [acme['acme-main'], acme['acme-backup'], globex['globex-main']].sort());
      const main = external!.gateways.find((g) => g.name === acme['acme-main'])!;
      t.same(main.params, {
        username: 'acme_trunk', password: 'acme-trunk-secret', realm: '127.0.0.1', proxy: '127.0.0.1:5070',
        register: 'true', 'register-transport': 'udp', 'expire-seconds': '3600', 'retry-seconds': '30',
        'caller-id-in-from': 'false', extension: 'auto_to_user', context: 'public',
      });
      const backup = external!.gateways.find((g) => g.name === acme['acme-backup'])!;
      t.equal(backup.params.register, 'false');
      t.notOk('password' in backup.params);
    });

    t.test("sofia's global settings bound the REGISTER threads (max-reg-threads)", async (t) => {
      const xml = await post(fixtureBody('configuration-sofia.conf.txt'));
      const global = /<global_settings>([\s\S]*?)<\/global_settings>/.exec(xml)?.[1] ?? '';
      t.match(global, '<param name="max-reg-threads" value="8"/>');
      t.match(global, '<param name="log-level" value="0"/>');
    });

    t.test('a profile worker fetch or rescan gets its profile only', async (t) => {
      const internal = sofiaProfiles(await post(fixtureBody('configuration-sofia.conf-profile-internal.txt')));
      t.same(internal.map((p) => p.name), ['internal']);
      for (const f of ['configuration-sofia.conf-profile-external.txt', 'configuration-sofia.conf-rescan-external.txt']) {
        const external = sofiaProfiles(await post(fixtureBody(f)));
        t.same(external.map((p) => p.name), ['external'], f);
        t.equal(external[0]!.gateways.length, 3);
      }
      t.ok(isNotFound(await post(rewrite(fixtureBody('configuration-sofia.conf-profile-external.txt'), { profile: 'nosuch' }))));
    });

    t.test('trunk options reach the gateway; inactive trunks and suspended tenants are left out', async (t) => {
      const acme = await trunkIds('acme');
      const tenantId = await ctx.store.withLookup(async (db) => (await db.selectFrom('tenants').select('id').where('slug', '=', 'acme').executeTakeFirstOrThrow()).id);
      await ctx.store.withTenant(tenantId, async (db) => {
        await db.updateTable('trunks').set({ transport: 'tls', port: 5061, ping_seconds: 30, from_user: 'acme', from_domain: 'sip.acme.test', realm: 'sip.carrier.test', caller_id_in_from: true })
          .where('name', '=', 'acme-main').execute();
        await db.updateTable('trunks').set({ status: 'maintenance' }).where('name', '=', 'acme-backup').execute();
      });
      const external = sofiaProfiles(await post(fixtureBody('configuration-sofia.conf-profile-external.txt')))[0]!;
      const main = external.gateways.find((g) => g.name === acme['acme-main'])!;
      t.equal(main.params['register-transport'], 'tls');
      t.equal(main.params.proxy, '127.0.0.1:5061');
      t.equal(main.params.ping, '30');
      t.equal(main.params['from-user'], 'acme');
      t.equal(main.params['from-domain'], 'sip.acme.test');
      t.equal(main.params.realm, 'sip.carrier.test');
      t.equal(main.params['caller-id-in-from'], 'true');
      t.equal(external.settings.tls, 'true', 'TLS is enabled on the profile when a trunk needs it');
      t.equal(external.settings['tls-sip-port'], '5092');
      t.notOk(external.gateways.some((g) => g.name === acme['acme-backup']), 'maintenance trunk not loaded');

      await ctx.store.withTenant(tenantId, (db) => db.updateTable('tenants').set({ status: 'suspended' }).execute());
      const after = sofiaProfiles(await post(fixtureBody('configuration-sofia.conf-profile-external.txt')))[0]!;
      t.same(after.gateways.map((g) => g.name), [(await trunkIds('globex'))['globex-main']]);
    });

    t.test('every other configuration file is left to FreeSWITCH (not found)', async (t) => {
      const others = requestFixtures('configuration-').filter((f) => !f.includes('sofia.conf') && !f.includes('acl.conf'));
      t.ok(others.length >= 10);
      for (const f of others) t.ok(isNotFound(await post(fixtureBody(f))), f);
    });
  });
}
