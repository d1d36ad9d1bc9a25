/**
 * Extensions (SIP users of a customer's directory): `POST/GET /api/v1/extensions`,
 * `GET/PUT/PATCH/DELETE /api/v1/extensions/{id}` and `GET /api/v1/extensions/{id}/credentials`.
 * A tenant key uses these paths; an admin key uses them with `X-Tenant-ID` or under
 * `/api/v1/customers/{customerId}/extensions...` (the same handlers). Another tenant's extension
 * is a 404: every handler runs in `store.withTenant`, so row-level security hides it.
 *
 * The SIP password is sealed at rest (SecretBox) and shown only in the create answer and by the
 * credentials route, which needs the `extensions:credentials` scope. Without `password` a random
 * one is generated; a given one has at least 12 characters and no `$`, `{` or `}` (FreeSWITCH
 * expands `$${...}`). Without `extensionNumber` the lowest free number from 1001 up is assigned.
 * Writes go to the audit log (secrets masked) in the same transaction, and the change notice of
 * the `extensions` table makes FreeSWITCH's next directory lookup see them.
 * An agent (src/api/agent-access.ts) lists and reads only its own extension, reads its
 * credentials without the scope, and changes only its do-not-disturb and forwarding.
 */
import { Type, type FastifyPluginAsyncTypebox, type Static, type TString } from '@fastify/type-provider-typebox';
import type { Extension } from '../db/schema.js';
import {
  createExtension, deleteExtension, extensionSecret, FIELD_OF_COLUMN, getExtension, listExtensions, updateExtension,
  type ExtensionInput, type ExtensionWithSecret,
} from '../domain/extension-store.js';
import { CODECS, EXTENSION_STATUSES, PROVISIONING_STATUSES } from '../domain/extensions.js';
import { requireAgentFields, requireOwnExtension } from './agent-access.js';
import { requireCredentialsScope, tenantOfPath, tenantOrAgent } from './auth.js';
import type { ApiDeps } from './deps.js';
import { ApiError, fromDatabase } from './errors.js';
import { bearer, Data, errorResponses, PATH_FORMS, StringEnum } from './schemas.js';
import { SipCredentials, sipCredentials } from './sip-credentials.js';
import { rejectUnknownFields } from './unknown-fields.js';

/**
 * A string or null. `null` first: ajv's type coercion would otherwise turn a JSON null into ""
 * for the string. The union's own `type` makes ajv coerce or refuse the value once, before the
 * branches: with the anyOf alone a one-item array such as `["x"]` passed uncoerced and reached
 * the database as an array.
 */
const NullableText = <T extends TString>(schema: T) => Type.Union([Type.Null(), schema], { type: ['null', 'string'] });
const Status = StringEnum(EXTENSION_STATUSES);
const Provisioning = StringEnum(PROVISIONING_STATUSES, {
  description: "the W3 Suite guide's provisioningStatus: the customer application's own provisioning record, stored and returned as set; default provisioned (the directory serves the extension from its creation; status decides whether it registers)",
});
const Encryption = Type.Boolean({
  description: "the W3 Suite guide's encryptionEnabled: SRTP required on this extension's calls (FreeSWITCH rtp_secure_media=mandatory: a plain RTP offer or answer is refused with 488); default false; WebRTC media is always DTLS-SRTP",
});
const Codec = StringEnum(CODECS);
const DateTime = Type.String({ format: 'date-time' });

const Extension = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    extensionNumber: Type.String({ description: 'the number dialled inside the customer, e.g. 1001' }),
    sipUsername: Type.String({ description: 'SIP digest username (the directory user id)' }),
    displayName: Type.Union([Type.String(), Type.Null()]),
    email: Type.Union([Type.String(), Type.Null()]),
    userId: Type.Union([Type.String(), Type.Null()], { description: 'the user of the customer application this extension belongs to' }),
    callerIdName: Type.Union([Type.String(), Type.Null()]),
    callerIdNumber: Type.Union([Type.String(), Type.Null()]),
    allowedCodecs: Type.Array(Type.String({ description: `${CODECS.join(' | ')}` })),
    voicemailEnabled: Type.Boolean(),
    voicemailPinSet: Type.Boolean({ description: 'whether a voicemail PIN is set (the PIN itself is never shown)' }),
    callRecording: Type.Boolean(),
    reverseAuth: Type.Boolean({ description: 'FreeSWITCH may answer a SIP challenge from this phone with its credentials (reverse-auth-lookup)' }),
    forwardingEnabled: Type.Boolean(),
    forwardingNumber: Type.Union([Type.String(), Type.Null()]),
    doNotDisturb: Type.Boolean(),
    maxConcurrentCalls: Type.Integer(),
    registrationExpiry: Type.Integer({ description: 'seconds' }),
    status: Status,
    provisioningStatus: Provisioning,
    encryptionEnabled: Encryption,
    registration: Type.Object({
      registered: Type.Boolean(),
      lastRegistrationAt: Type.Union([DateTime, Type.Null()]),
      userAgent: Type.Union([Type.String(), Type.Null()]),
      ip: Type.Union([Type.String(), Type.Null()]),
      port: Type.Union([Type.Integer(), Type.Null()]),
      contact: Type.Union([Type.String(), Type.Null()]),
      expiresAt: Type.Union([DateTime, Type.Null()], { description: 'when the registration runs out unless the phone refreshes it (the switch may hold it a little longer)' }),
    }),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'Extension', title: 'Extension' },
);

/** E.164 (`+390510510511`, separators allowed) or extension digits (`1001`). */
const DialTarget = Type.String({ minLength: 2, maxLength: 32, description: 'E.164 (e.g. +390510510511), a national number of the customer\'s country (e.g. 0510510511 in IT), or extension digits (e.g. 1002); numbers stored as E.164' });

const Writable = {
  extensionNumber: Type.String({ pattern: '^[0-9]{2,10}$', description: '2 to 10 digits; omitted: the lowest free number from 1001' }),
  sipUsername: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'omitted: the extension number' }),
  password: Type.String({ minLength: 12, maxLength: 128, description: 'SIP password, at least 12 characters, no $ { }; omitted: 32 random letters and digits' }),
  displayName: NullableText(Type.String({ minLength: 1, maxLength: 200 })),
  email: NullableText(Type.String({ format: 'email', maxLength: 254 })),
  userId: NullableText(Type.String({ minLength: 1, maxLength: 200 })),
  callerIdName: NullableText(Type.String({ minLength: 1, maxLength: 100 })),
  callerIdNumber: NullableText(DialTarget),
  allowedCodecs: Type.Array(Codec, { uniqueItems: true, maxItems: CODECS.length, description: 'in order of preference' }),
  voicemailEnabled: Type.Boolean(),
  voicemailPin: NullableText(Type.String({ pattern: '^[0-9]{4,10}$', description: '4 to 10 digits' })),
  callRecording: Type.Boolean(),
  reverseAuth: Type.Boolean({
    description: 'default false; true lets FreeSWITCH answer a SIP challenge from this phone (e.g. a REFER or NOTIFY it sends) with the extension\'s credentials (mod_sofia reverse-auth-lookup)',
  }),
  forwardingEnabled: Type.Boolean(),
  forwardingNumber: NullableText(DialTarget),
  doNotDisturb: Type.Boolean(),
  maxConcurrentCalls: Type.Integer({ minimum: 1, maximum: 1000 }),
  registrationExpiry: Type.Integer({ minimum: 60, maximum: 86400, description: 'seconds' }),
  status: Status,
  provisioningStatus: Provisioning,
  encryptionEnabled: Encryption,
};
const CreateExtension = Type.Partial(Type.Object(Writable), { additionalProperties: false });
const UpdateExtension = Type.Partial(Type.Object(Writable), { additionalProperties: false, minProperties: 1 });

const ListQuery = Type.Object({
  status: Type.Optional(Status),
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

/** What other VoIP APIs call these fields, for a useful message instead of a silently dropped field. */
const ALIASES: Record<string, string> = {
  extension: 'extensionNumber',
  number: 'extensionNumber',
  username: 'sipUsername',
  sipPassword: 'password',
  voicemailPassword: 'voicemailPin',
  callRecordingEnabled: 'callRecording',
  callForwardingEnabled: 'forwardingEnabled',
  callForwardingNumber: 'forwardingNumber',
};

const noUnknownFields = rejectUnknownFields(CreateExtension, ALIASES);

/**
 * A database error as the API answers it, with the API field name: errors.ts names
 * `extensions_tenant_id_extension_key` after its column `extension`, which the API calls
 * `extensionNumber`. Anything not from the database is passed on unchanged.
 */
function apiErrorOf(err: unknown): unknown {
  const api = err instanceof ApiError ? undefined : fromDatabase(err);
  if (!api) return err;
  const field = api.field && (FIELD_OF_COLUMN[api.field] ?? api.field);
  if (api.statusCode === 409 && field) return new ApiError(409, 'conflict', `${field} is already in use by another extension of this customer`, field);
  return field === api.field ? api : new ApiError(api.statusCode, api.code, api.message.replace(api.field!, field!), field);
}

/** `work`'s result, with database errors named after API fields. */
const named = <T>(work: Promise<T>): Promise<T> =>
  work.catch((err: unknown) => {
    throw apiErrorOf(err);
  });

export function extensionJson(e: Extension): Static<typeof Extension> {
  return {
    id: e.id,
    extensionNumber: e.extension,
    sipUsername: e.sip_username,
    displayName: e.display_name,
    email: e.email,
    userId: e.user_id,
    callerIdName: e.caller_id_name,
    callerIdNumber: e.caller_id_number,
    allowedCodecs: e.allowed_codecs,
    voicemailEnabled: e.voicemail_enabled,
    voicemailPinSet: e.voicemail_pin_enc !== null,
    callRecording: e.call_recording,
    reverseAuth: e.reverse_auth,
    forwardingEnabled: e.call_forwarding_enabled,
    forwardingNumber: e.call_forwarding_number,
    doNotDisturb: e.do_not_disturb,
    maxConcurrentCalls: e.max_concurrent_calls,
    registrationExpiry: e.registration_expiry,
    status: e.status,
    provisioningStatus: e.provisioning_status,
    encryptionEnabled: e.encryption_enabled,
    registration: {
      registered: e.registered,
      lastRegistrationAt: e.last_registration_at?.toISOString() ?? null,
      userAgent: e.user_agent,
      ip: e.registered_ip,
      port: e.registered_port,
      contact: e.contact,
      expiresAt: e.registration_expires_at?.toISOString() ?? null,
    },
    createdAt: e.created_at.toISOString(),
    updatedAt: e.updated_at.toISOString(),
  };
}

export const extensionRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, secrets, config }) => {
  app.addSchema(Extension);
  app.addSchema(SipCredentials);
  const tags = ['extensions'];
  const one = { 200: Data(Type.Ref(Extension)), ...errorResponses };

  const credentials = (e: ExtensionWithSecret) => sipCredentials(config, e);

  for (const form of PATH_FORMS) {
    const base = `${form.prefix}/extensions`;
    const ListParams = form.collection ? { params: form.collection } : {};
    const ItemParams = form.item;

    app.post(base, {
      preValidation: noUnknownFields,
      schema: {
        tags, security: bearer, summary: 'Create an extension; the answer holds its SIP password, shown nowhere else without the extensions:credentials scope',
        ...ListParams,
        body: CreateExtension,
        response: { 201: Data(Type.Intersect([Type.Ref(Extension), Type.Object({ sipCredentials: Type.Ref(SipCredentials) })])), ...errorResponses },
      },
    }, async (req, reply) => {
      const { principal, tenantId } = tenantOfPath(req, 'write');
      const created = await named(createExtension({ store, secrets, principal, tenantId }, req.body satisfies ExtensionInput));
      return reply.code(201).send({ data: { ...extensionJson(created.row), sipCredentials: credentials(created) } });
    });

    app.get(base, {
      schema: {
        tags, security: bearer, summary: 'List extensions, by number; filter by status and userId',
        ...ListParams,
        querystring: ListQuery,
        response: { 200: Data(Type.Array(Type.Ref(Extension))), ...errorResponses },
      },
    }, async (req) => {
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      const rows = await named(listExtensions(store, tenantId, req.query));
      return { data: rows.filter((e) => !agentExtensionId || e.id === agentExtensionId).map(extensionJson) };
    });

    const item = `${base}/:id`;

    app.get(item, {
      schema: { tags, security: bearer, summary: 'Get an extension', params: ItemParams, response: one },
    }, async (req) => {
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      requireOwnExtension(agentExtensionId, req.params.id);
      return { data: extensionJson(await named(getExtension(store, tenantId, req.params.id))) };
    });

    const updateSchema = (summary: string) => ({ tags, security: bearer, summary, params: ItemParams, body: UpdateExtension, response: one });
    for (const [method, summary] of [
      ['PUT', 'Update an extension: the fields given change (a new password is sealed)'],
      ['PATCH', 'Update an extension (the same as PUT)'],
    ] as const) {
      app.route({
        method, url: item, preValidation: noUnknownFields, schema: updateSchema(summary),
        handler: async (req) => {
          const { principal, tenantId, agentExtensionId } = tenantOrAgent(req, 'write');
          if (agentExtensionId) {
            requireOwnExtension(agentExtensionId, req.params.id);
            requireAgentFields(req.body);
          }
          return { data: extensionJson(await named(updateExtension({ store, secrets, principal, tenantId }, req.params.id, req.body))) };
        },
      });
    }

    app.delete(item, {
      schema: { tags, security: bearer, summary: 'Delete an extension; its phones can no longer register', params: ItemParams, response: { 204: Type.Null(), ...errorResponses } },
    }, async (req, reply) => {
      const { principal, tenantId } = tenantOfPath(req, 'write');
      await named(deleteExtension({ store, principal, tenantId }, req.params.id));
      return reply.code(204).send(null);
    });

    app.get(`${item}/credentials`, {
      schema: {
        tags, security: bearer, summary: 'SIP credentials of an extension, with its password (needs the extensions:credentials scope)',
        params: ItemParams,
        response: { 200: Data(Type.Ref(SipCredentials)), ...errorResponses },
      },
    }, async (req) => {
      const { principal, tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      requireOwnExtension(agentExtensionId, req.params.id);
      // Another tenant's id stays a 404 whatever the key's scopes; the scope guards the password
      // (an agent reads its own extension's without it: the softphone registers with them).
      const guard = () => (agentExtensionId ? undefined : requireCredentialsScope(principal));
      return { data: credentials(await named(extensionSecret(store, secrets, tenantId, req.params.id, guard))) };
    });
  }
};
