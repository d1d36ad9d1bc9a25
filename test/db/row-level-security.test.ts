import t from 'tap';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { SecretBox } from '../../src/domain/secrets.js';
import { seedDemo } from '../../src/seed/demo.js';
import { backends } from '../helpers/backends.js';

for (const backend of backends) {
  t.test(`row-level security on ${backend.name}`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    await seedDemo(store, new SecretBox(randomBytes(32)));
    const tenants = await store.withLookup((db) => db.selectFrom('tenants').select(['id', 'slug']).execute());
    const acme = tenants.find((r) => r.slug === 'acme')!.id;
    const globex = tenants.find((r) => r.slug === 'globex')!.id;

    t.test('the service role is neither owner nor superuser and cannot bypass RLS', async (t) => {
      const who = await store.withTenant(acme, async (db) =>
        (await sql<{ user: string; su: boolean; bypass: boolean }>`
          select current_user as user, r.rolsuper as su, r.rolbypassrls as bypass
          from pg_roles r where r.rolname = current_user`.execute(db)).rows[0]!,
      );
      t.same(who, { user: 'switchplane_app', su: false, bypass: false });
      const owners = await store.withTenant(acme, async (db) =>
        (await sql<{ owner: string }>`select distinct tableowner as owner from pg_tables where schemaname = 'public' and tablename <> 'kysely_migration' and tablename <> 'kysely_migration_lock'`.execute(db)).rows,
      );
      t.notOk(owners.some((o) => o.owner.startsWith('switchplane_')), 'tables are owned by the migrating role');
      const lookup = await store.withLookup(async (db) => (await sql<{ user: string }>`select current_user as user`.execute(db)).rows[0]!.user);
      t.equal(lookup, 'switchplane_lookup');
    });

    t.test('the operator role (admin API) sees tenants and keys, but no tenant\'s trunks, numbers or extensions', async (t) => {
      const seen = await store.withOperator(async (db) => ({
        user: (await sql<{ user: string; bypass: boolean }>`select current_user as user, r.rolbypassrls as bypass from pg_roles r where r.rolname = current_user`.execute(db)).rows[0],
        tenants: (await db.selectFrom('tenants').select('id').execute()).length,
      }));
      t.same(seen, { user: { user: 'switchplane_operator', bypass: false }, tenants: 2 });
      for (const table of ['trunks', 'extensions', 'phone_numbers', 'cdrs'] as const) {
        await t.rejects(store.withOperator((db) => db.selectFrom(table).select('tenant_id').execute()), /permission denied/, `${table} is not readable`);
      }
      await t.rejects(store.withOperator((db) => db.deleteFrom('tenants').execute()), /permission denied/, 'tenants cannot be deleted');
    });

    t.test('a tenant sees only its own rows in every table', async (t) => {
      for (const [id, slug] of [[acme, 'acme'], [globex, 'globex']] as const) {
        const seen = await store.withTenant(id, async (db) => ({
          tenants: await db.selectFrom('tenants').select('slug').execute(),
          extensions: await db.selectFrom('extensions').select('tenant_id').execute(),
          trunks: await db.selectFrom('trunks').select('tenant_id').execute(),
          numbers: await db.selectFrom('phone_numbers').select('tenant_id').execute(),
        }));
        t.same(seen.tenants, [{ slug }]);
        t.ok(seen.extensions.length > 0 && seen.extensions.every((r) => r.tenant_id === id), `${slug} extensions`);
        t.ok(seen.trunks.length > 0 && seen.trunks.every((r) => r.tenant_id === id), `${slug} trunks`);
        t.ok(seen.numbers.length > 0 && seen.numbers.every((r) => r.tenant_id === id), `${slug} numbers`);
      }
    });

    t.test('even without a WHERE clause, an update or delete cannot reach another tenant', async (t) => {
      const updated = await store.withTenant(globex, (db) => db.updateTable('extensions').set({ display_name: 'hijacked' }).executeTakeFirst());
      t.equal(Number(updated.numUpdatedRows), 1, 'only Globex\'s one extension');
      const acmeNames = await store.withLookup((db) => db.selectFrom('extensions').select('display_name').where('tenant_id', '=', acme).execute());
      t.notOk(acmeNames.some((r) => r.display_name === 'hijacked'));
      const deleted = await store.withTenant(globex, (db) => db.deleteFrom('trunks').where('tenant_id', '=', acme).executeTakeFirst());
      t.equal(Number(deleted.numDeletedRows), 0);
    });

    t.test('writing a row for another tenant is refused', async (t) => {
      await t.rejects(
        store.withTenant(globex, (db) =>
          db.insertInto('extensions').values({ tenant_id: acme, extension: '7777', sip_username: '7777', password_enc: 'x' }).execute()),
        /row-level security/,
      );
      await t.rejects(
        store.withTenant(globex, (db) => db.updateTable('extensions').set({ tenant_id: acme }).execute()),
        /row-level security/,
      );
    });

    t.test('without the tenant setting nothing is visible', async (t) => {
      const rows = await store.withTenant('00000000-0000-0000-0000-000000000000', (db) => db.selectFrom('extensions').selectAll().execute());
      t.same(rows, []);
    });

    t.test('a number cannot point at another tenant\'s trunk, even when the id is known', async (t) => {
      const acmeTrunk = (await store.withTenant(acme, (db) => db.selectFrom('trunks').select('id').executeTakeFirstOrThrow())).id;
      await t.rejects(
        store.withTenant(globex, (db) => db.insertInto('phone_numbers').values({ tenant_id: globex, number: '+15550009999', trunk_id: acmeTrunk, route: 'extension', route_target: '1001' }).execute()),
        /phone_numbers_trunk_same_tenant_fkey/,
      );
      await t.rejects(
        store.withTenant(globex, (db) => db.updateTable('phone_numbers').set({ trunk_id: acmeTrunk }).execute()),
        /phone_numbers_trunk_same_tenant_fkey/,
      );
    });

    t.test('the lookup role is read-only', async (t) => {
      await t.rejects(store.withLookup((db) => db.deleteFrom('extensions').execute()), /read-only|permission denied/);
    });
  });
}
