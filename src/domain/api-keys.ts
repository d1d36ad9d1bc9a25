/**
 * API keys: `Authorization: Bearer sp_<8 hex>_<43 base64url>` (32 random bytes from the CSPRNG).
 * Only the SHA-256 of a key is stored (a key is random and long, so a fast hash is the right one);
 * the key itself is shown once, at creation. `key_prefix` (`sp_<8 hex>`) identifies a key in
 * listings and logs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ConfigError } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Store } from '../db/store.js';

/**
 * `admin`: every tenant, creates tenants and keys. `tenant`: its own tenant, read and write.
 * `tenant:read`: its own tenant, read only. `extensions:credentials`: may read SIP passwords.
 */
export const SCOPES = ['admin', 'tenant', 'tenant:read', 'extensions:credentials'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * Roles of people who log in to the portal: `operator` acts on every customer (as an admin key),
 * `admin` on the whole of one customer (as a tenant key with `extensions:credentials`), `agent`
 * only on its own extension, its own calls and the softphone.
 */
export const USER_ROLES = ['operator', 'admin', 'agent'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A logged-in person behind a request (session cookie), with its linked extension if any. */
export interface PrincipalUser {
  id: string;
  email: string;
  role: UserRole;
  extensionId: string | null;
}

/**
 * Who is calling: an API key, or a person logged in with a session (`user` set). `keyId` is the
 * key's id or `user:<users.id>` (the rate-limit key); `keyPrefix` and `name` are what the audit
 * log records (the key's prefix and name, or `user` and the person's email); `tenantId` is null for
 * admin keys and operators. A person's scopes follow its role: operator `admin` +
 * `extensions:credentials`, admin `tenant` + `extensions:credentials`, agent none (routes an agent
 * may use say so, src/api/auth.ts `tenantOrAgent`).
 */
export interface Principal {
  keyId: string;
  keyPrefix: string;
  name: string;
  tenantId: string | null;
  scopes: ReadonlySet<Scope>;
  user?: PrincipalUser;
}

/** The scopes a person's role carries (see Principal). */
export function scopesOfRole(role: UserRole): ReadonlySet<Scope> {
  if (role === 'operator') return new Set<Scope>(['admin', 'extensions:credentials']);
  if (role === 'admin') return new Set<Scope>(['tenant', 'extensions:credentials']);
  return new Set<Scope>();
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = `sp_${randomBytes(4).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

const KEY_SHAPE = /^sp_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/;

/** `last_used_at` is written at most this often per key, so reads do not each cost a write. */
const LAST_USED_RESOLUTION_SECONDS = 60;

/**
 * The principal of a key, or null when it is unknown, malformed or revoked. Updates
 * `last_used_at` (to the minute).
 */
export async function authenticateKey(store: Store, key: string): Promise<Principal | null> {
  if (!KEY_SHAPE.test(key)) return null;
  const hash = hashApiKey(key);
  return store.withOperator(async (trx) => {
    const row = await trx
      .selectFrom('api_keys')
      .select(['id', 'key_prefix', 'name', 'tenant_id', 'scopes', 'last_used_at'])
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_SECONDS * 1000) {
      await trx.updateTable('api_keys').set({ last_used_at: new Date() }).where('id', '=', row.id).execute();
    }
    return {
      keyId: row.id,
      keyPrefix: row.key_prefix,
      name: row.name,
      tenantId: row.tenant_id,
      scopes: new Set(row.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s))),
    };
  });
}

/** The columns of a key that may be shown (never the hash). */
export const KEY_COLUMNS = ['id', 'tenant_id', 'name', 'key_prefix', 'scopes', 'created_at', 'last_used_at', 'revoked_at'] as const;

/**
 * Inserts a new key (in the caller's operator transaction).
 * @returns the stored row and the key, which is not kept anywhere
 */
export async function insertApiKey(trx: Kysely<Database>, input: { tenantId: string | null; name: string; scopes: Scope[] }) {
  const { key, prefix, hash } = generateApiKey();
  const row = await trx
    .insertInto('api_keys')
    .values({ tenant_id: input.tenantId, name: input.name, key_prefix: prefix, key_hash: hash, scopes: input.scopes })
    .returning(KEY_COLUMNS)
    .executeTakeFirstOrThrow();
  return { row, key };
}

/**
 * Makes sure an admin key exists. With `configured` (ADMIN_API_KEY), that key is registered if
 * it is not yet; otherwise, when no admin key exists at all, one is generated.
 * @returns the generated key (to print once), or null when none was generated
 * @throws ConfigError (ADMIN_API_KEY) when `configured` does not have the key shape
 */
export async function ensureAdminKey(store: Store, configured: string | undefined): Promise<string | null> {
  if (configured !== undefined && !KEY_SHAPE.test(configured)) {
    throw new ConfigError('ADMIN_API_KEY', 'expected the shape sp_<8 hex digits>_<43 base64url characters> (32 random bytes), e.g. sp_$(openssl rand -hex 4)_$(openssl rand -base64 32 | tr "+/" "-_" | tr -d =)');
  }
  return store.withOperator(async (trx) => {
    if (configured) {
      const hash = hashApiKey(configured);
      const known = await trx.selectFrom('api_keys').select('id').where('key_hash', '=', hash).executeTakeFirst();
      if (!known) {
        await trx
          .insertInto('api_keys')
          .values({ tenant_id: null, name: 'ADMIN_API_KEY', key_prefix: configured.slice(0, 11), key_hash: hash, scopes: ['admin', 'extensions:credentials'] })
          .execute();
      }
      return null;
    }
    const existing = await trx.selectFrom('api_keys').select('id').where(sql<boolean>`'admin' = any(scopes)`).where('revoked_at', 'is', null).executeTakeFirst();
    if (existing) return null;
    const { key } = await insertApiKey(trx, { tenantId: null, name: 'first admin key', scopes: ['admin', 'extensions:credentials'] });
    return key;
  });
}
