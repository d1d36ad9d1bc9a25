/**
 * What the customer's call commands (click-to-call, transfer) need from the database, checked
 * before FreeSWITCH is asked: the tenant, the extension placing or taking the call, and whether
 * the dialplan routes the destination (src/domain/call-routing.ts `dialledTarget`, the same
 * decision the dialplan makes). Each check runs in one short tenant transaction that ends before
 * the command goes out; the audit row of an accepted command is written afterwards in its own.
 */
import type { Kysely } from 'kysely';
import type { Database, Extension, Tenant } from '../db/schema.js';
import type { Store } from '../db/store.js';
import type { Principal } from './api-keys.js';
import { recordAudit, type AuditEntry } from './audit.js';
import { dialledTarget } from './call-routing.js';
import { customerCountry } from './customer-country.js';
import { FieldError, NotFoundError } from './errors.js';
import { namesExtension } from './extensions.js';

/** The tenant of a call command, as an originate or transfer needs it. */
export type CallTenant = Pick<Tenant, 'id' | 'sip_domain' | 'status'>;
/** An extension placing or taking a call, as an originate or transfer needs it. */
export type CallExtension = Pick<Extension, 'tenant_id' | 'extension' | 'sip_username' | 'status'>;

/** @throws NotFoundError `customer` */
async function tenantRow(trx: Kysely<Database>, tenantId: string): Promise<CallTenant> {
  const tenant = await trx.selectFrom('tenants').select(['id', 'sip_domain', 'status']).where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) throw new NotFoundError('customer');
  return tenant;
}

/** The tenant's extension whose `by` is `value` (any status). @throws NotFoundError naming `field` */
async function extensionRow(trx: Kysely<Database>, tenantId: string, by: 'id' | 'extension', value: string, field: string): Promise<CallExtension> {
  const ext = await trx.selectFrom('extensions').select(['tenant_id', 'extension', 'sip_username', 'status']).where('tenant_id', '=', tenantId).where(by, '=', value).executeTakeFirst();
  if (!ext) throw new NotFoundError('extension', field, `${field}: no such extension for this customer`);
  return ext;
}

/**
 * The parties of a click-to-call from extension `from` (by id or number; `field` is the input
 * field naming it) to `dialled` (digits, optionally a leading +), and the destination to send
 * into the dialplan: the extension as dialled, or the number as E.164 (a national number read
 * in the customer's country).
 * @throws NotFoundError `customer`, or naming `field`; FieldError (`destination`) when `dialled`
 *   names the calling extension or is neither an active extension of the tenant nor a number the
 *   dialplan routes
 */
export function clickToCallParties(
  store: Store,
  tenantId: string,
  from: { by: 'id' | 'extension'; value: string; field: string },
  dialled: string,
): Promise<{ tenant: CallTenant; from: CallExtension; destination: string }> {
  return store.withTenant(tenantId, async (trx) => {
    const tenant = await tenantRow(trx, tenantId);
    const caller = await extensionRow(trx, tenantId, from.by, from.value, from.field);
    if (namesExtension(caller, dialled)) throw new FieldError('destination', `destination is the calling extension ${caller.extension}`);
    const extensions = await trx.selectFrom('extensions').select(['extension', 'sip_username', 'status']).where('tenant_id', '=', tenantId).execute();
    const country = await customerCountry(trx, tenantId);
    const target = dialledTarget(extensions, dialled, country);
    if (!target) {
      const national = country ? `, a valid national number of ${country}` : '';
      throw new FieldError('destination', `${dialled} is neither an active extension of this customer nor a number the dialplan can route (E.164 +..., 00..., 8 to 15 digits${national})`);
    }
    return { tenant, from: caller, destination: target.kind === 'number' ? target.e164 : dialled };
  });
}

/** The parties of a blind transfer to extension number `extension`. @throws NotFoundError `customer`, or naming `extension` */
export function transferParties(store: Store, tenantId: string, extension: string): Promise<{ tenant: CallTenant; to: CallExtension }> {
  return store.withTenant(tenantId, async (trx) => ({
    tenant: await tenantRow(trx, tenantId),
    to: await extensionRow(trx, tenantId, 'extension', extension, 'extension'),
  }));
}

/** Writes the audit row of a call command FreeSWITCH already accepted, in a transaction of its own. */
export function recordCallCommand(store: Store, principal: Principal, entry: AuditEntry & { tenantId: string }): Promise<void> {
  return store.withTenant(entry.tenantId, (trx) => recordAudit(trx, principal, entry));
}
