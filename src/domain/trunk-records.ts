/**
 * SIP trunk records as the API and other writers (e.g. `configure_sip_trunk`) see them: checking
 * and converting camelCase input into `trunks` columns, and rendering a row as JSON. Every text
 * that reaches sofia.conf (src/xmlcurl/sofia.ts) is checked here, because FreeSWITCH reads the
 * gateway `<param>`s as they are: its preprocessor expands `$${...}` in the fetched document
 * (switch_xml.c), and username, realm and from-* are pasted into SIP URIs by mod_sofia
 * (sofia.c `parse_gateways`: `sip:<username>@<proxy>`, `<sip:<from-user>@<from-domain>>`).
 * The password is stored sealed (SecretBox, `password_enc`) and never rendered back.
 * Host, realm and from-domain are held to the destination policy (src/domain/destination-policy.ts)
 * when a tenant key saves them, since mod_sofia sends the gateway's requests there.
 */
import type { Insertable } from 'kysely';
import type { Transport, Trunk, TrunkStatus, TrunksTable } from '../db/schema.js';
import { checkDestination, type DestinationPolicy } from './destination-policy.js';
import { FieldError } from './errors.js';
import type { SecretBox } from './secrets.js';
import { normaliseHost, normaliseHostPort } from './sip-hosts.js';

export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls'];
export const TRUNK_STATUSES: readonly TrunkStatus[] = ['active', 'inactive', 'maintenance'];

/**
 * What a client may set on a trunk. Absent = unchanged (on update) or the default (on create);
 * `null` clears an optional value. The defaults are the column defaults of sql/001_schema.sql.
 */
export interface TrunkInput {
  /** Unique within the tenant; for people only (the gateway is named by the trunk id). */
  name?: string;
  /** Carrier name, free text (blank = none). */
  provider?: string | null;
  /** Hostname (RFC 1123) or IP literal of the carrier's SIP server; IPv6 is stored as `[addr]`. */
  host?: string;
  /** SIP port, 1–65535 (default 5060). */
  port?: number;
  /** `udp` (default), `tcp` or `tls`: the gateway's `register-transport`. */
  transport?: Transport;
  /** SIP auth username (`username` param); required when `register` is true. */
  username?: string | null;
  /** SIP auth password, write-only; required when `register` is true; no `$`, `{`, `}`. */
  password?: string | null;
  /** Digest realm / registrar domain, `host[:port]` (`realm` param; default: the host). */
  realm?: string | null;
  /** User part of the From header (`from-user` param; default: the username). */
  fromUser?: string | null;
  /** Host part of the From header, `host[:port]` (`from-domain` param). */
  fromDomain?: string | null;
  /**
   * Whether FreeSWITCH registers to the carrier (`register` param; default false). mod_sofia
   * skips a registering gateway without username or password, so both are then required.
   */
  register?: boolean;
  /**
   * Registration expiry asked for, seconds, ≥ 5 (`expire-seconds`; default 3600). mod_sofia
   * itself replaces a value under 5 with 3600, so a lower one would not mean what it says.
   */
  expireSeconds?: number;
  /**
   * Wait after a failed registration before retrying, seconds, ≥ 5 (`retry-seconds`; default 30;
   * mod_sofia replaces a value under 5 with 30).
   */
  retrySeconds?: number;
  /**
   * SIP OPTIONS keep-alive interval, seconds, ≥ 5, or null for none (`ping`; mod_sofia ignores a
   * value under 5 with "invalid ping"). The result is the gateway's ping status.
   */
  pingSeconds?: number | null;
  /**
   * Put the caller's number in the From user of outbound INVITEs instead of `fromUser`
   * (`caller-id-in-from`, mod_sofia REG_FLAG_CALLERID; default false).
   */
  callerIdInFrom?: boolean;
  /**
   * Whether outbound calls on this trunk may present the calling extension's configured caller ID
   * number as it is, when the carrier accepts any presentation number from this account (default
   * false: a number of this trunk, src/domain/outbound-trunks.ts).
   */
  allowAnyCallerId?: boolean;
  /** Outbound order among the tenant's trunks, 1 (first) – 100 (default 1). */
  priority?: number;
  /** Concurrent calls allowed through this trunk, ≥ 1 (default 10). */
  maxChannels?: number;
  /** Only `active` trunks become gateways. */
  status?: TrunkStatus;
}

/** The configuration columns of a trunk (no tenant, no id, no registration or call counters). */
export type TrunkColumns = Omit<
  Insertable<TrunksTable>,
  | 'id' | 'tenant_id' | 'registration_state' | 'ping_status' | 'last_error' | 'last_registered_at'
  | 'total_calls' | 'successful_calls' | 'failed_calls' | 'current_channels' | 'created_at' | 'updated_at'
>;


/**
 * The settings of trunk `t` as the columns of a new trunk: every configuration column but the
 * owner (the password stays sealed as it is). `Required` makes a column added later a compile error here.
 */
export function trunkSettings(t: Trunk): Required<Omit<TrunkColumns, 'phone_number_id'>> {
  return {
    name: t.name, provider: t.provider, host: t.host, port: t.port, transport: t.transport, username: t.username,
    password_enc: t.password_enc, realm: t.realm, from_user: t.from_user, from_domain: t.from_domain, register: t.register,
    expire_seconds: t.expire_seconds, retry_seconds: t.retry_seconds, ping_seconds: t.ping_seconds,
    caller_id_in_from: t.caller_id_in_from, allow_any_caller_id: t.allow_any_caller_id, priority: t.priority,
    max_channels: t.max_channels, status: t.status,
  };
}


/** RFC 3261 user part without `$` (FreeSWITCH preprocessor), `@`, `:` and spaces. */
const SIP_USER = /^[A-Za-z0-9._~!&'()*+,;=?/%-]{1,128}$/;
/** Printable, no `$`, `{`, `}` (switch_xml.c preprocessor: `$${var}`; channel variables: `${var}`). */
const PASSWORD_FORBIDDEN = /[${}\u0000-\u001f\u007f]/;
const CONTROL = /[\u0000-\u001f\u007f]/;


function integer(field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FieldError(field, max === Number.MAX_SAFE_INTEGER ? `${field} must be an integer ≥ ${min}` : `${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function text(field: string, value: string, max: number): string {
  const v = value.trim();
  if (v.length === 0) throw new FieldError(field, `${field} must not be empty`);
  if (v.length > max) throw new FieldError(field, `${field} must be at most ${max} characters`);
  if (CONTROL.test(v)) throw new FieldError(field, `${field} must not contain control characters`);
  return v;
}

const orNull = <T, R>(value: T | null, check: (v: T) => R): R | null => (value === null ? null : check(value));

function sipUser(field: string, value: string): string {
  if (!SIP_USER.test(value)) throw new FieldError(field, `${field} may hold letters, digits and . _ ~ ! & ' ( ) * + , ; = ? / % - (at most 128), not $ @ : or spaces`);
  return value;
}

function hostPort(field: string, value: string): string {
  const v = normaliseHostPort(value);
  if (!v) throw new FieldError(field, `${field} must be a hostname or IP address, optionally with :port`);
  return v;
}

/**
 * Checks the fields present in `input` and converts them to columns; the password is sealed.
 * Does not check fields that depend on each other (see `trunkColumns` / `trunkChanges`).
 * @throws FieldError naming the first bad field
 */
function convert(input: TrunkInput, secrets: SecretBox): Partial<TrunkColumns> {
  const out: Partial<TrunkColumns> = {};
  if (input.name !== undefined) out.name = text('name', input.name, 100);
  if (input.provider !== undefined) out.provider = orNull(input.provider, (v) => (v.trim() === '' ? null : text('provider', v, 100)));
  if (input.host !== undefined) {
    const host = normaliseHost(input.host);
    if (!host) throw new FieldError('host', 'host must be a hostname (RFC 1123, e.g. sip.carrier.example) or an IP address');
    out.host = host;
  }
  if (input.port !== undefined) out.port = integer('port', input.port, 1, 65535);
  if (input.transport !== undefined) {
    if (!TRANSPORTS.includes(input.transport)) throw new FieldError('transport', `transport must be one of ${TRANSPORTS.join(', ')}`);
    out.transport = input.transport;
  }
  if (input.username !== undefined) out.username = orNull(input.username, (v) => sipUser('username', v));
  if (input.password !== undefined) {
    if (input.password === null) {
      out.password_enc = null;
    } else {
      if (input.password.length === 0 || input.password.length > 128) throw new FieldError('password', 'password must be 1 to 128 characters');
      if (PASSWORD_FORBIDDEN.test(input.password)) throw new FieldError('password', 'password must not contain $, { or } (FreeSWITCH expands them) or control characters');
      out.password_enc = secrets.seal(input.password);
    }
  }
  if (input.realm !== undefined) out.realm = orNull(input.realm, (v) => hostPort('realm', v));
  if (input.fromUser !== undefined) out.from_user = orNull(input.fromUser, (v) => sipUser('fromUser', v));
  if (input.fromDomain !== undefined) out.from_domain = orNull(input.fromDomain, (v) => hostPort('fromDomain', v));
  if (input.register !== undefined) out.register = input.register;
  if (input.expireSeconds !== undefined) out.expire_seconds = integer('expireSeconds', input.expireSeconds, 5, 31_536_000);
  if (input.retrySeconds !== undefined) out.retry_seconds = integer('retrySeconds', input.retrySeconds, 5, 86_400);
  if (input.pingSeconds !== undefined) out.ping_seconds = orNull(input.pingSeconds, (v) => integer('pingSeconds', v, 5, 86_400));
  if (input.callerIdInFrom !== undefined) out.caller_id_in_from = input.callerIdInFrom;
  if (input.allowAnyCallerId !== undefined) {
    if (typeof input.allowAnyCallerId !== 'boolean') throw new FieldError('allowAnyCallerId', 'allowAnyCallerId must be true or false');
    out.allow_any_caller_id = input.allowAnyCallerId;
  }
  if (input.priority !== undefined) out.priority = integer('priority', input.priority, 1, 100);
  if (input.maxChannels !== undefined) out.max_channels = integer('maxChannels', input.maxChannels, 1, 100_000);
  if (input.status !== undefined) {
    if (!TRUNK_STATUSES.includes(input.status)) throw new FieldError('status', `status must be one of ${TRUNK_STATUSES.join(', ')}`);
    out.status = input.status;
  }
  return out;
}


/** The destination policy on the host fields among `cols` (host, realm, from-domain). */
async function checkDestinations(cols: Partial<TrunkColumns>, destinations: DestinationPolicy | null): Promise<void> {
  const fields: Array<[string, string | null | undefined]> = [['host', cols.host], ['realm', cols.realm], ['fromDomain', cols.from_domain]];
  for (const [field, host] of fields) if (host) await checkDestination(field, host, destinations);
}

/**
 * mod_sofia refuses a registering gateway without username and password (sofia.c
 * `parse_gateways`: "username param is REQUIRED", "password param is REQUIRED"), which would
 * silently drop the trunk; refuse it here instead.
 */
function checkRegistration(register: boolean, username: string | null | undefined, passwordSet: boolean): void {
  if (!register) return;
  if (!username) throw new FieldError('username', 'register: true needs a username');
  if (!passwordSet) throw new FieldError('password', 'register: true needs a password');
}

/**
 * Columns of a new trunk from `input`; `name` and `host` are required, the rest default as in
 * sql/001_schema.sql. The password is sealed with `secrets`.
 * @param destinations the policy host, realm and from-domain are held to; null for an admin key
 * @throws FieldError naming the bad or missing field (`destination_not_allowed` for a refused host)
 */
export async function trunkColumns(input: TrunkInput, secrets: SecretBox, destinations: DestinationPolicy | null): Promise<TrunkColumns> {
  if (input.name === undefined) throw new FieldError('name', 'name is required');
  if (input.host === undefined) throw new FieldError('host', 'host is required');
  const cols = convert(input, secrets);
  checkRegistration(cols.register ?? false, cols.username, Boolean(cols.password_enc));
  await checkDestinations(cols, destinations);
  return { ...cols, name: cols.name!, host: cols.host! };
}

/**
 * The columns to update on `current` for a partial `input` (absent fields stay as they are,
 * `password: null` removes the password). The result is checked as a whole, so turning
 * `register` on, or removing the username or password of a registering trunk, needs both.
 * Only the host fields sent are held to `destinations` (null for an admin key).
 * @throws FieldError naming the bad field (`destination_not_allowed` for a refused host)
 */
export async function trunkChanges(
  input: TrunkInput,
  secrets: SecretBox,
  current: Pick<Trunk, 'register' | 'username' | 'password_enc'>,
  destinations: DestinationPolicy | null,
): Promise<Partial<TrunkColumns>> {
  const changes = convert(input, secrets);
  checkRegistration(
    changes.register ?? current.register,
    changes.username !== undefined ? changes.username : current.username,
    changes.password_enc !== undefined ? changes.password_enc !== null : current.password_enc !== null,
  );
  await checkDestinations(changes, destinations);
  return changes;
}
