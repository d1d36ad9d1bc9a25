import t from 'tap';
import { once } from 'node:events';
import { loadConfig } from '../../src/config.js';
import { EslNodes } from '../../src/esl/nodes.js';
import { ConfigReloader } from '../../src/esl/reload.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { FakeEslServer } from '../helpers/esl-server.js';
import { eventually } from '../helpers/eventually.js';

const apiCommands = (server: FakeEslServer) => server.commands.filter((c) => c.startsWith('api ')).map((c) => c.slice(4));

for (const backend of backends) {
  t.test(`${backend.name}: a change reaches FreeSWITCH as the narrowest reload`, async (t) => {
    const ctx = await demoApp(backend);
    const server = await FakeEslServer.start();
    server.api = (cmd) => (cmd.startsWith('xml_flush_cache') ? '+OK cleared 1 entries\n' : '+OK\n');
    const nodes = new EslNodes(loadConfig({ ESL_NODES: `fs1@127.0.0.1:${server.port}` }).esl, () => undefined);
    const reloader = new ConfigReloader({ store: ctx.store, secrets: ctx.secrets, send: (c) => nodes.send(c), onError: (err) => t.error(err) });
    t.teardown(async () => {
      await reloader.stop();
      await nodes.close();
      await server.stop();
      await ctx.close();
    });
    const up = once(nodes.connections[0]!, 'connected');
    nodes.start();
    await up;
    await reloader.start();

    const ids = await ctx.store.withLookup(async (db) => ({
      acme: (await db.selectFrom('tenants').select('id').where('slug', '=', 'acme').executeTakeFirstOrThrow()).id,
      globexTrunk: (await db.selectFrom('trunks').innerJoin('tenants', 'tenants.id', 'trunks.tenant_id').select('trunks.id').where('slug', '=', 'globex').executeTakeFirstOrThrow()).id,
    }));
    const acmeTrunks = await ctx.store.withTenant(ids.acme, (db) => db.selectFrom('trunks').select(['id', 'name']).orderBy('name').execute());
    // The change notice travels through PostgreSQL NOTIFY; the reloader says when it has acted on it.
    const change = async (fn: () => Promise<unknown>) => {
      const handled = once(reloader, 'handled');
      await fn();
      await handled;
    };
    const since = () => {
      const seen = apiCommands(server);
      return () => apiCommands(server).slice(seen.length);
    };

    t.test('an edited display name flushes that user only', async (t) => {
      const sent = since();
      await change(() => ctx.store.withTenant(ids.acme, (db) => db.updateTable('extensions').set({ display_name: 'Mario R.' }).where('extension', '=', '1001').execute()));
            t.same(sent(), ['xml_flush_cache id 1001 acme.switchplane.test']);
    });

    t.test('at start the inbound ACL is reloaded once', async (t) => {
      t.same(apiCommands(server).filter((c) => c === 'reloadacl'), ['reloadacl']);
    });

    t.test('a new trunk is added with a rescan and its address with reloadacl; no gateway is killed', async (t) => {
      const sent = since();
      await change(() => ctx.store.withTenant(ids.acme, (db) => db.insertInto('trunks').values({ tenant_id: ids.acme, name: 'acme-new', host: '192.0.2.10', priority: 5 }).execute()));
            t.same(sent(), ['sofia profile external rescan', 'reloadacl']);
    });

    t.test('a changed gateway param kills and re-adds that gateway alone; a priority change touches nothing', async (t) => {
      const [first] = acmeTrunks;
      let sent = since();
      await change(() => ctx.store.withTenant(ids.acme, (db) => db.updateTable('trunks').set({ port: 5090 }).where('id', '=', first!.id).execute()));
            t.same(sent(), [`sofia profile external killgw ${first!.id}`, 'sofia profile external rescan']);
      t.notOk(apiCommands(server).some((c) => c.includes(ids.globexTrunk)), 'other tenants\' gateways untouched');
      sent = since();
      await change(() => ctx.store.withTenant(ids.acme, (db) => db.updateTable('trunks').set({ priority: 9 }).where('id', '=', first!.id).execute()));
            t.same(sent(), [], 'priority is dialplan, not a gateway param');
    });

    t.test('a suspended tenant: every user flushed and every gateway killed', async (t) => {
      const sent = since();
      await change(() => ctx.store.withOperator((db) => db.updateTable('tenants').set({ status: 'suspended' }).where('id', '=', ids.acme).execute()));
            const got = sent();
      t.ok(got.includes('xml_flush_cache id 1001 acme.switchplane.test') && got.includes('xml_flush_cache id 1002 acme.switchplane.test'));
      t.equal(got.filter((c) => c.startsWith('sofia profile external killgw')).length, acmeTrunks.length + 1);
      t.notOk(got.includes('sofia profile external rescan'));
      t.equal(got.at(-1), 'reloadacl', 'its trunks\' addresses leave the inbound ACL');
    });

    t.test('commands for a node that is down wait and are sent when it is back', async (t) => {
      server.dropAll();
      const sent = since();
      await change(() => ctx.store.withOperator((db) => db.updateTable('tenants').set({ status: 'active' }).where('id', '=', ids.acme).execute()));
            t.ok(nodes.health()[0]!.pendingCommands > 0 || sent().length > 0);
      await server.waitForCommand(/^event json/, 2);
      await server.waitForCommand('api sofia profile external rescan', 3);
      t.ok(sent().includes('sofia profile external rescan'), 'the re-added gateways are rescanned after reconnecting');
      await eventually('the outbox empty', () => nodes.health()[0]!.pendingCommands === 0, { timeoutMs: 10_000, intervalMs: 10 });
      t.pass('the outbox is empty again');
    });
  });
}
