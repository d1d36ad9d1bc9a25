/**
 * An extension's voicemail mailbox as mod_voicemail names it: the directory user id (the SIP
 * username, as the dialplan's `voicemail default <domain> <user>`) in the tenant's SIP domain.
 */
import type { Store } from '../db/store.js';
import { NotFoundError } from './errors.js';

/** @throws NotFoundError `extension` when the tenant has no extension `extensionId` */
export async function mailboxOf(store: Store, tenantId: string, extensionId: string): Promise<{ domain: string; user: string }> {
  const row = await store.withTenant(tenantId, (trx) =>
    trx.selectFrom('extensions').innerJoin('tenants', 'tenants.id', 'extensions.tenant_id')
      .select(['tenants.sip_domain as domain', 'extensions.sip_username as user'])
      .where('extensions.tenant_id', '=', tenantId).where('extensions.id', '=', extensionId)
      .executeTakeFirst(),
  );
  if (!row) throw new NotFoundError('extension');
  return row;
}
