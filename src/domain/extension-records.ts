/**
 * Extension records as the API writes them: SIP passwords generated from the CSPRNG, the next
 * free extension number of a tenant, and the insert that claims an auto-assigned number without
 * aborting the caller's transaction when another request took it first.
 * Everything here runs in the caller's `store.withTenant` transaction (row-level security).
 */
import { randomInt } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, Extension, ExtensionsTable } from '../db/schema.js';

/** The first number handed out when a tenant creates an extension without one. */
export const FIRST_AUTO_EXTENSION = 1001;
/** Largest extension number (10 digits, as `extensions.extension` allows). */
const MAX_EXTENSION = 9_999_999_999;

/** Letters and digits only: nothing FreeSWITCH would expand (`$${...}`) or a phone would mangle. */
const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A generated password has this many characters: 32 × log2(62) ≈ 190 bits. */
export const GENERATED_PASSWORD_LENGTH = 32;

/**
 * A random SIP password of `length` letters and digits, each drawn uniformly with node:crypto's
 * `randomInt` (CSPRNG, no modulo bias).
 * @throws RangeError when `length` is below 24 (shorter generated passwords are not allowed)
 */
export function generateSipPassword(length = GENERATED_PASSWORD_LENGTH): string {
  if (!Number.isInteger(length) || length < 24) throw new RangeError('a generated SIP password has at least 24 characters');
  let out = '';
  for (let i = 0; i < length; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

/** Characters FreeSWITCH expands in configuration (`$${var}`, `${var}`), so a password must avoid them. */
export const FORBIDDEN_PASSWORD_CHARS = /[${}]/;

/**
 * The lowest extension number from 1001 upward that the tenant does not use, as a string.
 * The candidates are 1001 and every numeric extension + 1, so one query finds the first gap
 * (the casts sit in CASE, so a non-numeric SIP username is never cast, whatever the plan).
 * @param opts.freeUsername also skip numbers some extension uses as its SIP username (for an
 *   extension whose username will default to its number)
 * @returns the number, or null when every number up to 9999999999 is taken
 */
export async function nextFreeExtension(trx: Kysely<Database>, tenantId: string, opts: { freeUsername: boolean }): Promise<string | null> {
  const numeric = sql<string>`'^[1-9][0-9]{0,9}$'`;
  const usernames = opts.freeUsername
    ? sql`union all select case when sip_username ~ ${numeric} then sip_username::bigint + 1 end from extensions where tenant_id = ${tenantId}`
    : sql.raw('');
  const takenUsername = opts.freeUsername
    ? sql`or exists (select 1 from extensions e where e.tenant_id = ${tenantId} and e.sip_username = c.n::text)`
    : sql.raw('');
  const { rows } = await sql<{ next: string | null }>`
    select min(c.n)::text as next
    from (
      select ${FIRST_AUTO_EXTENSION}::bigint as n
      union all select case when extension ~ ${numeric} then extension::bigint + 1 end from extensions where tenant_id = ${tenantId}
      ${usernames}
    ) c
    where c.n >= ${FIRST_AUTO_EXTENSION} and c.n <= ${MAX_EXTENSION}
      and not (exists (select 1 from extensions e where e.tenant_id = ${tenantId} and e.extension = c.n::text) ${takenUsername})
  `.execute(trx);
  return rows[0]?.next ?? null;
}

/** How often `insertWithNextExtension` tries a fresh number after another request took one. */
const AUTO_ASSIGN_ATTEMPTS = 10;
/** First key of the transaction advisory lock that serialises number assignment ('SPEX'). */
const ASSIGN_LOCK_NAMESPACE = 0x53504558;

/**
 * Inserts `values` under the tenant's next free extension number (and that number as SIP username
 * when `values.sip_username` is undefined).
 *
 * Auto-assigning requests of one tenant take turns: each first takes a transaction advisory lock
 * on the tenant (`pg_advisory_xact_lock`, held until the caller's transaction ends), so under
 * READ COMMITTED the next one computes its number after the previous one committed, instead of
 * a herd of requests all racing for the same number. A number taken meanwhile by a request that
 * gave it explicitly is skipped with `ON CONFLICT ... DO NOTHING` (which waits for that
 * transaction and leaves this one usable) and the next free number is tried, up to 10 times.
 * With a defaulted username any unique conflict is skipped so; with an explicit one only a
 * conflict on the number is.
 * @returns the inserted row, or null when no number could be claimed (none free up to
 *   9999999999, or lost 10 races in a row)
 * @throws the database error (SQLSTATE 23505, constraint `extensions_tenant_id_sip_username_key`)
 *   when an explicit `sip_username` is already used in the tenant
 */
export async function insertWithNextExtension(
  trx: Kysely<Database>,
  values: Omit<Insertable<ExtensionsTable>, 'extension' | 'sip_username'> & { sip_username?: string },
): Promise<Extension | null> {
  await sql`select pg_advisory_xact_lock(${ASSIGN_LOCK_NAMESPACE}::int4, hashtext(${values.tenant_id}::text))`.execute(trx);
  for (let attempt = 0; attempt < AUTO_ASSIGN_ATTEMPTS; attempt++) {
    const extension = await nextFreeExtension(trx, values.tenant_id, { freeUsername: values.sip_username === undefined });
    if (extension === null) return null;
    const row = await trx
      .insertInto('extensions')
      .values({ ...values, extension, sip_username: values.sip_username ?? extension })
      .onConflict((oc) => (values.sip_username === undefined ? oc : oc.columns(['tenant_id', 'extension'])).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return row;
  }
  return null;
}
