/**
 * Passwords of people who log in (src/domain/users.ts): hashed with argon2id (@node-rs/argon2's
 * default algorithm and its OWASP-level costs: 19 MiB, 2 passes), kept as the PHC string
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`). A password is never stored, logged or answered.
 */
import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { FieldError } from './errors.js';

/** Shortest and longest password accepted, in characters. */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

/**
 * @throws FieldError (`password`) for a password shorter than PASSWORD_MIN or longer than
 *   PASSWORD_MAX characters
 */
export function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN) throw new FieldError('password', `a password has at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) throw new FieldError('password', `a password has at most ${PASSWORD_MAX} characters`);
}

/** The argon2id PHC string of `password` (about 20–60 ms of CPU). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** A hash of a password nobody has, verified against when the email is unknown, so both take as long. */
let dummy: Promise<string> | undefined;

/**
 * Whether `password` matches `phc`. With `phc` null (unknown email, or an invite not yet
 * accepted) a dummy hash is verified instead and the answer is false, so the time taken does not
 * tell whether the account exists.
 */
export async function verifyPassword(phc: string | null, password: string): Promise<boolean> {
  if (phc === null) {
    dummy ??= hashPassword(randomBytes(16).toString('hex'));
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  return verify(phc, password).catch(() => false);
}

/** A random password of 24 base64url characters (144 bits), e.g. the first operator's. */
export const randomPassword = (): string => randomBytes(18).toString('base64url');
