import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import {
  SEALED_COLUMNS, SecretBox, SecretsKeyError, asSecretsRole, keyFilePath, keyFingerprint, loadSecretBox,
} from '../../src/domain/secrets.js';
import { StartupError } from '../../src/startup-error.js';
import { backends } from '../helpers/backends.js';

const TENANT = '22222222-2222-2222-2222-222222222222';

async function dataDir(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchplane-secrets-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

for (const backend of backends) {
  t.test(`${backend.name}: the key check`, async (t) => {
    t.test('a first start on an empty database creates the key file (0600, 64 hex digits) and the key check', async (t) => {
      const store = await backend.open();
      t.teardown(() => store.close());
      const dir = await dataDir(t);
      const first = await loadSecretBox(undefined, dir, store);
      const text = await readFile(keyFilePath(dir), 'utf8');
      t.match(text, /^[0-9a-f]{64}\n$/);
      t.equal((await stat(keyFilePath(dir))).mode & 0o777, 0o600);
      const check = await asSecretsRole(store, (trx) => trx.selectFrom('secrets_key_check').selectAll().execute());
      t.same(check.map((r) => r.fingerprint), [keyFingerprint(Buffer.from(text.trim(), 'hex'))]);
      const again = await loadSecretBox(undefined, dir, store);
      t.equal(again.open(first.seal('x')), 'x', 'the next start uses the same key');
    });

    t.test('a removed key file is refused once the key check exists, and no new key is written', async (t) => {
      const store = await backend.open();
      t.teardown(() => store.close());
      const dir = await dataDir(t);
      await loadSecretBox(undefined, dir, store);
      await unlink(keyFilePath(dir));
      const err = await loadSecretBox(undefined, dir, store).catch((e: unknown) => e);
      t.type(err, SecretsKeyError);
      t.type(err, StartupError);
      t.match((err as Error).message, /^Secrets key missing: .*secrets\.key does not exist/);
      t.match((err as Error).message, /Restore .*secrets\.key from a backup.*SECRETS_KEY/);
      t.rejects(readFile(keyFilePath(dir)), { code: 'ENOENT' });
    });

    t.test('a corrupted key file is refused, even on an empty database', async (t) => {
      const store = await backend.open();
      t.teardown(() => store.close());
      const dir = await dataDir(t);
      await writeFile(keyFilePath(dir), 'not a key\n');
      await t.rejects(loadSecretBox(undefined, dir, store), { name: 'SecretsKeyError', message: /^Secrets key corrupted: .*secrets\.key does not hold a key \(expected 64 hex digits/ });
      await writeFile(keyFilePath(dir), randomBytes(31).toString('hex'));
      await t.rejects(loadSecretBox(undefined, dir, store), { message: /corrupted/ }, 'a truncated key');
    });

    t.test('a SECRETS_KEY that is not the key in use is refused; the right one starts', async (t) => {
      const store = await backend.open();
      t.teardown(() => store.close());
      const dir = await dataDir(t);
      const key = randomBytes(32);
      await loadSecretBox(key, dir, store);
      await t.rejects(loadSecretBox(randomBytes(32), dir, store), { name: 'SecretsKeyError', message: /^Secrets key mismatch: the key from SECRETS_KEY is not the key/ });
      await t.rejects(loadSecretBox(undefined, dir, store), { message: /^Secrets key missing/ }, 'nor does dropping SECRETS_KEY create a key');
      const box = await loadSecretBox(key, dir, store);
      t.equal(new SecretBox(key).open(box.seal('pin')), 'pin');
    });

    t.test('a database sealed before the key check: the key that opens its values writes the check, another is refused', async (t) => {
      const store = await backend.open();
      t.teardown(() => store.close());
      const dir = await dataDir(t);
      const key = randomBytes(32);
      await store.withTenant(TENANT, async (trx) => {
        await trx.insertInto('tenants').values({ id: TENANT, name: 'Old', slug: 'old', sip_domain: 'old.example' }).execute();
        await trx.insertInto('trunks').values({ tenant_id: TENANT, name: 'carrier', host: 'sip.carrier.example', password_enc: new SecretBox(key).seal('trunk-pass') }).execute();
      });
      await writeFile(keyFilePath(dir), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
      await t.rejects(loadSecretBox(undefined, dir, store), { message: /^Secrets key mismatch: .*\(it does not open them\)/ });
      await t.rejects(loadSecretBox(undefined, await dataDir(t), store), { message: /^Secrets key missing/ }, 'sealed values without a key check: no key file is refused too');
      await loadSecretBox(key, dir, store);
      const check = await asSecretsRole(store, (trx) => trx.selectFrom('secrets_key_check').select('fingerprint').execute());
      t.same(check, [{ fingerprint: keyFingerprint(key) }]);
    });

    t.test('SEALED_COLUMNS names every *_enc and *_sealed column of the schema', async (t) => {
      const store = await backend.open();
      t.teardown(() => store.close());
      const columns = await store.withOperator(async (trx) =>
        (await sql<{ table: string; column: string }>`select c.relname as table, a.attname as column
           from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
             and (a.attname like '%\_enc' or a.attname like '%\_sealed') order by 1, 2`.execute(trx)).rows,
      );
      t.ok(columns.length >= 4);
      t.same(columns, [...SEALED_COLUMNS].sort((a, b) => a.table.localeCompare(b.table) || a.column.localeCompare(b.column)));
    });
  });
}
