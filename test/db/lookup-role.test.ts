import t from 'tap';
import { sql } from 'kysely';
import { TenantCache } from '../../src/domain/tenant-cache.js';
import { loadActiveSnapshots } from '../../src/domain/tenant-snapshot.js';
import { listActiveDomains } from '../../src/domain/tenants.js';
import { listActiveGateways } from '../../src/domain/trunks.js';
import { answerSofia } from '../../src/xmlcurl/sofia.js';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { fixtureBody, rewrite } from '../helpers/fixtures.js';
import { dialplan, directoryUser, sofiaProfiles } from '../helpers/xml.js';

const ACME = 'acme.switchplane.test';
/** What FreeSWITCH is told comes from these tables only (sql/012_lookup_role_privileges.sql). */
const LOOKUP_TABLES = ['extensions', 'phone_numbers', 'tenants', 'trunks'];

for (const backend of backends) {
  t.test(`${backend.name}: the lookup role reads only what lookups need`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const { store } = ctx;

    t.test('of every table, it may read tenants, extensions, phone numbers and trunks, and nothing else', async (t) => {
      const rows = await store.withLookup(async (db) =>
        (await sql<{ table: string; readable: boolean; columns: boolean }>`
          select c.relname as table,
                 has_table_privilege(c.oid, 'select') as readable,
                 has_any_column_privilege(c.oid, 'select') as columns
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm')
          order by c.relname`.execute(db)).rows,
      );
      t.ok(rows.length > LOOKUP_TABLES.length, `${rows.length} tables in the schema`);
      t.same(rows.filter((r) => r.readable || r.columns).map((r) => r.table), LOOKUP_TABLES);
      for (const table of ['api_keys', 'audit_log', 'cdrs', 'ai_sessions', 'recurring_calls'] as const) {
        await t.rejects(store.withLookup((db) => db.selectFrom(table).select('tenant_id').execute()), /permission denied/, `${table} is not readable`);
      }
      await t.rejects(store.withLookup((db) => db.selectFrom('phone_numbers').select('crm_webhook_secret_sealed').execute()), /permission denied/, 'nor a number\'s CRM webhook secret');
      t.ok((await store.withLookup((db) => db.selectFrom('phone_numbers').select(['number', 'route', 'crm_webhook_url']).execute())).length > 0, 'the rest of a number is');
    });

    t.test('the lookup cache, the gateway and domain lists and sofia.conf still read what they need', async (t) => {
      const read = await store.withLookup(async (db) => ({
        snapshots: await loadActiveSnapshots(db, 100),
        domains: await listActiveDomains(db),
        gateways: await listActiveGateways(db),
        sofia: await answerSofia(db, { section: 'configuration', file: 'sofia.conf', profile: 'external' }, ctx.config.sofia, ctx.secrets),
      }));
      t.same(read.snapshots.map((s) => s.tenant.sip_domain).sort(), [ACME, 'globex.switchplane.test']);
      t.ok(read.snapshots.every((s) => s.extensions.length > 0 && s.numbers.length > 0 && s.trunks.length > 0));
      t.same(read.domains.sort(), [ACME, 'globex.switchplane.test']);
      t.equal(read.gateways.length, 3);
      t.equal(sofiaProfiles(String(read.sofia))[0]!.gateways.length, 3);

      // A cache that has not warmed reads through the lookup role, by domain and by DID.
      const cold = new TenantCache(store, { maxTenants: 10, ttlMs: 60_000 });
      t.equal((await cold.tenantByDomain(ACME))?.tenant.sip_domain, ACME);
      t.equal((await cold.tenantByDid('+390510510511'))?.tenant.sip_domain, ACME);
      await cold.stop();
      t.equal(ctx.tenants.state, 'warm', 'the app\'s cache warmed at start');
    });

    t.test('FreeSWITCH gets its directory user, dialplan and gateways', async (t) => {
      const user = directoryUser(await postLookup(t, ctx.app, rewrite(fixtureBody('directory-register.txt'), {
        key_value: ACME, domain: ACME, user: '1001', sip_auth_username: '1001', sip_auth_realm: ACME,
      })));
      t.equal(user.id, '1001');
      t.ok(user.params['a1-hash']);
      const plan = dialplan(await postLookup(t, ctx.app, rewrite(fixtureBody('dialplan-invite.txt'), {
        'Caller-Context': 'public', 'Hunt-Context': 'public', 'Caller-Destination-Number': '+390510510511', 'Hunt-Destination-Number': '+390510510511',
      })));
      t.equal(plan.expression, '^\\+390510510511$');
      t.ok(plan.actions.length > 0);
      const external = sofiaProfiles(await postLookup(t, ctx.app, fixtureBody('configuration-sofia.conf-profile-external.txt')));
      t.equal(external[0]!.gateways.length, 3);
    });
  });
}
