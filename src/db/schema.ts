/**
 * Kysely table types; they mirror the tables the migrations in sql/ create, column by column
 * (names, nullability, type families and defaults: checked by test/db/schema-types.test.ts).
 * Timestamps are UTC `timestamptz` read back as `Date`; durations are integer seconds.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { RecordingsTable } from './schema-recordings.js';
import type { RecurringCallExecutionsTable, RecurringCallsTable } from './schema-recurring-calls.js';
import type { UserSessionsTable, UsersTable, UserTokensTable } from './schema-users.js';
import type { NodeTables } from './schema-nodes.js';
import type { VoicemailAudioTable } from './schema-voicemail-audio.js';
import type { WebhookTables } from './schema-webhooks.js';

/** A `timestamptz not null default now()`: optional on insert. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A `timestamptz not null` without a default: required on insert. */
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** int8 counters with a default (pg: strings, PGlite: numbers); optional on insert. */
type Counter = ColumnType<string | number, number | undefined, number>;
/** jsonb written as JSON text: required on insert unless `T` admits null (never inside Generated<>). */
type Json<T> = ColumnType<T, null extends T ? string | undefined : string, string>;
/** A jsonb column with a default: optional on insert. */
type JsonWithDefault<T> = ColumnType<T, string | undefined, string>;

export type TenantStatus = 'active' | 'suspended' | 'inactive';
export type Transport = 'udp' | 'tcp' | 'tls';
export type TrunkStatus = 'active' | 'inactive' | 'maintenance';
export type ExtensionStatus = 'active' | 'inactive' | 'suspended';
export type ProvisioningStatus = 'pending' | 'provisioned' | 'failed';
export type NumberRoute = 'extension' | 'ai_agent' | 'forward';

/** Business hours per weekday as in the W3 Suite `aiTimePolicy`: `null` or absent = closed. */
export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';
export type BusinessHours = Partial<Record<Weekday, { start: string; end: string } | null>>;

export interface TenantsTable {
  id: Generated<string>;
  name: string;
  slug: string;
  sip_domain: string;
  timezone: Generated<string>;
  max_concurrent_calls: Generated<number>;
  status: Generated<TenantStatus>;
  crm_webhook_url: string | null;
  /** ISO 3166-1 alpha-2 (upper case) national numbers are read in; null: E.164 and `00` only (sql/020). */
  country: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TrunksTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  provider: string | null;
  host: string;
  port: Generated<number>;
  transport: Generated<Transport>;
  username: string | null;
  password_enc: string | null;
  realm: string | null;
  from_user: string | null;
  from_domain: string | null;
  register: Generated<boolean>;
  expire_seconds: Generated<number>;
  retry_seconds: Generated<number>;
  ping_seconds: number | null;
  caller_id_in_from: Generated<boolean>;
  allow_any_caller_id: Generated<boolean>; // outbound calls may present the extension's own caller ID (sql/021)
  priority: Generated<number>;
  max_channels: Generated<number>;
  status: Generated<TrunkStatus>;
  registration_state: Generated<string>;
  ping_status: string | null;
  last_error: string | null;
  last_registered_at: NullableTimestamp;
  total_calls: Counter;
  successful_calls: Counter;
  failed_calls: Counter;
  current_channels: Generated<number>;
  phone_number_id: string | null; // the number this is the own trunk of (configure_sip_trunk, sql/016); null: a customer's trunk
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ExtensionsTable {
  id: Generated<string>;
  tenant_id: string;
  extension: string;
  sip_username: string;
  password_enc: string;
  user_id: string | null;
  display_name: string | null;
  email: string | null;
  caller_id_name: string | null;
  caller_id_number: string | null;
  allowed_codecs: Generated<string[]>;
  voicemail_enabled: Generated<boolean>;
  voicemail_pin_enc: string | null;
  call_recording: Generated<boolean>;
  /** Whether directory answers for reverse-auth-lookup carry the credentials (sql/011). */
  reverse_auth: Generated<boolean>;
  call_forwarding_enabled: Generated<boolean>;
  call_forwarding_number: string | null;
  do_not_disturb: Generated<boolean>;
  max_concurrent_calls: Generated<number>;
  registration_expiry: Generated<number>;
  status: Generated<ExtensionStatus>;
  provisioning_status: Generated<ProvisioningStatus>;
  /** SRTP required on the extension's calls: the directory user's rtp_secure_media=mandatory (sql/022). */
  encryption_enabled: Generated<boolean>;
  registered: Generated<boolean>;
  last_registration_at: NullableTimestamp;
  user_agent: string | null;
  registered_ip: string | null;
  registered_port: number | null;
  /** When the registration runs out unless refreshed (sql/009). */
  registration_expires_at: NullableTimestamp;
  contact: string | null;
  /** ESL_NODES name of the FreeSWITCH node holding the registration (sql/006). */
  registered_node: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PhoneNumbersTable {
  id: Generated<string>;
  tenant_id: string;
  number: string;
  trunk_id: string | null;
  description: string | null;
  incoming_enabled: Generated<boolean>;
  outbound_enabled: Generated<boolean>;
  route: Generated<NumberRoute>;
  route_target: string | null;
  ai_agent_profile: string | null;
  business_hours: Json<BusinessHours | null>;
  failover_extension: string | null;
  /** Where the AI agent's `create_ticket` tool POSTs tickets: an http(s) URL (sql/008). */
  crm_webhook_url: string | null;
  /** The webhook signing secret, sealed with the SecretBox (sql/008); never answered. */
  crm_webhook_secret_sealed: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AiSessionsTable {
  id: Generated<string>;
  tenant_id: string;
  call_id: string;
  openai_session_id: string | null;
  agent_profile: string | null;
  caller_number: string | null;
  did: string | null;
  started_at: RequiredTimestamp;
  ended_at: NullableTimestamp;
  duration_seconds: number | null;
  transcript: JsonWithDefault<unknown[]>;
  actions_taken: JsonWithDefault<unknown[]>;
  transfer_target: string | null;
  transfer_reason: string | null;
  failure_reason: string | null;
  sentiment: 'positive' | 'neutral' | 'negative' | null;
  satisfaction_score: number | null;
  created_at: Timestamp;
}

export interface CdrsTable {
  id: Generated<string>;
  tenant_id: string;
  unique_id: string;
  other_leg_unique_id: string | null;
  direction: 'inbound' | 'outbound' | 'internal';
  call_type: Generated<'voice' | 'ai_voice' | 'transfer'>;
  caller_number: string | null;
  caller_name: string | null;
  called_number: string | null;
  called_name: string | null;
  start_at: RequiredTimestamp;
  answer_at: NullableTimestamp;
  end_at: NullableTimestamp;
  duration_seconds: Generated<number>;
  billsec: Generated<number>;
  hangup_cause: string | null;
  sip_status: number | null;
  disposition: 'ANSWERED' | 'NO ANSWER' | 'BUSY' | 'FAILED' | 'CANCELLED';
  trunk_id: string | null;
  extension_id: string | null;
  recording_url: string | null;
  ai_session_id: string | null;
  metadata: JsonWithDefault<Record<string, unknown>>;
  /** FreeSWITCH's `core-uuid` of the node that reported the leg (sql/010). */
  core_uuid: string | null;
  /** The ESL_NODES name of the event socket that reported the leg; null while only mod_json_cdr has (sql/010). */
  node: string | null;
  created_at: Timestamp;
}

/**
 * A CDR no tenant could be found for, that the database refused, or that conflicts with a stored
 * CDR of another tenant or node, with the reason (sql/006, sql/010).
 */
export interface UnattributedCdrsTable {
  id: Generated<string>;
  unique_id: string;
  reason: string;
  record: Json<Record<string, unknown>>;
  received_at: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  tenant_id: string | null;
  name: string;
  key_prefix: string;
  key_hash: string;
  scopes: string[];
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  tenant_id: string | null;
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string | null;
  before: Json<Record<string, unknown> | null>;
  after: Json<Record<string, unknown> | null>;
  created_at: Timestamp;
}

/** The one row fingerprinting the key that sealed the `*_enc`/`*_sealed` columns (sql/013). */
export interface SecretsKeyCheckTable {
  id: Generated<boolean>;
  /** HMAC-SHA256 of a fixed label under the key, hex (src/domain/secrets.ts `keyFingerprint`). */
  fingerprint: string;
  created_at: Timestamp;
  rotated_at: NullableTimestamp;
}

export interface Database extends WebhookTables, NodeTables {
  tenants: TenantsTable;
  trunks: TrunksTable;
  extensions: ExtensionsTable;
  phone_numbers: PhoneNumbersTable;
  ai_sessions: AiSessionsTable;
  cdrs: CdrsTable;
  unattributed_cdrs: UnattributedCdrsTable;
  recurring_calls: RecurringCallsTable;
  recurring_call_executions: RecurringCallExecutionsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  secrets_key_check: SecretsKeyCheckTable;
  users: UsersTable;
  user_sessions: UserSessionsTable;
  user_tokens: UserTokensTable;
  recordings: RecordingsTable;
  voicemail_audio: VoicemailAudioTable;
}

export type Tenant = Selectable<TenantsTable>;
export type Trunk = Selectable<TrunksTable>;
export type Extension = Selectable<ExtensionsTable>;
export type PhoneNumber = Selectable<PhoneNumbersTable>;
export type Cdr = Selectable<CdrsTable>;
export type { ExecutionOutcome, RecurringCall, RecurringCallExecution } from './schema-recurring-calls.js';
