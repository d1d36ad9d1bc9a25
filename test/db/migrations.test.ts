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
