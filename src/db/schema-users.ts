/**
 * Kysely table types of the portal's people, sessions and one-time links (sql/014_users_sessions.sql),
 * part of `Database` in ./schema.ts and checked with it by test/db/schema-types.test.ts.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type UserRole = 'operator' | 'admin' | 'agent';
/** `invited`: no password yet (the invite link sets it); `disabled`: cannot log in, sessions stop. */
export type UserStatus = 'active' | 'invited' | 'disabled';
export type UserTokenPurpose = 'invite' | 'reset';

export interface UsersTable {
  id: Generated<string>;
  /** null only for operators. */
  tenant_id: string | null;
  /** Lower-case; unique across every customer. */
  email: string;
  name: string;
  /** argon2id PHC string (`$argon2id$...`); null until an invite is accepted. */
  password_hash: string | null;
  role: UserRole;
  /** An extension of the same tenant (an agent's softphone and calls). */
  extension_id: string | null;
  status: Generated<UserStatus>;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_login_at: NullableTimestamp;
}

/** A logged-in session: the SHA-256 (hex) of its id, never the id. */
export interface UserSessionsTable {
  id_hash: string;
  user_id: string;
  /** The session as @fastify/session keeps it (cookie settings, CSRF secret, user id). */
  data: ColumnType<Record<string, unknown>, string, string>;
  /** The end of the idle period: the session is refused after it. */
  expires_at: RequiredTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** An invite or reset link: the SHA-256 (hex) of its token, usable once before `expires_at`. */
export interface UserTokensTable {
  token_hash: string;
  tenant_id: string | null;
  user_id: string;
  purpose: UserTokenPurpose;
  expires_at: RequiredTimestamp;
  used_at: NullableTimestamp;
  created_at: Timestamp;
}
