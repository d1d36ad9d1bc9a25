/**
 * The secrets key on the embedded database, as an operator meets it: `src/main.ts` and
 * `npm run secrets:rotate` as their own processes on a DATA_DIR. The first start creates the key;
 * a missing, corrupted or different key is refused with a one-paragraph message and no stack
 * trace; a rotation re-seals every value and the service then serves the same passwords with the
 * new key. (test/startup/secrets-key-postgres.test.ts: the same on PostgreSQL.)
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPglite } from '../../src/db/pglite.js';
import { asSecretsRole, keyFilePath, keyFingerprint } from '../../src/domain/secrets.js';
import { opens, refusedStart, run, sealedValues, seed, servesPasswords } from '../helpers/secrets-key-runs.js';
import { freePort } from '../helpers/sipp.js';
import { startSwitchplane } from '../helpers/switchplane-process.js';

t.test('embedded database: key created at first start, refused when missing, corrupted or different, rotated', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = keyFilePath(dir);

  const first = await startSwitchplane(t, await freePort('tcp'), {}, dir);
  const keyText = await readFile(keyFile, 'utf8');
  t.match(keyText, /^[0-9a-f]{64}\n$/, 'the first start on empty data creates the key');
  t.equal((await stat(keyFile)).mode & 0o777, 0o600);
  const seeded = await seed(first);
  await servesPasswords(t, first, seeded);

  const whileRunning = await run(t, 'scripts/rotate-secrets.ts', { DATA_DIR: dir });
  t.equal(whileRunning.code, 1, 'no rotation while the service holds the embedded database');
  t.match(whileRunning.stderr, /in use by another Switchplane/);
  t.notMatch(whileRunning.stderr, /^\s+at /m, 'refused without a stack trace');
  t.equal(await readFile(keyFile, 'utf8'), keyText, 'the key is unchanged');
  await first.stop({ keepData: true });

  await unlink(keyFile);
  await refusedStart(t, { DATA_DIR: dir }, /^Secrets key missing: .*secrets\.key does not exist .*Restore .*secrets\.key from a backup/);
  await t.rejects(stat(keyFile), { code: 'ENOENT' }, 'no new key was written');

  await writeFile(keyFile, keyText.slice(0, 40) + '\n', { mode: 0o600 });
  await refusedStart(t, { DATA_DIR: dir }, /^Secrets key corrupted: .*secrets\.key does not hold a key/);

  await writeFile(keyFile, keyText, { mode: 0o600 });
  await refusedStart(t, { DATA_DIR: dir, SECRETS_KEY: randomBytes(32).toString('hex') }, /^Secrets key mismatch: the key from SECRETS_KEY is not the key .*npm run secrets:rotate/);

  const rotation = await run(t, 'scripts/rotate-secrets.ts', { DATA_DIR: dir });
  t.equal(rotation.code, 0, rotation.stderr);
  t.match(rotation.stdout, /Secrets key rotated; values re-sealed \(trunks\.password_enc: 1, extensions\.password_enc: 1, extensions\.voicemail_pin_enc: 1, phone_numbers\.crm_webhook_secret_sealed: 0, webhook_subscriptions\.secret_sealed: 0, freeswitch_nodes\.esl_password_sealed: 0\)/);
  const newText = await readFile(keyFile, 'utf8');
  t.match(newText, /^[0-9a-f]{64}\n$/);
  t.not(newText, keyText, 'a new key in secrets.key');
  t.equal((await stat(keyFile)).mode & 0o777, 0o600);
  await t.rejects(stat(`${keyFile}.new`), { code: 'ENOENT' }, 'no pending key left');

  const oldKey = Buffer.from(keyText.trim(), 'hex');
  const newKey = Buffer.from(newText.trim(), 'hex');
  const store = await openPglite(path.join(dir, 'pglite'));
  const values = await sealedValues(store);
  const check = await asSecretsRole(store, (trx) => trx.selectFrom('secrets_key_check').select('fingerprint').executeTakeFirstOrThrow());
  await store.close();
  t.equal(values.length, 3);
  t.ok(values.every((v) => opens(newKey, v)), 'every sealed value opens with the new key');
  t.ok(values.every((v) => !opens(oldKey, v)), 'none opens with the old key');
  t.equal(check.fingerprint, keyFingerprint(newKey), 'the key check is the new key');

  const second = await startSwitchplane(t, await freePort('tcp'), {}, dir);
  await servesPasswords(t, second, seeded);
  await second.stop({ keepData: true });

  await writeFile(keyFile, keyText, { mode: 0o600 });
  await refusedStart(t, { DATA_DIR: dir }, /^Secrets key mismatch: the key from .*secrets\.key is not the key/);
  await refusedStart(t, { DATA_DIR: dir, PORT: 'eighty' }, /^PORT: expected an integer from 0 to 65535, got "eighty"$/m);
});
