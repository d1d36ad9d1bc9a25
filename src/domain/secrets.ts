/**
 * Passwords at rest (extension SIP passwords, voicemail PINs, trunk passwords): AES-256-GCM with
 * a 12-byte random IV, stored as `v1.<iv>.<tag>.<ciphertext>` (base64url parts).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

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
 * The configured key, or the one kept in `<dataDir>/secrets.key` (created, mode 0600, when absent).
 */
export async function loadSecretBox(configured: Buffer | undefined, dataDir: string): Promise<SecretBox> {
  if (configured) return new SecretBox(configured);
  const file = path.join(dataDir, 'secrets.key');
  try {
    return new SecretBox(Buffer.from((await readFile(file, 'utf8')).trim(), 'hex'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  await writeFile(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  return new SecretBox(key);
}
