/**
 * Passwords at rest (extension SIP passwords, voicemail PINs, trunk passwords, CRM webhook
 * secrets): AES-256-GCM with a 12-byte random IV, stored as `v1.<iv>.<tag>.<ciphertext>`
 * (base64url parts), and the key they are sealed with: SECRETS_KEY, or `<DATA_DIR>/secrets.key`
 * (64 hex digits). The database keeps a fingerprint of that key (sql/013_secrets_key_check.sql),
 * so a start with a missing, unreadable or different key is refused instead of sealing new values
 * next to ones it cannot open.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { StartupError } from '../startup-error.js';

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  /** Encrypts a UTF-8 string. */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  /**
   * A 32-byte key for another purpose, HMAC-SHA256 of `label` under this key: every instance with
   * the same secrets key derives the same one (e.g. the session cookie's signing secret), and it
   * reveals nothing of this key. A rotated secrets key derives new ones.
   */
  derive(label: string): Buffer {
    return createHmac('sha256', this.key).update(label).digest();
  }

  /**
   * Decrypts what `seal` produced.
   * @throws Error when the value is malformed or was sealed with another key (GCM tag mismatch)
   */
  open(sealed: string): string {
    const [version, iv, tag, ct] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ct === undefined) throw new Error('malformed sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/**
 * Every column holding values sealed by a SecretBox. A new sealed column is added here and granted
 * to `switchplane_secrets` in its migration, so that the start-up check sees it and the key
 * rotation re-seals it.
 */
export const SEALED_COLUMNS = [
  { table: 'trunks', column: 'password_enc' },
  { table: 'extensions', column: 'password_enc' },
  { table: 'extensions', column: 'voicemail_pin_enc' },
  { table: 'phone_numbers', column: 'crm_webhook_secret_sealed' },
  { table: 'webhook_subscriptions', column: 'secret_sealed' },
  { table: 'freeswitch_nodes', column: 'esl_password_sealed' },
] as const;

export type SealedColumn = (typeof SEALED_COLUMNS)[number];

/** The role that reads and rewrites the sealed columns of every tenant and the key check (sql/013). */
export const SECRETS_ROLE = 'switchplane_secrets';

/** The start was refused because of the secrets key; the message says which and how to fix it. */
export class SecretsKeyError extends StartupError {}

/** `<dataDir>/secrets.key`. */
export const keyFilePath = (dataDir: string): string => path.join(dataDir, 'secrets.key');

/** Where a rotation keeps the new key until its transaction has committed (scripts/rotate-secrets.ts). */
export const pendingKeyFilePath = (dataDir: string): string => `${keyFilePath(dataDir)}.new`;

/** HMAC-SHA256 of a fixed label under `key`, hex: identifies the key without revealing it. */
export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('switchplane secrets key check v1').digest('hex');
}

/** The text of a key file: the key as 64 lowercase hex digits and a newline. */
export const keyFileText = (key: Buffer): string => key.toString('hex') + '\n';

/**
 * Reads a key file.
 * @returns the key, or undefined when the file does not exist
 * @throws SecretsKeyError when the file exists but does not hold 64 hex digits (or cannot be read)
 */
export async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new SecretsKeyError(
      `Secrets key unreadable: ${file} could not be read (${code ?? (err as Error).message}). ` +
        `Give the user running Switchplane read access to it, or set SECRETS_KEY to the key it holds.`,
    );
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new SecretsKeyError(
      `Secrets key corrupted: ${file} does not hold a key (expected 64 hex digits on one line, found ${text.length} characters). ` +
        `The stored passwords were sealed with the key that was in this file: restore the file from a backup, or set SECRETS_KEY to that key. ` +
        `Do not delete the file to get a new key: Switchplane refuses to start without the key once passwords are stored.`,
    );
  }
  return Buffer.from(hex, 'hex');
}

/** Runs `fn` in one transaction as `switchplane_secrets`. */
export function asSecretsRole<T>(store: Store, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  // The operator transaction only carries the switch: SET ROLE is checked against the session user.
  return store.withOperator(async (trx) => {
    await sql`select set_config('role', ${SECRETS_ROLE}, true)`.execute(trx);
    return fn(trx);
  });
}

/** What the database says about the key in use: its fingerprint (sql/013) and one sealed value. */
export interface KeyCheck {
  fingerprint: string | undefined;
  /** A sealed value of any table, to test a key against when there is no fingerprint yet. */
  sample: string | undefined;
}

/** Reads the key check; `forUpdate` locks its row until the transaction ends. */
export async function readKeyCheck(trx: Kysely<Database>, forUpdate = false): Promise<KeyCheck> {
  const query = trx.selectFrom('secrets_key_check').select('fingerprint');
  const row = await (forUpdate ? query.forUpdate() : query).executeTakeFirst();
  let sample: string | undefined;
  for (const { table, column } of SEALED_COLUMNS) {
    const found = await sql<{ value: string }>`select ${sql.ref(column)} as value from ${sql.table(table)} where ${sql.ref(column)} is not null limit 1`.execute(trx);
    sample = found.rows[0]?.value;
    if (sample !== undefined) break;
  }
  return { fingerprint: row?.fingerprint, sample };
}

/** Whether `key` is the key of `check` (by fingerprint, else by opening the sample; true when neither exists). */
export function keyMatches(key: Buffer, check: KeyCheck): boolean {
  if (check.fingerprint) return check.fingerprint === keyFingerprint(key);
  if (check.sample === undefined) return true;
  try {
    new SecretBox(key).open(check.sample);
    return true;
  } catch {
    return false;
  }
}

/** Where a key came from, as the operator names it. */
export type KeySource = 'SECRETS_KEY' | { file: string };

const sourceName = (source: KeySource): string => (source === 'SECRETS_KEY' ? 'SECRETS_KEY' : source.file);

/** The refusal for a key that is not the one in use: names `source` and the fixes, and an interrupted rotation's key file when that one matches. */
async function mismatch(source: KeySource, dataDir: string, check: KeyCheck): Promise<SecretsKeyError> {
  const pending = pendingKeyFilePath(dataDir);
  const pendingKey = await readKeyFile(pending).catch(() => undefined);
  const interrupted =
    pendingKey && keyMatches(pendingKey, check)
      ? ` ${pending} holds the matching key (a rotation ended before it was put in place): move it to ${keyFilePath(dataDir)}${source === 'SECRETS_KEY' ? ', or set SECRETS_KEY to it' : ''}.`
      : '';
  return new SecretsKeyError(
    `Secrets key mismatch: the key from ${sourceName(source)} is not the key the stored passwords were sealed with ` +
      `(${check.fingerprint ? 'its fingerprint differs from the database\'s key check' : 'it does not open them'}), so Switchplane would answer "not found" for every user and gateway.${interrupted} ` +
      (source === 'SECRETS_KEY'
        ? `Set SECRETS_KEY to the key in use, or unset it so that ${keyFilePath(dataDir)} is used. `
        : `Restore ${source.file} from a backup, or set SECRETS_KEY to the key in use (it takes precedence over the file). `) +
      `To change the key, start with the current one and run \`npm run secrets:rotate\`, which re-seals every password with a new key and writes it.`,
  );
}

/**
 * The key to start with: `configured` (SECRETS_KEY), else `<dataDir>/secrets.key`. On a database
 * without sealed values or key check, a missing key file is created (mode 0600) with a new key;
 * the key check is written with the first key.
 * @throws SecretsKeyError when the key file is missing while the database holds sealed values or a
 *   key check, when it is corrupted, or when the key does not match the key check (or does not
 *   open the stored values of a database that has none yet)
 */
export async function loadSecretBox(configured: Buffer | undefined, dataDir: string, store: Store): Promise<SecretBox> {
  const file = keyFilePath(dataDir);
  let created = false;
  try {
    return await asSecretsRole(store, async (trx) => {
      const check = await readKeyCheck(trx);
      let key = configured ?? (await readKeyFile(file));
      const source: KeySource = configured ? 'SECRETS_KEY' : { file };
      if (!key) {
        if (check.fingerprint || check.sample !== undefined) {
          throw new SecretsKeyError(
            `Secrets key missing: ${file} does not exist and SECRETS_KEY is not set, but the database holds passwords sealed with a key` +
              `${check.fingerprint ? ' (its key check is set)' : ''}. Switchplane does not create a new key over them: every user and gateway would answer "not found". ` +
              `Restore ${file} from a backup (64 hex digits, mode 0600), or set SECRETS_KEY to the key in use. Without that key the stored passwords cannot be recovered.`,
          );
        }
        key = randomBytes(32);
        await mkdir(dataDir, { recursive: true });
        await writeFile(file, keyFileText(key), { mode: 0o600, flag: 'wx' });
        created = true;
      }
      if (!keyMatches(key, check)) throw await mismatch(source, dataDir, check);
      if (!check.fingerprint) {
        await trx.insertInto('secrets_key_check').values({ fingerprint: keyFingerprint(key) }).onConflict((oc) => oc.doNothing()).execute();
        // Another instance may have written its first key at the same time.
        const written = await trx.selectFrom('secrets_key_check').select('fingerprint').executeTakeFirstOrThrow();
        if (written.fingerprint !== keyFingerprint(key)) throw await mismatch(source, dataDir, { fingerprint: written.fingerprint, sample: undefined });
      }
      return new SecretBox(key);
    });
  } catch (err) {
    if (created) await unlink(file).catch(() => undefined);
    throw err;
  }
}

