/**
 * `npm run secrets:rotate`: replaces the secrets key (README "Secrets key"). In one transaction,
 * every sealed value (SEALED_COLUMNS of src/domain/secrets.ts) is opened with the current key
 * (SECRETS_KEY, else DATA_DIR/secrets.key) and sealed with a new random key, and the key check
 * (sql/013) is replaced. With the key file, the new key is written to `secrets.key.new` (mode 0600)
 * before the commit and moved over `secrets.key` after it; with SECRETS_KEY, the new value is
 * printed before the commit and must be set before the next start.
 *
 * Works on DATABASE_URL or the embedded database under DATA_DIR, which cannot be opened while a
 * running Switchplane holds it. With PostgreSQL, stop every instance first: a running one keeps
 * the old key until it is restarted with the new one.
 * Exit status 0 once rotated; 1 with a message when refused (nothing is changed then).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import {
  SEALED_COLUMNS, SecretBox, SecretsKeyError, asSecretsRole, keyFilePath, keyFileText, keyFingerprint, keyMatches,
  pendingKeyFilePath, readKeyCheck, readKeyFile,
} from '../src/domain/secrets.js';
import { runExplainingStartupErrors } from '../src/startup-error.js';

/** Writes `text` to a new file (mode 0600) and flushes it to disk. */
async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await open(file, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

await runExplainingStartupErrors(async () => {
  const config = loadConfig();
  const file = keyFilePath(config.dataDir);
  const pending = pendingKeyFilePath(config.dataDir);
  const current = config.secretsKey ?? (await readKeyFile(file));
  if (!current) {
    throw new SecretsKeyError(`No secrets key to rotate: SECRETS_KEY is not set and ${file} does not exist. Run the rotation with the key the service starts with.`);
  }
  const store = await openStore(config);
  const next = randomBytes(32);
  let committed = false;
  let printed = false;
  try {
    const counts = await asSecretsRole(store, async (trx) => {
      const check = await readKeyCheck(trx, true);
      if (!keyMatches(current, check)) {
        throw new SecretsKeyError(
          `Secrets key mismatch: the key from ${config.secretsKey ? 'SECRETS_KEY' : file} is not the key the stored passwords were sealed with; nothing was changed. ` +
            `Run the rotation with the key the service starts with.`,
        );
      }
      const from = new SecretBox(current);
      const to = new SecretBox(next);
      const counts: string[] = [];
      for (const { table, column } of SEALED_COLUMNS) {
        const rows = await sql<{ id: string; value: string }>`select id, ${sql.ref(column)} as value from ${sql.table(table)} where ${sql.ref(column)} is not null for update`.execute(trx);
        for (const { id, value } of rows.rows) {
          let plain: string;
          try {
            plain = from.open(value);
          } catch {
            throw new SecretsKeyError(`${table}.${column} of row ${id} does not open with the current key; nothing was changed. Set that value again through the API, then rotate.`);
          }
          await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${to.seal(plain)} where id = ${id}`.execute(trx);
        }
        counts.push(`${table}.${column}: ${rows.rows.length}`);
      }
      await trx
        .insertInto('secrets_key_check')
        .values({ fingerprint: keyFingerprint(next) })
        .onConflict((oc) => oc.column('id').doUpdateSet({ fingerprint: keyFingerprint(next), rotated_at: sql`now()` }))
        .execute();
      // The new key is kept before the commit: once committed, nothing opens without it.
      if (config.secretsKey) {
        process.stdout.write(`New key (set it as SECRETS_KEY before the next start):\nSECRETS_KEY=${next.toString('hex')}\n`);
        printed = true;
      } else {
        await writeDurably(pending, keyFileText(next));
      }
      return counts;
    });
    committed = true;
    if (!config.secretsKey) await rename(pending, file);
    process.stdout.write(
      `Secrets key rotated; values re-sealed (${counts.join(', ')}). ` +
        (config.secretsKey ? 'The old SECRETS_KEY no longer opens them.\n' : `The new key is in ${file}; back it up, the old one no longer opens them.\n`),
    );
  } finally {
    if (!committed && printed) process.stderr.write('The rotation did not commit: keep the current SECRETS_KEY and ignore the value printed above.\n');
    if (!committed && !config.secretsKey) await unlink(pending).catch(() => undefined);
    await store.close();
  }
});
