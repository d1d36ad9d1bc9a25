/**
 * The secrets key as an operator meets it: `src/main.ts` and `npm run secrets:rotate` as their own
 * processes on a DATA_DIR (and on PostgreSQL with TEST_DATABASE_URL). A missing, corrupted or
 * different key is refused with a one-paragraph message and no stack trace; a rotation re-seals
 * every value and the service then serves the same passwords with the new key.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { Store } from '../../src/db/store.js';
import { SEALED_COLUMNS, SecretBox, asSecretsRole, keyFilePath, keyFingerprint } from '../../src/domain/secrets.js';
import { a1Hash } from '../../src/domain/sip-digest.js';
import { exited, stopChild, track } from '../helpers/child-processes.js';
import { FORM, fixtureBody, rewrite } from '../helpers/fixtures.js';
import { freePort } from '../helpers/sipp.js';
import { newAdminKey, startSwitchplane, type SwitchplaneProcess } from '../helpers/switchplane-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SIP_PASSWORD = 'kept-through-rotation-1001';
const PIN = '80412';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` (src/main.ts or a script) to its end, as `npm start` / `npm run` would, within 90 s. */
async function run(t: Test, script: string, env: Record<string, string>): Promise<Exit> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', DEMO_SEED: 'false', LOG_LEVEL: 'info', ...env };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  if (!env.SECRETS_KEY) delete childEnv.SECRETS_KEY;
  const child = track(spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => void stopChild(child, 'SIGKILL', 0), 90_000);
  t.teardown(() => stopChild(child, 'SIGKILL', 0));
  await exited(child);
  clearTimeout(timer);
  return { code: child.exitCode, stdout, stderr };
}

/** A start of src/main.ts that must be refused: exit 1, the message on stderr alone, no stack trace. */
async function refusedStart(t: Test, env: Record<string, string>, message: RegExp): Promise<string> {
  const res = await run(t, 'src/main.ts', { PORT: String(await freePort('tcp')), ADMIN_API_KEY: newAdminKey(), ...env });
  t.equal(res.code, 1, 'exit status 1');
  t.match(res.stderr, message);
  t.notMatch(res.stderr, /^\s+at /m, 'no stack trace');
  t.equal(res.stderr.trim().split('\n').length, 1, 'one paragraph');
  return res.stderr;
}

interface Seeded {
  username: string;
  domain: string;
}

/** A customer with an extension (SIP password, voicemail PIN) and a trunk with a password, through the API. */
async function seed(sp: SwitchplaneProcess): Promise<Seeded> {
  const domain = 'rotate.switchplane.test';
  const customer = await sp.ok('POST', '/api/v1/customers', { name: 'Rotate', slug: 'rotate', sipDomain: domain });
  const ext = await sp.ok('POST', `/api/v1/customers/${customer.id}/extensions`, { extensionNumber: '1001', password: SIP_PASSWORD, voicemailEnabled: true, voicemailPin: PIN });
  await sp.ok('POST', `/api/v1/customers/${customer.id}/trunks`, { name: 'carrier', host: '198.51.100.7', username: 'acct', password: 'trunk-secret-42' });
  return { username: ext.sipCredentials.username, domain };
}

/** FreeSWITCH's directory answer for the extension has the a1-hash of its password and its voicemail PIN. */
async function servesPasswords(t: Test, sp: SwitchplaneProcess, s: Seeded): Promise<void> {
  const payload = rewrite(fixtureBody('directory-register.txt'), {
    key_value: s.domain, domain: s.domain, user: s.username, sip_auth_username: s.username, sip_auth_realm: s.domain,
    sip_to_host: s.domain, sip_from_host: s.domain, sip_to_user: s.username, sip_from_user: s.username,
  });
  const res = await fetch(`${sp.url}/freeswitch/xml`, { method: 'POST', headers: FORM, body: payload });
  const xml = await res.text();
  t.match(xml, `name="a1-hash" value="${a1Hash(s.username, s.domain, SIP_PASSWORD)}"`, 'the same SIP password');
  t.match(xml, `name="vm-password" value="${PIN}"`, 'the same voicemail PIN');
}

/** Every sealed value of the database (as switchplane_secrets). */
async function sealedValues(store: Store): Promise<string[]> {
  return asSecretsRole(store, async (trx) => {
    const values: string[] = [];
    for (const { table, column } of SEALED_COLUMNS) {
      const rows = await sql<{ value: string }>`select ${sql.ref(column)} as value from ${sql.table(table)} where ${sql.ref(column)} is not null`.execute(trx);
      values.push(...rows.rows.map((r) => r.value));
    }
    return values;
  });
}

const opens = (key: Buffer, sealed: string): boolean => {
  try {
    new SecretBox(key).open(sealed);
    return true;
  } catch {
    return false;
  }
};

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
