/**
 * Row-level security and constraints of people, sessions and links (sql/014_users_sessions.sql),
 * straight in the database: a tenant sees and writes only its own people and links, an agent's
 * extension must be its own tenant's, operators have no tenant and others have one, the lookup
 * role reads none of it and only the operator role reads sessions.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/domain/secrets.js';
import { seedDemo } from '../../src/seed/demo.js';
import { backends } from '../helpers/backends.js';

for (const backend of backends) {
  t.test(`users under row-level security on ${backend.name}`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    await seedDemo(store, new SecretBox(randomBytes(32)));
    const tenants = await store.withLookup((db) => db.selectFrom('tenants').select(['id', 'slug']).execute());
    const acme = tenants.find((r) => r.slug === 'acme')!.id;
    const globex = tenants.find((r) => r.slug === 'globex')!.id;
    const globexExtension = (await store.withTenant(globex, (db) => db.selectFrom('extensions').select('id').executeTakeFirstOrThrow())).id;

    t.test('a tenant sees only its own people', async (t) => {
      const emails = await store.withTenant(acme, (db) => db.selectFrom('users').select('email').orderBy('email').execute());
      t.same(emails.map((r) => r.email), ['admin@acme.switchplane.test', 'agent@acme.switchplane.test']);
      const updated = await store.withTenant(acme, (db) => db.updateTable('users').set({ name: 'taken over' }).where('email', '=', 'admin@globex.switchplane.test').executeTakeFirst());
      t.equal(Number(updated.numUpdatedRows), 0, 'another tenant\'s person cannot be changed');
    });

    t.test('a tenant cannot write a person or a link of another tenant', async (t) => {
      await t.rejects(
        store.withTenant(acme, (db) => db.insertInto('users').values({ tenant_id: globex, email: 'spy@globex.switchplane.test', name: 'Spy', role: 'admin' }).execute()),
        /row-level security/,
      );
      const globexUser = (await store.withOperator((db) => db.selectFrom('users').select('id').where('email', '=', 'admin@globex.switchplane.test').executeTakeFirstOrThrow())).id;
      await t.rejects(
        store.withTenant(acme, (db) => db.insertInto('user_tokens').values({ token_hash: 'a'.repeat(64), tenant_id: globex, user_id: globexUser, purpose: 'reset', expires_at: new Date(Date.now() + 3600_000) }).execute()),
        /row-level security/,
      );
    });

    t.test('an agent\'s extension must be its own tenant\'s', async (t) => {
      await t.rejects(
        store.withTenant(acme, (db) => db.insertInto('users').values({ tenant_id: acme, email: 'x@acme.switchplane.test', name: 'X', role: 'agent', extension_id: globexExtension }).execute()),
        /foreign key/,
      );
    });

    t.test('operators have no tenant; admins and agents have one; emails are lower-case', async (t) => {
      await t.rejects(store.withOperator((db) => db.insertInto('users').values({ tenant_id: null, email: 'a@x.test', name: 'A', role: 'admin' }).execute()), /users_role_tenant_check/);
      await t.rejects(store.withOperator((db) => db.insertInto('users').values({ tenant_id: acme, email: 'o@x.test', name: 'O', role: 'operator' }).execute()), /users_role_tenant_check/);
      await t.rejects(store.withOperator((db) => db.insertInto('users').values({ tenant_id: null, email: 'Op@X.test', name: 'O', role: 'operator' }).execute()), /users_email_check/);
      await t.rejects(store.withOperator((db) => db.insertInto('users').values({ tenant_id: null, email: 'op@x.test', name: 'O', role: 'operator', password_hash: 'plain' }).execute()), /users_password_hash_check/);
    });

    t.test('the lookup role reads no people, links or sessions; the application role no sessions', async (t) => {
      for (const table of ['users', 'user_tokens', 'user_sessions'] as const) {
        await t.rejects(store.withLookup((db) => db.selectFrom(table).selectAll().execute()), /permission denied/, `${table} is not readable by lookups`);
      }
      await t.rejects(store.withTenant(acme, (db) => db.selectFrom('user_sessions').selectAll().execute()), /permission denied/);
    });
  });
}
