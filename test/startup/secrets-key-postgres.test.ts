/**
 * The secrets key on PostgreSQL (TEST_DATABASE_URL), as an operator meets it: `src/main.ts` and
 * `npm run secrets:rotate` as their own processes with SECRETS_KEY. A different or missing key is
 * refused; the rotation re-seals every value and prints the new SECRETS_KEY, which the service
 * then serves the same passwords with. (test/startup/secrets-key-embedded.test.ts: the embedded
 * database.)
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openPostgres } from '../../src/db/postgres.js';
import { keyFilePath } from '../../src/domain/secrets.js';
import { opens, refusedStart, run, sealedValues, seed, servesPasswords } from '../helpers/secrets-key-runs.js';
import { freePort } from '../helpers/sipp.js';
import { startSwitchplane } from '../helpers/switchplane-process.js';

const serverUrl = process.env.TEST_DATABASE_URL;
if (serverUrl) t.test('PostgreSQL with SECRETS_KEY: a different key is refused; the rotation prints the new SECRETS_KEY', async (t) => {
  const dbName = `switchplane_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  t.teardown(async () => {
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const DATABASE_URL = url.toString();
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const oldHex = randomBytes(32).toString('hex');

  const first = await startSwitchplane(t, await freePort('tcp'), { DATABASE_URL, SECRETS_KEY: oldHex }, dir);
  const seeded = await seed(first);
  await first.stop({ keepData: true });
  await t.rejects(stat(keyFilePath(dir)), { code: 'ENOENT' }, 'no key file with SECRETS_KEY');

  await refusedStart(t, { DATA_DIR: dir, DATABASE_URL, SECRETS_KEY: randomBytes(32).toString('base64') }, /^Secrets key mismatch: the key from SECRETS_KEY/);
  await refusedStart(t, { DATA_DIR: dir, DATABASE_URL }, /^Secrets key missing: .*SECRETS_KEY is not set, but the database holds passwords sealed with a key \(its key check is set\)/);

  const rotation = await run(t, 'scripts/rotate-secrets.ts', { DATA_DIR: dir, DATABASE_URL, SECRETS_KEY: oldHex });
  t.equal(rotation.code, 0, rotation.stderr);
  const newHex = /^SECRETS_KEY=([0-9a-f]{64})$/m.exec(rotation.stdout)?.[1];
  t.ok(newHex, 'the new SECRETS_KEY is printed');
  t.match(rotation.stdout, /Secrets key rotated; values re-sealed \(trunks\.password_enc: 1, extensions\.password_enc: 1, extensions\.voicemail_pin_enc: 1/);

  const store = await openPostgres({ url: DATABASE_URL, poolSize: 1, lookupBudgetMs: 1000 });
  const values = await sealedValues(store);
  await store.close();
  t.equal(values.length, 3);
  t.ok(values.every((v) => opens(Buffer.from(newHex!, 'hex'), v) && !opens(Buffer.from(oldHex, 'hex'), v)), 'every value opens with the new key only');

  const second = await startSwitchplane(t, await freePort('tcp'), { DATABASE_URL, SECRETS_KEY: newHex! }, dir);
  await servesPasswords(t, second, seeded);
  await second.stop({ keepData: true });
  await refusedStart(t, { DATA_DIR: dir, DATABASE_URL, SECRETS_KEY: oldHex }, /^Secrets key mismatch/);
});
