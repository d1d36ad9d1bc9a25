/**
 * TypeBox schemas of the trunk resource (src/api/trunks.ts): the answer (`Trunk`, also the
 * OpenAPI component) and the create and update bodies, whose fields and bounds are those
 * src/domain/trunk-records.ts checks; and `trunkJson`, a row in the answer's shape.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Trunk } from '../db/schema.js';
import { TRANSPORTS, TRUNK_STATUSES } from '../domain/trunk-records.js';
import { gatewayName } from '../domain/trunks.js';
import { Nullable, StringEnum } from './schemas.js';

export const TrunkSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    customerId: Type.String({ format: 'uuid' }),
    name: Type.String(),
    provider: Nullable(Type.String()),
    host: Type.String({ description: 'hostname or IP address; IPv6 as [addr]' }),
    port: Type.Integer(),
    transport: StringEnum(TRANSPORTS),
    username: Nullable(Type.String()),
    passwordSet: Type.Boolean({ description: 'whether a password is stored; the password itself is never answered' }),
    realm: Nullable(Type.String()),
    fromUser: Nullable(Type.String()),
    fromDomain: Nullable(Type.String()),
    register: Type.Boolean(),
    expireSeconds: Type.Integer(),
    retrySeconds: Type.Integer(),
    pingSeconds: Nullable(Type.Integer()),
    callerIdInFrom: Type.Boolean(),
    allowAnyCallerId: Type.Boolean({ description: "outbound calls may present the extension's own caller ID number instead of one of this trunk's numbers" }),
    priority: Type.Integer(),
    maxChannels: Type.Integer(),
    status: StringEnum(TRUNK_STATUSES),
    gatewayName: Type.String({ description: 'the sofia gateway name: sofia/gateway/<gatewayName>/<number>' }),
    stats: Type.Object({
      totalCalls: Type.Integer(),
      successfulCalls: Type.Integer(),
      failedCalls: Type.Integer(),
      currentChannels: Type.Integer(),
      registrationState: Type.String({ description: 'sofia gateway state, e.g. REGED, NOREG, FAIL_WAIT; unknown until reported' }),
      pingStatus: Nullable(Type.String()),
      lastError: Nullable(Type.String()),
      lastRegisteredAt: Nullable(Type.String({ format: 'date-time' })),
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Trunk', title: 'Trunk' },
);

const Writable = {
  name: Type.String({ minLength: 1, maxLength: 100, description: 'unique within the customer' }),
  provider: Nullable(Type.String({ maxLength: 100 })),
  host: Type.String({ minLength: 1, maxLength: 255, description: 'the carrier SIP server: hostname (RFC 1123) or IP address' }),
  port: Type.Integer({ minimum: 1, maximum: 65535, description: 'default 5060' }),
  transport: StringEnum(TRANSPORTS, { description: 'default udp' }),
  username: Nullable(Type.String({ minLength: 1, maxLength: 128, description: 'SIP auth username; required with register' })),
  password: Nullable(Type.String({ minLength: 1, maxLength: 128, writeOnly: true, description: 'SIP auth password, write-only; no $, { or }; null removes it' })),
  realm: Nullable(Type.String({ minLength: 1, maxLength: 260, description: 'host[:port]; default: host' })),
  fromUser: Nullable(Type.String({ minLength: 1, maxLength: 128 })),
  fromDomain: Nullable(Type.String({ minLength: 1, maxLength: 260, description: 'host[:port]' })),
  register: Type.Boolean({ description: 'register to the carrier (default false)' }),
  expireSeconds: Type.Integer({ minimum: 5, maximum: 31_536_000, description: 'registration expiry, seconds (default 3600)' }),
  retrySeconds: Type.Integer({ minimum: 5, maximum: 86_400, description: 'wait after a failed registration, seconds (default 30)' }),
  pingSeconds: Nullable(Type.Integer({ minimum: 5, maximum: 86_400, description: 'OPTIONS keep-alive interval, seconds; null for none' })),
  callerIdInFrom: Type.Boolean({ description: "the caller's number as From user (default false)" }),
  allowAnyCallerId: Type.Boolean({
    description: "the carrier accepts any caller ID: outbound calls present the calling extension's callerIdNumber as it is (default false: a number of this trunk)",
  }),
  priority: Type.Integer({ minimum: 1, maximum: 100, description: 'outbound order, 1 first (default 1)' }),
  maxChannels: Type.Integer({ minimum: 1, maximum: 100_000, description: 'concurrent calls (default 10)' }),
  status: StringEnum(TRUNK_STATUSES, { description: 'only active trunks are gateways (default active)' }),
};
export const CreateTrunk = Type.Object(
  { ...Type.Partial(Type.Object(Writable)).properties, name: Writable.name, host: Writable.host },
  { additionalProperties: false },
);
export const UpdateTrunk = Type.Partial(Type.Object(Writable), { additionalProperties: false, minProperties: 1 });

/** A trunk as the API answers it: no password, only whether one is set. */
export type TrunkJson = Static<typeof TrunkSchema>;

/**
 * An int8 counter as a number (pg answers int8 as a string, PGlite as a number). `unknown`
 * because the schema types them `Generated<Counter>`, whose select type is not unwrapped.
 */
const count = (v: unknown): number => Number(v);

/** A trunk row as the API answers it: camelCase, no password (only `passwordSet`), with its gateway name and counters. */
export function trunkJson(t: Trunk): TrunkJson {
  return {
    id: t.id,
    customerId: t.tenant_id,
    name: t.name,
    provider: t.provider,
    host: t.host,
    port: t.port,
    transport: t.transport,
    username: t.username,
    passwordSet: t.password_enc !== null,
    realm: t.realm,
    fromUser: t.from_user,
    fromDomain: t.from_domain,
    register: t.register,
    expireSeconds: t.expire_seconds,
    retrySeconds: t.retry_seconds,
    pingSeconds: t.ping_seconds,
    callerIdInFrom: t.caller_id_in_from,
    allowAnyCallerId: t.allow_any_caller_id,
    priority: t.priority,
    maxChannels: t.max_channels,
    status: t.status,
    gatewayName: gatewayName(t),
    stats: {
      totalCalls: count(t.total_calls),
      successfulCalls: count(t.successful_calls),
      failedCalls: count(t.failed_calls),
      currentChannels: t.current_channels,
      registrationState: t.registration_state,
      pingStatus: t.ping_status,
      lastError: t.last_error,
      lastRegisteredAt: t.last_registered_at?.toISOString() ?? null,
    },
    createdAt: t.created_at.toISOString(),
    updatedAt: t.updated_at.toISOString(),
  };
}
