/**
 * The secrets key tests' runs of Switchplane as an operator meets it (test/startup/secrets-key-*):
 * `src/main.ts` and `npm run secrets:rotate` as their own processes, a customer seeded through the
 * API, and what the database and the directory answer hold afterwards.
 */
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import type { Store } from '../../src/db/store.js';
import { SEALED_COLUMNS, SecretBox, asSecretsRole } from '../../src/domain/secrets.js';
import { a1Hash } from '../../src/domain/sip-digest.js';
import { exited, stopChild, track } from './child-processes.js';
import { FORM, fixtureBody, rewrite } from './fixtures.js';
import { CHILD_ROOT, entry, nodeArgs } from './node-child.js';
import { freePort } from './sipp.js';
import { newAdminKey, type SwitchplaneProcess } from './switchplane-process.js';
const SIP_PASSWORD = 'kept-through-rotation-1001';
const PIN = '80412';

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` (src/main.ts or a script) to its end, as `npm start` / `npm run` would, within 90 s. */
export async function run(t: Test, script: string, env: Record<string, string>): Promise<Exit> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', DEMO_SEED: 'false', LOG_LEVEL: 'info', ...env };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  if (!env.SECRETS_KEY) delete childEnv.SECRETS_KEY;
  const child = track(spawn(process.execPath, nodeArgs([entry(script)]), { cwd: CHILD_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
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
export async function refusedStart(t: Test, env: Record<string, string>, message: RegExp): Promise<string> {
  const res = await run(t, 'src/main.ts', { PORT: String(await freePort('tcp')), ADMIN_API_KEY: newAdminKey(), ...env });
  t.equal(res.code, 1, 'exit status 1');
  t.match(res.stderr, message);
  t.notMatch(res.stderr, /^\s+at /m, 'no stack trace');
  t.equal(res.stderr.trim().split('\n').length, 1, 'one paragraph');
  return res.stderr;
}

export interface Seeded {
  username: string;
  domain: string;
}

/** A customer with an extension (SIP password, voicemail PIN) and a trunk with a password, through the API. */
export async function seed(sp: SwitchplaneProcess): Promise<Seeded> {
  const domain = 'rotate.switchplane.test';
  const customer = await sp.ok('POST', '/api/v1/customers', { name: 'Rotate', slug: 'rotate', sipDomain: domain });
  const ext = await sp.ok('POST', `/api/v1/customers/${customer.id}/extensions`, { extensionNumber: '1001', password: SIP_PASSWORD, voicemailEnabled: true, voicemailPin: PIN });
  await sp.ok('POST', `/api/v1/customers/${customer.id}/trunks`, { name: 'carrier', host: '198.51.100.7', username: 'acct', password: 'trunk-secret-42' });
  return { username: ext.sipCredentials.username, domain };
}

/** FreeSWITCH's directory answer for the extension has the a1-hash of its password and its voicemail PIN. */
export async function servesPasswords(t: Test, sp: SwitchplaneProcess, s: Seeded): Promise<void> {
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
export async function sealedValues(store: Store): Promise<string[]> {
  return asSecretsRole(store, async (trx) => {
    const values: string[] = [];
    for (const { table, column } of SEALED_COLUMNS) {
      const rows = await sql<{ value: string }>`select ${sql.ref(column)} as value from ${sql.table(table)} where ${sql.ref(column)} is not null`.execute(trx);
      values.push(...rows.rows.map((r) => r.value));
    }
    return values;
  });
}

/** Whether `sealed` opens with `key`. */
export const opens = (key: Buffer, sealed: string): boolean => {
  try {
    new SecretBox(key).open(sealed);
    return true;
  } catch {
    return false;
  }
};

