/**
 * Phone numbers (DIDs) in E.164 (ITU-T E.164: `+`, country code, up to 15 digits).
 */
import type { Kysely } from 'kysely';
import type { Database, PhoneNumber } from '../db/schema.js';

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Normalises a dialled or configured number to E.164: separators are dropped, a leading `00`
 * becomes `+`, and a bare international number of 8 to 15 digits gets its `+`.
 * @returns the E.164 string, or null when the input cannot be one (e.g. an extension `1001`)
 */
export function toE164(raw: string): string | null {
  const s = raw.replace(/[\s().-]/g, '');
  let candidate: string;
  if (s.startsWith('+')) candidate = s;
  else if (s.startsWith('00')) candidate = '+' + s.slice(2);
  else if (/^\d{8,15}$/.test(s)) candidate = '+' + s;
  else return null;
  return E164.test(candidate) ? candidate : null;
}

/** A number with the tenant owning it, for inbound routing; undefined when nobody owns it. */
export async function findNumber(db: Kysely<Database>, e164: string): Promise<PhoneNumber | undefined> {
  return db.selectFrom('phone_numbers').selectAll().where('number', '=', e164).executeTakeFirst();
}

/**
 * The number a tenant's outbound calls present: the extension's own caller ID when it is one of
 * the tenant's numbers, otherwise the tenant's first number (in E.164 order).
 * @returns the number row (check `outbound_enabled`), or undefined when the tenant has none
 */
export async function outboundCallerNumber(
  db: Kysely<Database>,
  tenantId: string,
  preferred: string | null,
): Promise<PhoneNumber | undefined> {
  const rows = await db.selectFrom('phone_numbers').selectAll().where('tenant_id', '=', tenantId).orderBy('number').execute();
  const wanted = preferred ? toE164(preferred) : null;
  return rows.find((r) => r.number === wanted) ?? rows.find((r) => r.outbound_enabled) ?? rows[0];
}
