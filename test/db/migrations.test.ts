import t from 'tap';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { PGlite } from '@electric-sql/pglite';
import { migrateToLatest } from '../../src/db/migrator.js';
import { openPglite } from '../../src/db/pglite.js';
import { pgliteDump } from '../helpers/db-templates.js';

t.test('migrations are recorded and applied once; the embedded database keeps its data', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchplane-db-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = await openPglite(dir);
  const id = '11111111-1111-1111-1111-111111111111';
  await first.withTenant(id, (db) =>
    db.insertInto('tenants').values({ id, name: 'Kept', slug: 'kept', sip_domain: 'kept.example' }).execute(),
  );
  await first.close();

  const second = await openPglite(dir);
  const names = await second.withLookup((db) => db.selectFrom('tenants').select('slug').execute());
  t.same(names, [{ slug: 'kept' }], 'data survives a restart');
  await second.close();

  const pglite = await PGlite.create({ dataDir: dir });
  const owner = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
  t.same(await migrateToLatest(owner, async (_db, script) => void (await pglite.exec(script))), [], 'nothing left to apply');
  const applied = await pglite.query<{ name: string }>('select name from kysely_migration order by name');
  const files = readdirSync(new URL('../../sql/', import.meta.url)).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();
  t.ok(files.length >= 4);
  t.same(applied.rows.map((r) => r.name), files, 'every file of sql/ applied, in order');
  await owner.destroy();
});

t.test('a database that lists a migration sql/ lacks is refused, not taken as up to date', async (t) => {
  const pglite = await PGlite.create({ loadDataDir: await pgliteDump() });
  const owner = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
  t.teardown(() => owner.destroy());
  const run = async (_db: Kysely<unknown>, script: string) => void (await pglite.exec(script));
  t.same(await migrateToLatest(owner, run), [], 'the migrated dump is up to date');
  await pglite.exec(`insert into kysely_migration (name, timestamp) values ('999_from_a_newer_release', '2026-12-06T00:00:00Z')`);
  await t.rejects(migrateToLatest(owner, run), /999_from_a_newer_release/, 'Kysely\'s Migrator names the migration it cannot find');
});
