/**
 * Phone number (DID) records as the API and other writers see them: checking and converting
 * camelCase input into `phone_numbers` columns, and rendering a row as JSON. What the fields
 * mean for a call is decided in src/domain/call-routing.ts:
 * - `route: extension` bridges to the extension `routeTarget`;
 * - `route: ai_agent` parks the call for the AI agent `aiAgentProfile` inside `businessHours`
 *   (tenant time zone, src/domain/business-hours.ts) and sends it to `failoverExtension` outside;
 * - `route: forward` sends it out through the tenant's trunks to the E.164 `routeTarget`;
 * and any route falls back to `failoverExtension` when its target is missing or inactive.
 * `crmWebhookUrl` is where the AI agent's `create_ticket` tool POSTs tickets for calls to the
 * number (src/media/crm-webhook.ts), signed with `crmWebhookSecret`. The secret is write-only,
 * as a trunk's password is (src/domain/trunk-records.ts): stored sealed (SecretBox,
 * `crm_webhook_secret_sealed`) and never rendered back, only `crmWebhookSecretSet`. The URL's host
 * is held to the destination policy (src/domain/destination-policy.ts) when a tenant key saves it,
 * and again by src/media/crm-webhook.ts on every connection.
 */
import type { Insertable } from 'kysely';
import type { NumberRoute, PhoneNumber, PhoneNumbersTable } from '../db/schema.js';
import { parseBusinessHours } from './business-hours.js';
import { checkDestination, type DestinationPolicy } from './destination-policy.js';
import { FieldError } from './errors.js';
import { toE164, type CountryCode } from './numbers.js';
import type { SecretBox } from './secrets.js';

export const NUMBER_ROUTES: readonly NumberRoute[] = ['extension', 'ai_agent', 'forward'];

/** An extension number, as the `extensions.extension` check of sql/001_schema.sql. */
export const EXTENSION_NUMBER = /^[0-9]{2,10}$/;
/** An AI agent profile name. */
export const AI_AGENT_PROFILE = /^[a-z0-9-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Longest CRM webhook URL accepted (also the `phone_numbers_crm_webhook_url_check` of sql/008). */
export const CRM_WEBHOOK_URL_MAX = 2048;
/** Length bounds of the CRM webhook signing secret, in characters. */
export const CRM_WEBHOOK_SECRET_MIN = 16;
export const CRM_WEBHOOK_SECRET_MAX = 256;
/**
 * `http://` or `https://` (lower case), then the first character of the host (the WHATWG parser
 * would read `http:///x` or `http:\\x` as host `x`, so a URL as stored would not say where it goes).
 */
export const CRM_WEBHOOK_URL_START = /^https?:\/\/[^/?#\\]/;
const SPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/;

/**
 * What a client may set on a phone number. Absent = unchanged (on update) or the default (on
 * create); `null` clears an optional value.
 */
export interface NumberInput {
  /**
   * The DID, normalised to E.164 (`+39 051 0510 511` → `+390510510511`; `0510510511` when the
   * customer's country is IT); unique across all tenants.
   */
  number?: string;
  /** The tenant's trunk the number arrives on (checked by the caller with `isTenantTrunk`). */
  trunkId?: string | null;
  /** Free text, at most 500 characters (blank = none). */
  description?: string | null;
  /** Whether calls to the number are taken (default true). */
  incomingEnabled?: boolean;
  /** Whether the number may be presented on outbound calls (default true). */
  outboundEnabled?: boolean;
  /** `extension` (default), `ai_agent` or `forward`. */
  route?: NumberRoute;
  /** The extension number (route `extension`) or E.164 number (route `forward`); unused by `ai_agent`. */
  routeTarget?: string | null;
  /** The AI agent profile, `^[a-z0-9-]{1,64}$`; required by route `ai_agent`. */
  aiAgentProfile?: string | null;
  /**
   * When the AI agent answers (W3 Suite `aiTimePolicy` shape): `{ monday: { start: "09:00",
   * end: "18:00" }, ..., sunday: null }`; a day absent or null is closed, `null` is always open.
   */
  businessHours?: unknown;
  /** The extension taking calls the route cannot (outside business hours, target inactive). */
  failoverExtension?: string | null;
  /**
   * Where the AI agent's `create_ticket` tool POSTs tickets: an absolute `http://` or
   * `https://` URL of at most 2048 characters, without credentials. Needs a `crmWebhookSecret`.
   */
  crmWebhookUrl?: string | null;
  /**
   * The secret tickets are signed with (`X-Switchplane-Signature`), write-only, 16–256
   * characters; stored sealed. `null` removes it, which the URL must then be removed with.
   */
  crmWebhookSecret?: string | null;
}

export type NumberColumns = Omit<Insertable<PhoneNumbersTable>, 'id' | 'tenant_id' | 'created_at' | 'updated_at'>;

function text(field: string, value: string, max: number): string {
  const v = value.trim();
  if (v.length === 0) throw new FieldError(field, `${field} must not be empty`);
  if (v.length > max || /[\u0000-\u001f\u007f]/.test(v)) throw new FieldError(field, `${field} must be at most ${max} printable characters`);
  return v;
}

function extensionNumber(field: string, value: string): string {
  if (!EXTENSION_NUMBER.test(value)) throw new FieldError(field, `${field} must be an extension number of 2 to 10 digits`);
  return value;
}

/** `value` as E.164, national numbers read in `country`. @throws FieldError naming `field` */
function e164(field: string, value: string, country: CountryCode | null): string {
  const n = toE164(value, country);
  if (n) return n;
  throw new FieldError(field, country
    ? `${field} must be a valid number of the customer's country ${country} (national format, e.g. 0510510511 in IT) or an E.164 number such as +390510510511`
    : `${field} must be an E.164 number such as +390510510511`);
}

const orNull = <T, R>(value: T | null, check: (v: T) => R): R | null => (value === null ? null : check(value));

/** Characters as JSON Schema (ajv) counts them: code points, not UTF-16 units. */
const length = (s: string) => [...s].length;

/**
 * An absolute http(s) URL as given (not rewritten by the URL parser), checked: at most 2048
 * characters, no spaces or control characters, a host, no `user:password@`.
 */
function webhookUrl(field: string, value: string): string {
  const must = `${field} must be an absolute http:// or https:// URL of at most ${CRM_WEBHOOK_URL_MAX} characters`;
  if (value.length > CRM_WEBHOOK_URL_MAX || !CRM_WEBHOOK_URL_START.test(value) || SPACE_OR_CONTROL.test(value)) throw new FieldError(field, must);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FieldError(field, must);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') throw new FieldError(field, must);
  if (url.username !== '' || url.password !== '') throw new FieldError(field, `${field} must not hold a user name or password; the webhook is authenticated by its signature (crmWebhookSecret)`);
  return value;
}

function webhookSecret(field: string, value: string, secrets: SecretBox): string {
  const n = length(value);
  if (n < CRM_WEBHOOK_SECRET_MIN || n > CRM_WEBHOOK_SECRET_MAX) throw new FieldError(field, `${field} must be ${CRM_WEBHOOK_SECRET_MIN} to ${CRM_WEBHOOK_SECRET_MAX} characters`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new FieldError(field, `${field} must not contain control characters`);
  return secrets.seal(value);
}

/**
 * Checks and converts the fields present, each on its own; the CRM webhook secret is sealed.
 * Numbers are read in `country`, the customer's (src/domain/numbers.ts toE164).
 */
function convert(input: NumberInput, secrets: SecretBox, country: CountryCode | null): Partial<NumberColumns> {
  const out: Partial<NumberColumns> = {};
  if (input.number !== undefined) out.number = e164('number', input.number, country);
  if (input.trunkId !== undefined) {
    out.trunk_id = orNull(input.trunkId, (v) => {
      if (!UUID.test(v)) throw new FieldError('trunkId', 'trunkId must be a trunk id (UUID)');
      return v.toLowerCase();
    });
  }
  if (input.description !== undefined) out.description = orNull(input.description, (v) => (v.trim() === '' ? null : text('description', v, 500)));
  if (input.incomingEnabled !== undefined) out.incoming_enabled = input.incomingEnabled;
  if (input.outboundEnabled !== undefined) out.outbound_enabled = input.outboundEnabled;
  if (input.route !== undefined) {
    if (!NUMBER_ROUTES.includes(input.route)) throw new FieldError('route', `route must be one of ${NUMBER_ROUTES.join(', ')}`);
    out.route = input.route;
  }
  if (input.aiAgentProfile !== undefined) {
    out.ai_agent_profile = orNull(input.aiAgentProfile, (v) => {
      if (!AI_AGENT_PROFILE.test(v)) throw new FieldError('aiAgentProfile', 'aiAgentProfile must be 1 to 64 of a-z, 0-9 and -');
      return v;
    });
  }
  if (input.businessHours !== undefined) {
    const hours = parseBusinessHours(input.businessHours);
    // SQL NULL (always open), not the JSON `null`; the Json<> column type only names the text form.
    out.business_hours = hours === null ? (null as unknown as string) : JSON.stringify(hours);
  }
  if (input.failoverExtension !== undefined) out.failover_extension = orNull(input.failoverExtension, (v) => extensionNumber('failoverExtension', v));
  if (input.crmWebhookUrl !== undefined) out.crm_webhook_url = orNull(input.crmWebhookUrl, (v) => webhookUrl('crmWebhookUrl', v));
  if (input.crmWebhookSecret !== undefined) out.crm_webhook_secret_sealed = orNull(input.crmWebhookSecret, (v) => webhookSecret('crmWebhookSecret', v, secrets));
  return out;
}

/** Every ticket is signed: a CRM webhook URL needs a secret (also `phone_numbers_crm_webhook_secret_check`). */
function checkWebhook(url: string | null | undefined, secretSet: boolean): void {
  if (url && !secretSet) throw new FieldError('crmWebhookSecret', 'crmWebhookUrl needs a crmWebhookSecret: tickets are always signed');
}

type RouteState = Pick<PhoneNumber, 'route' | 'route_target' | 'ai_agent_profile'>;
type WebhookState = Pick<PhoneNumber, 'crm_webhook_url' | 'crm_webhook_secret_sealed'>;

/**
 * Checks the route fields together, on the record as it will be, and sets `route_target`:
 * the extension number or normalised E.164 of `routeTarget`, or null for `ai_agent` (a target
 * left over from an earlier route is dropped).
 */
function resolveRoute(input: NumberInput, changes: Partial<NumberColumns>, current: RouteState, country: CountryCode | null): void {
  const route = changes.route ?? current.route;
  const given = input.routeTarget !== undefined;
  const target = given ? input.routeTarget ?? null : current.route_target;
  switch (route) {
    case 'ai_agent': {
      if (given && target !== null) throw new FieldError('routeTarget', 'route ai_agent takes no routeTarget; it uses aiAgentProfile');
      const profile = changes.ai_agent_profile !== undefined ? changes.ai_agent_profile : current.ai_agent_profile;
      if (!profile) throw new FieldError('aiAgentProfile', 'route ai_agent needs aiAgentProfile');
      if (current.route_target !== null || given) changes.route_target = null;
      return;
    }
    case 'extension':
      if (target === null) throw new FieldError('routeTarget', 'route extension needs routeTarget, the extension number');
      changes.route_target = extensionNumber('routeTarget', target);
      return;
    case 'forward':
      if (target === null) throw new FieldError('routeTarget', 'route forward needs routeTarget, an E.164 number');
      changes.route_target = e164('routeTarget', target, country);
      return;
  }
}

/** The destination policy on the host of a CRM webhook URL being set (already checked by `webhookUrl`). */
async function checkWebhookDestination(url: string | null | undefined, destinations: DestinationPolicy | null): Promise<void> {
  if (url) await checkDestination('crmWebhookUrl', new URL(url).hostname, destinations);
}

/**
 * Columns of a new number from `input`; `number` is required, `route` defaults to `extension`.
 * `trunkId` is only checked for form: the caller checks it is the tenant's (`isTenantTrunk`).
 * The CRM webhook secret is sealed with `secrets`.
 * @param destinations the policy the CRM webhook URL's host is held to; null for an admin key
 * @param country the customer's, national numbers (`number`, a forward's `routeTarget`) are read in
 * @throws FieldError naming the bad or missing field (`destination_not_allowed` for a refused webhook host)
 */
export async function numberColumns(input: NumberInput, secrets: SecretBox, destinations: DestinationPolicy | null, country: CountryCode | null): Promise<NumberColumns> {
  if (input.number === undefined) throw new FieldError('number', 'number is required');
  const cols = convert(input, secrets, country);
  resolveRoute(input, cols, { route: 'extension', route_target: null, ai_agent_profile: null }, country);
  checkWebhook(cols.crm_webhook_url, Boolean(cols.crm_webhook_secret_sealed));
  await checkWebhookDestination(cols.crm_webhook_url, destinations);
  return { ...cols, number: cols.number! };
}

/**
 * The columns to update on `current` for a partial `input`; the route fields are checked on the
 * result, so `{ route: 'forward' }` alone is refused while the target is an extension number.
 * The CRM webhook is checked on the result too: setting a URL, or removing the secret
 * (`crmWebhookSecret: null`) of a number with a URL, needs both. A CRM webhook URL sent is held
 * to `destinations` (null for an admin key). Numbers are read in `country`, the customer's.
 * @throws FieldError naming the bad field (`destination_not_allowed` for a refused webhook host)
 */
export async function numberChanges(
  input: NumberInput,
  secrets: SecretBox,
  current: RouteState & WebhookState,
  destinations: DestinationPolicy | null,
  country: CountryCode | null,
): Promise<Partial<NumberColumns>> {
  const changes = convert(input, secrets, country);
  checkWebhook(
    changes.crm_webhook_url !== undefined ? changes.crm_webhook_url : current.crm_webhook_url,
    changes.crm_webhook_secret_sealed !== undefined ? changes.crm_webhook_secret_sealed !== null : current.crm_webhook_secret_sealed !== null,
  );
  await checkWebhookDestination(changes.crm_webhook_url, destinations);
  if (input.route === undefined && input.routeTarget === undefined && input.aiAgentProfile === undefined) return changes;
  resolveRoute(input, changes, current, country);
  if (changes.route_target === current.route_target && input.routeTarget === undefined) delete changes.route_target;
  return changes;
}

/**
 * The CRM webhook of a number with its secret opened, as `postTicket` (src/media/crm-webhook.ts)
 * takes them; null when the number has none.
 * @throws Error when the sealed secret cannot be opened (another SecretBox key)
 */
export function crmWebhookOf(n: WebhookState, secrets: SecretBox): { url: string; secret: string } | null {
  if (n.crm_webhook_url === null || n.crm_webhook_secret_sealed === null) return null;
  return { url: n.crm_webhook_url, secret: secrets.open(n.crm_webhook_secret_sealed) };
}
