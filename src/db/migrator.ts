/**
 * Applies the numbered SQL migrations in `sql/` (001_*.sql, 002_*.sql, ...) in name order with
 * Kysely's Migrator, which records them in `kysely_migration` and takes a lock so that two
 * instances starting together apply each file once. Idempotent: applied files are skipped.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Runs a multi-statement SQL script on the migrating session. */
export type ScriptRunner = (db: Kysely<any>, script: string) => Promise<void>;

/** pg sends a parameterless query with the simple protocol, which accepts many statements. */
const runWithKysely: ScriptRunner = async (db, script) => {
  await sql.raw(script).execute(db);
};

class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string, private readonly run: ScriptRunner) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(path.join(this.dir, file), 'utf8');
      migrations[file.replace(/\.sql$/, '')] = {
        up: (db) => this.run(db, text),
      };
    }
    return migrations;
  }
}

/**
 * Runs every pending migration as the connecting (owner) role.
 * @returns the names of the migrations applied by this call (empty when up to date)
 * @throws Error naming the failed migration when one fails (it is rolled back), with the
 *   database's error as `cause`
 */
export async function migrateToLatest(db: Kysely<unknown>, run: ScriptRunner = runWithKysely, dir = SQL_DIR): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(dir, run) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
