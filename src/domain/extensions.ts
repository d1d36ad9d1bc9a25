/**
 * Extensions: the tenant's phones and softphones (SIP and WebRTC users of the directory).
 */
import { sql, type Kysely } from 'kysely';
import type { Database, Extension } from '../db/schema.js';

/**
 * Finds an active extension of a tenant by SIP username or by extension number (a SIP username
 * match wins), as FreeSWITCH matches a directory `user` by `id` or `number-alias`.
 */
export async function findActiveExtension(
  db: Kysely<Database>,
  tenantId: string,
  user: string,
): Promise<Extension | undefined> {
  return db
    .selectFrom('extensions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('sip_username', '=', user), eb('extension', '=', user)]))
    .orderBy(sql`sip_username = ${user}`, 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * The `dial-string` FreeSWITCH uses for `user/<id>@<domain>` (mod_dptools `user_outgoing_channel`):
 * every registered contact of the user in the sofia registration database, with the invite domain,
 * presence id and allowed codecs as originate variables. A user in do-not-disturb gives
 * `error/user_busy`, so callers get USER_BUSY (486).
 */
export function dialString(ext: Pick<Extension, 'sip_username' | 'do_not_disturb' | 'allowed_codecs'>, domain: string): string {
  if (ext.do_not_disturb) return 'error/user_busy';
  const vars = [`sip_invite_domain=${domain}`, `presence_id=${ext.sip_username}@${domain}`];
  if (ext.allowed_codecs.length > 0) vars.push(`absolute_codec_string=${ext.allowed_codecs.join(',')}`);
  // `^^:` makes `:` the separator, so the comma-separated codec list needs no quoting.
  return `{^^:${vars.join(':')}}\${sofia_contact(*/${ext.sip_username}@${domain})}`;
}

export interface DirectoryUser {
  extension: Extension;
  tenant: { id: string; name: string; sip_domain: string };
  /** E.164 number the user's outbound calls present, or null when the tenant has none enabled. */
  outboundNumber: string | null;
}

/**
 * One round trip for a directory lookup: the active extension `user` (SIP username or extension
 * number) of the active tenant owning `domain`, with the tenant and its outbound caller number.
 */
export async function findDirectoryUser(db: Kysely<Database>, domain: string, user: string): Promise<DirectoryUser | undefined> {
  const row = await db
    .selectFrom('extensions as e')
    .innerJoin('tenants as t', 't.id', 'e.tenant_id')
    .selectAll('e')
    .select(['t.name as tenant_name', 't.sip_domain as tenant_domain'])
    .select((eb) =>
      eb
        .selectFrom('phone_numbers as p')
        .select('p.number')
        .whereRef('p.tenant_id', '=', 't.id')
        .where('p.outbound_enabled', '=', true)
        .orderBy(sql`p.number = e.caller_id_number`, 'desc')
        .orderBy('p.number')
        .limit(1)
        .as('outbound_number'),
    )
    .where('t.sip_domain', '=', domain.toLowerCase())
    .where('t.status', '=', 'active')
    .where('e.status', '=', 'active')
    .where((eb) => eb.or([eb('e.sip_username', '=', user), eb('e.extension', '=', user)]))
    .orderBy(sql`e.sip_username = ${user}`, 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  const { tenant_name, tenant_domain, outbound_number, ...extension } = row;
  return {
    extension,
    tenant: { id: extension.tenant_id, name: tenant_name, sip_domain: tenant_domain },
    outboundNumber: outbound_number ?? null,
  };
}
