/**
 * An in-memory embedded database started from a dump (`migratedDump`, PGlite's dumpDataDir): it
 * holds every migration and the data of the dump, and migrations the dump lacks are applied.
 */
import t from 'tap';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { migrateToLatest, SQL_DIR } from '../../src/db/migrator.js';
import { openPglite } from '../../src/db/pglite.js';
import { pgliteDump } from '../helpers/db-templates.js';
import type { Store } from '../../src/db/store.js';

t.setTimeout(120_000); // three PGlite instances on a loaded two-core machine

const MIGRATIONS = readdirSync(SQL_DIR).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort().map((f) => f.replace(/\.sql$/, ''));

/** The migrations recorded in `kysely_migration`, read as the owner (the session user). */
async function applied(store: Store): Promise<string[]> {
  const { rows } = await store.withOperator(async (db) => {
    await sql`set local role none`.execute(db);
    return sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  });
  return rows.map((r) => r.name);
}

t.test('a store opened from migratedDump (as db-templates.ts caches it) holds every migration and takes writes', async (t) => {
  const store = await openPglite(undefined, { loadDataDir: await pgliteDump() });
  t.teardown(() => store.close());
  t.same(await applied(store), MIGRATIONS);
  const tenant = await store.withOperator((db) =>
    db.insertInto('tenants').values({ name: 'Dumped', slug: 'dumped', sip_domain: 'dumped.switchplane.test' }).returning('id').executeTakeFirstOrThrow());
  t.match(tenant.id, /^[0-9a-f-]{36}$/);
});

t.test('a dump with only the first migrations gets the others when opened, and keeps its rows', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-sql-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of MIGRATIONS.slice(0, 3)) copyFileSync(path.join(SQL_DIR, `${name}.sql`), path.join(dir, `${name}.sql`));
  const pglite = await PGlite.create({});
  const first = await migrateToLatest(new Kysely<unknown>({ dialect: new PGliteDialect(pglite) }), async (_db, script) => {
    await pglite.exec(script);
  }, dir);
  t.same(first, MIGRATIONS.slice(0, 3));
  await pglite.exec(`insert into tenants (name, slug, sip_domain) values ('Early', 'early', 'early.switchplane.test')`);
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();

  const store = await openPglite(undefined, { loadDataDir: dump });
  t.teardown(() => store.close());
  t.same(await applied(store), MIGRATIONS, 'the rest were applied on open');
  const slugs = await store.withOperator((db) => db.selectFrom('tenants').select('slug').execute());
  t.same(slugs.map((s) => s.slug), ['early'], 'the dump\'s row is there');
});

t.test('a dump is refused for an on-disk data directory', async (t) => {
  await t.rejects(openPglite(path.join(tmpdir(), 'switchplane-never-made'), { loadDataDir: new Blob([]) }), /in-memory database only/);
});
