/**
 * Extensions as a customer changes them (the REST API, and any other writer): checking the
 * input, the queries, and the audit row of every write in the same transaction. Every function
 * runs in `store.withTenant`, so row-level security hides another tenant's extensions (a 404).
 * The `extensions` table's change notice (sql/003_change_notify.sql) makes FreeSWITCH's next
 * directory lookup see a write.
 *
 * The SIP password and voicemail PIN are sealed at rest (SecretBox). Without `password` a random
 * one is generated; a given one has no `$`, `{` or `}` (FreeSWITCH expands `$${...}`). Without
 * `extensionNumber` the lowest free number from 1001 up is assigned (src/domain/extension-records.ts).
 */
import { sql, type Kysely, type Updateable } from 'kysely';
import type { Database, Extension, ExtensionsTable } from '../db/schema.js';
import type { Store } from '../db/store.js';
import type { Principal } from './api-keys.js';
import { deleteAudited } from './audited-delete.js';
import { recordAudit } from './audit.js';
import { ConflictError, FieldError, NotFoundError } from './errors.js';
import type { Codec } from './extensions.js';
import { FORBIDDEN_PASSWORD_CHARS, generateSipPassword, insertWithNextExtension } from './extension-records.js';
import { customerCountry } from './customer-country.js';
import { nationalToE164, toE164, type CountryCode } from './numbers.js';
import type { SecretBox } from './secrets.js';

/**
 * What a client may set on an extension, in the API's field names. Absent = unchanged (update)
 * or the column default (create); `null` clears an optional value. Shapes and ranges are checked
 * by the API schema; `checkInput` checks the rest.
 */
export interface ExtensionInput {
  extensionNumber?: string;
  sipUsername?: string;
  password?: string;
  displayName?: string | null;
  email?: string | null;
  userId?: string | null;
  callerIdName?: string | null;
  /**
   * E.164 (separators allowed), a national number of the customer's country, or extension
   * digits; stored as E.164 or digits.
   */
  callerIdNumber?: string | null;
  allowedCodecs?: Codec[];
  voicemailEnabled?: boolean;
  voicemailPin?: string | null;
  callRecording?: boolean;
  reverseAuth?: boolean;
  forwardingEnabled?: boolean;
  /** As `callerIdNumber`. */
  forwardingNumber?: string | null;
  doNotDisturb?: boolean;
  maxConcurrentCalls?: number;
  registrationExpiry?: number;
  status?: Extension['status'];
  /** The customer application's provisioning record (src/domain/extensions.ts PROVISIONING_STATUSES). */
  provisioningStatus?: Extension['provisioning_status'];
  /** SRTP required on the extension's calls (the directory's rtp_secure_media=mandatory). */
  encryptionEnabled?: boolean;
}

/** Column names whose input field is named differently (database errors name columns). */
export const FIELD_OF_COLUMN: Record<string, string> = {
  extension: 'extensionNumber',
  callForwardingEnabled: 'forwardingEnabled',
  callForwardingNumber: 'forwardingNumber',
  passwordEnc: 'password',
  voicemailPinEnc: 'voicemailPin',
};

/**
 * `+39 051 0510511` → `+390510510511`; `1002` stays; with `country` IT, `051 0510511` →
 * `+390510510511` (a number valid in the customer's country's national format is read as one
 * before digits are taken for an extension; src/domain/numbers.ts).
 * @throws FieldError naming `field` for anything else
 */
function dialTarget(field: string, raw: string | null | undefined, country: CountryCode | null): string | null | undefined {
  if (raw === null || raw === undefined) return raw;
  const national = country ? nationalToE164(raw, country) : null;
  if (national) return national;
  const s = raw.replace(/[\s().-]/g, '');
  if (/^[0-9]{2,10}$/.test(s)) return s;
  const e164 = toE164(s);
  if (!e164) {
    const national = country ? `, a valid national number of ${country}` : '';
    throw new FieldError(field, `${field} must be an E.164 number such as +390510510511${national} or extension digits such as 1002`);
  }
  return e164;
}

/** @throws FieldError (`password`) for what the schema cannot express */
function checkInput(input: ExtensionInput): void {
  if (input.password !== undefined && FORBIDDEN_PASSWORD_CHARS.test(input.password)) {
    throw new FieldError('password', 'password must not contain $, { or } (FreeSWITCH expands $${...} in its configuration)');
  }
}

/** Forwarding switched on needs a number to forward to (after the change is applied). */
function checkForwarding(enabled: boolean | undefined, number: string | null | undefined): void {
  if (enabled && !number) throw new FieldError('forwardingNumber', 'forwardingEnabled needs a forwardingNumber');
}

/** The columns `input` sets (the SIP password and PIN sealed; numbers read in `country`, the customer's). @throws FieldError for a bad dial target */
function columns(input: ExtensionInput, seal: (plain: string) => string, country: CountryCode | null): Updateable<ExtensionsTable> {
  const i = input;
  return {
    ...(i.extensionNumber !== undefined && { extension: i.extensionNumber }),
    ...(i.sipUsername !== undefined && { sip_username: i.sipUsername }),
    ...(i.password !== undefined && { password_enc: seal(i.password) }),
    ...(i.displayName !== undefined && { display_name: i.displayName }),
    ...(i.email !== undefined && { email: i.email }),
    ...(i.userId !== undefined && { user_id: i.userId }),
    ...(i.callerIdName !== undefined && { caller_id_name: i.callerIdName }),
    ...(i.callerIdNumber !== undefined && { caller_id_number: dialTarget('callerIdNumber', i.callerIdNumber, country) }),
    ...(i.allowedCodecs !== undefined && { allowed_codecs: i.allowedCodecs }),
    ...(i.voicemailEnabled !== undefined && { voicemail_enabled: i.voicemailEnabled }),
    ...(i.voicemailPin !== undefined && { voicemail_pin_enc: i.voicemailPin === null ? null : seal(i.voicemailPin) }),
    ...(i.callRecording !== undefined && { call_recording: i.callRecording }),
    ...(i.reverseAuth !== undefined && { reverse_auth: i.reverseAuth }),
    ...(i.forwardingEnabled !== undefined && { call_forwarding_enabled: i.forwardingEnabled }),
    ...(i.forwardingNumber !== undefined && { call_forwarding_number: dialTarget('forwardingNumber', i.forwardingNumber, country) }),
    ...(i.doNotDisturb !== undefined && { do_not_disturb: i.doNotDisturb }),
    ...(i.maxConcurrentCalls !== undefined && { max_concurrent_calls: i.maxConcurrentCalls }),
    ...(i.registrationExpiry !== undefined && { registration_expiry: i.registrationExpiry }),
    ...(i.status !== undefined && { status: i.status }),
    ...(i.provisioningStatus !== undefined && { provisioning_status: i.provisioningStatus }),
    ...(i.encryptionEnabled !== undefined && { encryption_enabled: i.encryptionEnabled }),
  };
}

/** The tenant's SIP domain (its digest realm). @throws NotFoundError `customer` */
async function sipDomainOf(trx: Kysely<Database>, tenantId: string): Promise<string> {
  const tenant = await trx.selectFrom('tenants').select('sip_domain').where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) throw new NotFoundError('customer');
  return tenant.sip_domain;
}

/** An extension with its plain SIP password and the tenant's SIP domain. */
export interface ExtensionWithSecret {
  row: Extension;
  password: string;
  domain: string;
}

/** Who writes, for which tenant (the audit row's actor and tenant). */
export interface Writer {
  store: Store;
  secrets: SecretBox;
  principal: Principal;
  tenantId: string;
}

/**
 * Creates an extension; the answer holds its plain password (given or generated).
 * @throws FieldError for a bad password or dial target, or forwarding without a number;
 *   NotFoundError `customer`; ConflictError (`extensionNumber`) when no number could be assigned;
 *   the database error (23505) when the number or SIP username is taken
 */
export async function createExtension(w: Writer, input: ExtensionInput): Promise<ExtensionWithSecret> {
  checkInput(input);
  checkForwarding(input.forwardingEnabled, input.forwardingNumber);
  const { password: given, ...rest } = input;
  const password = given ?? generateSipPassword();
  return w.store.withTenant(w.tenantId, async (trx) => {
    const domain = await sipDomainOf(trx, w.tenantId);
    const country = await customerCountry(trx, w.tenantId);
    const values = { ...columns(rest, (p) => w.secrets.seal(p), country), tenant_id: w.tenantId, password_enc: w.secrets.seal(password) };
    let row: Extension | null;
    if (input.extensionNumber !== undefined) {
      row = await trx
        .insertInto('extensions')
        .values({ ...values, extension: input.extensionNumber, sip_username: input.sipUsername ?? input.extensionNumber })
        .returningAll()
        .executeTakeFirstOrThrow();
    } else {
      const { extension: _n, sip_username: _u, ...unnumbered } = values;
      row = await insertWithNextExtension(trx, { ...unnumbered, ...(input.sipUsername !== undefined && { sip_username: input.sipUsername }) });
      if (!row) throw new ConflictError('no free extension number could be assigned; give extensionNumber', 'extensionNumber');
    }
    await recordAudit(trx, w.principal, { tenantId: w.tenantId, action: 'create', resourceType: 'extension', resourceId: row.id, after: row });
    return { row, password, domain };
  });
}

/** The tenant's extensions by number (shorter numbers first), filtered. @throws NotFoundError `customer` */
export async function listExtensions(store: Store, tenantId: string, filter: { status?: Extension['status']; userId?: string }): Promise<Extension[]> {
  return store.withTenant(tenantId, async (trx) => {
    await sipDomainOf(trx, tenantId);
    let q = trx.selectFrom('extensions').selectAll().where('tenant_id', '=', tenantId);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
    return q.orderBy(sql`length(extension)`).orderBy('extension').execute();
  });
}

/** @throws NotFoundError `extension` */
export async function getExtension(store: Store, tenantId: string, id: string): Promise<Extension> {
  const row = await store.withTenant(tenantId, (trx) => trx.selectFrom('extensions').selectAll().where('id', '=', id).executeTakeFirst());
  if (!row) throw new NotFoundError('extension');
  return row;
}

/**
 * Applies `input` to extension `id` (a new password is sealed).
 * @throws FieldError, NotFoundError `extension`, or the database error as for `createExtension`
 */
export async function updateExtension(w: Writer, id: string, input: ExtensionInput): Promise<Extension> {
  checkInput(input);
  return w.store.withTenant(w.tenantId, async (trx) => {
    const changes = columns(input, (p) => w.secrets.seal(p), await customerCountry(trx, w.tenantId));
    const before = await trx.selectFrom('extensions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw new NotFoundError('extension');
    checkForwarding(changes.call_forwarding_enabled ?? before.call_forwarding_enabled, changes.call_forwarding_number === undefined ? before.call_forwarding_number : changes.call_forwarding_number);
    const after = await trx.updateTable('extensions').set({ ...changes, updated_at: new Date() }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
    await recordAudit(trx, w.principal, { tenantId: w.tenantId, action: 'update', resourceType: 'extension', resourceId: before.id, before, after });
    return after;
  });
}

/** @throws NotFoundError `extension` */
export async function deleteExtension(w: Omit<Writer, 'secrets'>, id: string): Promise<void> {
  await w.store.withTenant(w.tenantId, (trx) => deleteAudited(trx, w.principal, { tenantId: w.tenantId, table: 'extensions', id, resourceType: 'extension', what: 'extension' }));
}

/**
 * The extension with its plain SIP password; `allowed` runs once the extension is found (another
 * tenant's id stays a 404 whatever the caller may do) and throws when the caller may not see it.
 * @throws NotFoundError `extension` or `customer`; whatever `allowed` throws
 */
export async function extensionSecret(store: Store, secrets: SecretBox, tenantId: string, id: string, allowed: () => void): Promise<ExtensionWithSecret> {
  return store.withTenant(tenantId, async (trx) => {
    const row = await trx.selectFrom('extensions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('extension');
    allowed();
    return { row, password: secrets.open(row.password_enc), domain: await sipDomainOf(trx, tenantId) };
  });
}
