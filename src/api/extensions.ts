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
 */
import { Type, type Static, type TSchema, type TString } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sql, type Kysely, type Updateable } from 'kysely';
import type { Database, Extension, ExtensionsTable } from '../db/schema.js';
import { recordAudit } from '../domain/audit.js';
import { excerpt } from '../domain/excerpt.js';
import { FORBIDDEN_PASSWORD_CHARS, generateSipPassword, insertWithNextExtension } from '../domain/extension-records.js';
import { toE164 } from '../domain/numbers.js';
import { actingTenant, requireCredentialsScope } from './auth.js';
import { ApiError, fromDatabase, invalid, notFound } from './errors.js';
import type { ApiDeps } from './deps.js';
import { deleteAudited } from './tenant-records.js';
import { bearer, Data, errorResponses, Uuid } from './schemas.js';

export const CODECS = ['PCMU', 'PCMA', 'G722', 'OPUS', 'G729'] as const;

export const STATUSES = ['active', 'inactive', 'suspended'] as const;

/**
 * A string or null. `null` first: ajv's type coercion would otherwise turn a JSON null into ""
 * for the string. The union's own `type` makes ajv coerce or refuse the value once, before the
 * branches: with the anyOf alone a one-item array such as `["x"]` passed uncoerced and reached
 * the database as an array.
 */
const Nullable = <T extends TString>(schema: T) => Type.Union([Type.Null(), schema], { type: ['null', 'string'] });
/** A string enum (not a union of literals), so a wrong value reads "must be equal to one of the allowed values". */
const StringEnum = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
const Status = StringEnum(STATUSES);
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

const SipCredentials = Type.Object(
  {
    extension: Type.String(),
    username: Type.String(),
    password: Type.String(),
    domain: Type.String({ description: 'SIP domain and digest realm' }),
    sipUri: Type.String({ description: 'sip:<username>@<domain>' }),
    server: Type.String({ description: 'host phones register to' }),
    sipPort: Type.Integer(),
    wssPort: Type.Integer({ description: 'WebRTC secure WebSocket port; 0 = WebRTC is off' }),
  },
  { $id: 'SipCredentials', title: 'SipCredentials' },
);

/** E.164 (`+390510510511`, separators allowed) or extension digits (`1001`). */
const DialTarget = Type.String({ minLength: 2, maxLength: 32, description: 'E.164 (e.g. +390510510511) or extension digits (e.g. 1002)' });

const Writable = {
  extensionNumber: Type.String({ pattern: '^[0-9]{2,10}$', description: '2 to 10 digits; omitted: the lowest free number from 1001' }),
  sipUsername: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'omitted: the extension number' }),
  password: Type.String({ minLength: 12, maxLength: 128, description: 'SIP password, at least 12 characters, no $ { }; omitted: 32 random letters and digits' }),
  displayName: Nullable(Type.String({ minLength: 1, maxLength: 200 })),
  email: Nullable(Type.String({ format: 'email', maxLength: 254 })),
  userId: Nullable(Type.String({ minLength: 1, maxLength: 200 })),
  callerIdName: Nullable(Type.String({ minLength: 1, maxLength: 100 })),
  callerIdNumber: Nullable(DialTarget),
  allowedCodecs: Type.Array(Codec, { uniqueItems: true, maxItems: CODECS.length, description: 'in order of preference' }),
  voicemailEnabled: Type.Boolean(),
  voicemailPin: Nullable(Type.String({ pattern: '^[0-9]{4,10}$', description: '4 to 10 digits' })),
  callRecording: Type.Boolean(),
  reverseAuth: Type.Boolean({
    description: 'default false; true lets FreeSWITCH answer a SIP challenge from this phone (e.g. a REFER or NOTIFY it sends) with the extension\'s credentials (mod_sofia reverse-auth-lookup)',
  }),
  forwardingEnabled: Type.Boolean(),
  forwardingNumber: Nullable(DialTarget),
  doNotDisturb: Type.Boolean(),
  maxConcurrentCalls: Type.Integer({ minimum: 1, maximum: 1000 }),
  registrationExpiry: Type.Integer({ minimum: 60, maximum: 86400, description: 'seconds' }),
  status: Status,
};
const WRITABLE_FIELDS = new Set(Object.keys(Writable));
const CreateExtension = Type.Partial(Type.Object(Writable), { additionalProperties: false });
const UpdateExtension = Type.Partial(Type.Object(Writable), { additionalProperties: false, minProperties: 1 });
type Body = Static<typeof CreateExtension>;

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

/**
 * preValidation: Fastify's ajv drops unknown properties (removeAdditional), so a misspelt field
 * would be ignored without a word; answer 400 naming it instead.
 */
async function rejectUnknownFields(req: FastifyRequest): Promise<void> {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  for (const key of Object.keys(body)) {
    if (!WRITABLE_FIELDS.has(key)) {
      throw invalid(key, ALIASES[key] ? `unknown field ${key}: did you mean ${ALIASES[key]}?` : `unknown field ${excerpt(key)}`);
    }
  }
}

/** Column names whose API field is named differently (database errors name columns). */
const FIELD_OF_COLUMN: Record<string, string> = {
  extension: 'extensionNumber',
  callForwardingEnabled: 'forwardingEnabled',
  callForwardingNumber: 'forwardingNumber',
  passwordEnc: 'password',
  voicemailPinEnc: 'voicemailPin',
};

/**
 * A database error as the API answers it, with the API field name: errors.ts names
 * `extensions_tenant_id_extension_key` after its column `extension`, which the API calls
 * `extensionNumber`. Anything not from the database is passed on unchanged.
 */
function apiErrorOf(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const api = fromDatabase(err);
  if (!api) return err;
  const field = api.field && (FIELD_OF_COLUMN[api.field] ?? api.field);
  if (api.statusCode === 409 && field) return new ApiError(409, 'conflict', `${field} is already in use by another extension of this customer`, field);
  return field === api.field ? api : new ApiError(api.statusCode, api.code, api.message.replace(api.field!, field!), field);
}

/** `+39 051 0510511` → `+390510510511`; `1002` stays; anything else is a 400 naming `field`. */
function dialTarget(field: string, raw: string | null | undefined): string | null | undefined {
  if (raw === null || raw === undefined) return raw;
  const s = raw.replace(/[\s().-]/g, '');
  if (/^[0-9]{2,10}$/.test(s)) return s;
  const e164 = toE164(s);
  if (!e164) throw invalid(field, `${field} must be an E.164 number such as +390510510511 or extension digits such as 1002`);
  return e164;
}

/** Checks what the schema cannot express. */
function checkValues(body: Body): void {
  if (body.password !== undefined && FORBIDDEN_PASSWORD_CHARS.test(body.password)) {
    throw invalid('password', 'password must not contain $, { or } (FreeSWITCH expands $${...} in its configuration)');
  }
}

/** The columns a create or update body sets (the SIP password and PIN sealed). */
function columns(body: Body, seal: (plain: string) => string): Updateable<ExtensionsTable> {
  return {
    ...(body.extensionNumber !== undefined && { extension: body.extensionNumber }),
    ...(body.sipUsername !== undefined && { sip_username: body.sipUsername }),
    ...(body.password !== undefined && { password_enc: seal(body.password) }),
    ...(body.displayName !== undefined && { display_name: body.displayName }),
    ...(body.email !== undefined && { email: body.email }),
    ...(body.userId !== undefined && { user_id: body.userId }),
    ...(body.callerIdName !== undefined && { caller_id_name: body.callerIdName }),
    ...(body.callerIdNumber !== undefined && { caller_id_number: dialTarget('callerIdNumber', body.callerIdNumber) }),
    ...(body.allowedCodecs !== undefined && { allowed_codecs: body.allowedCodecs }),
    ...(body.voicemailEnabled !== undefined && { voicemail_enabled: body.voicemailEnabled }),
    ...(body.voicemailPin !== undefined && { voicemail_pin_enc: body.voicemailPin === null ? null : seal(body.voicemailPin) }),
    ...(body.callRecording !== undefined && { call_recording: body.callRecording }),
    ...(body.reverseAuth !== undefined && { reverse_auth: body.reverseAuth }),
    ...(body.forwardingEnabled !== undefined && { call_forwarding_enabled: body.forwardingEnabled }),
    ...(body.forwardingNumber !== undefined && { call_forwarding_number: dialTarget('forwardingNumber', body.forwardingNumber) }),
    ...(body.doNotDisturb !== undefined && { do_not_disturb: body.doNotDisturb }),
    ...(body.maxConcurrentCalls !== undefined && { max_concurrent_calls: body.maxConcurrentCalls }),
    ...(body.registrationExpiry !== undefined && { registration_expiry: body.registrationExpiry }),
    ...(body.status !== undefined && { status: body.status }),
  };
}

/** Forwarding switched on needs a number to forward to (after the change is applied). */
function checkForwarding(enabled: boolean | undefined, number: string | null | undefined): void {
  if (enabled && !number) throw invalid('forwardingNumber', 'forwardingEnabled needs a forwardingNumber');
}

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

/** The tenant's SIP domain (its digest realm), read in the request's tenant transaction. */
async function sipDomainOf(trx: Kysely<Database>, tenantId: string): Promise<string> {
  const tenant = await trx.selectFrom('tenants').select('sip_domain').where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) throw notFound('customer');
  return tenant.sip_domain;
}

type Params = { customerId?: string; id: string };

export const extensionRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, secrets, config }) => {
  app.addSchema(Extension);
  app.addSchema(SipCredentials);
  const tags = ['extensions'];
  const one = { 200: Data(Type.Ref(Extension)), ...errorResponses };

  const credentials = (e: Extension, password: string, domain: string): Static<typeof SipCredentials> => ({
    extension: e.extension,
    username: e.sip_username,
    password,
    domain,
    sipUri: `sip:${e.sip_username}@${domain}`,
    server: config.api.sipServer ?? domain,
    sipPort: config.sofia.internalPort,
    wssPort: config.sofia.wssPort,
  });

  /** Runs `fn` as the tenant, with database errors named after API fields. */
  const asTenant = <T>(tenantId: string, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> =>
    store.withTenant(tenantId, fn).catch((err: unknown) => {
      throw apiErrorOf(err);
    });

  /** Both forms of each path: the acting tenant's own, and an admin's under its customer. */
  const forms: Array<{ base: string; params: Record<string, TSchema> }> = [
    { base: '/extensions', params: {} },
    { base: '/customers/:customerId/extensions', params: { customerId: Uuid } },
  ];

  for (const { base, params } of forms) {
    const ListParams = Object.keys(params).length > 0 ? { params: Type.Object(params) } : {};
    const ItemParams = Type.Object({ ...params, id: Uuid });

    app.post<{ Params: Params; Body: Body }>(base, {
      preValidation: rejectUnknownFields,
      schema: {
        tags, security: bearer, summary: 'Create an extension; the answer holds its SIP password, shown nowhere else without the extensions:credentials scope',
        ...ListParams,
        body: CreateExtension,
        response: { 201: Data(Type.Intersect([Type.Ref(Extension), Type.Object({ sipCredentials: Type.Ref(SipCredentials) })])), ...errorResponses },
      },
    }, async (req, reply) => {
      const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
      const body = req.body;
      checkValues(body);
      checkForwarding(body.forwardingEnabled, body.forwardingNumber);
      const { password: given, ...rest } = body;
      const password = given ?? generateSipPassword();
      const values = { ...columns(rest, (p) => secrets.seal(p)), tenant_id: tenantId, password_enc: secrets.seal(password) };
      const { row, domain } = await asTenant(tenantId, async (trx) => {
        const domain = await sipDomainOf(trx, tenantId);
        let row: Extension | null;
        if (body.extensionNumber !== undefined) {
          row = await trx
            .insertInto('extensions')
            .values({ ...values, extension: body.extensionNumber, sip_username: body.sipUsername ?? body.extensionNumber })
            .returningAll()
            .executeTakeFirstOrThrow();
        } else {
          const { extension: _n, sip_username: _u, ...rest } = values;
          row = await insertWithNextExtension(trx, { ...rest, ...(body.sipUsername !== undefined && { sip_username: body.sipUsername }) });
          if (!row) throw new ApiError(409, 'conflict', 'no free extension number could be assigned; give extensionNumber', 'extensionNumber');
        }
        await recordAudit(trx, principal, { tenantId, action: 'create', resourceType: 'extension', resourceId: row.id, after: row });
        return { row, domain };
      });
      return reply.code(201).send({ data: { ...extensionJson(row), sipCredentials: credentials(row, password, domain) } });
    });

    app.get<{ Params: Params; Querystring: Static<typeof ListQuery> }>(base, {
      schema: {
        tags, security: bearer, summary: 'List extensions, by number; filter by status and userId',
        ...ListParams,
        querystring: ListQuery,
        response: { 200: Data(Type.Array(Type.Ref(Extension))), ...errorResponses },
      },
    }, async (req) => {
      const { tenantId } = actingTenant(req, 'read', req.params.customerId);
      const rows = await asTenant(tenantId, async (trx) => {
        await sipDomainOf(trx, tenantId);
        let q = trx.selectFrom('extensions').selectAll().where('tenant_id', '=', tenantId);
        if (req.query.status !== undefined) q = q.where('status', '=', req.query.status);
        if (req.query.userId !== undefined) q = q.where('user_id', '=', req.query.userId);
        return q.orderBy(sql`length(extension)`).orderBy('extension').execute();
      });
      return { data: rows.map(extensionJson) };
    });

    const item = `${base}/:id`;

    app.get<{ Params: Params }>(item, {
      schema: { tags, security: bearer, summary: 'Get an extension', params: ItemParams, response: one },
    }, async (req) => {
      const { tenantId } = actingTenant(req, 'read', req.params.customerId);
      const row = await asTenant(tenantId, (trx) => trx.selectFrom('extensions').selectAll().where('id', '=', req.params.id).executeTakeFirst());
      if (!row) throw notFound('extension');
      return { data: extensionJson(row) };
    });

    const update = async (req: FastifyRequest<{ Params: Params; Body: Body }>) => {
      const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
      checkValues(req.body);
      const changes = columns(req.body, (p) => secrets.seal(p));
      const row = await asTenant(tenantId, async (trx) => {
        const before = await trx.selectFrom('extensions').selectAll().where('id', '=', req.params.id).forUpdate().executeTakeFirst();
        if (!before) throw notFound('extension');
        checkForwarding(changes.call_forwarding_enabled ?? before.call_forwarding_enabled, changes.call_forwarding_number === undefined ? before.call_forwarding_number : changes.call_forwarding_number);
        const after = await trx.updateTable('extensions').set({ ...changes, updated_at: new Date() }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
        await recordAudit(trx, principal, { tenantId, action: 'update', resourceType: 'extension', resourceId: before.id, before, after });
        return after;
      });
      return { data: extensionJson(row) };
    };
    const updateSchema = (summary: string) => ({ tags, security: bearer, summary, params: ItemParams, body: UpdateExtension, response: one });
    app.put<{ Params: Params; Body: Body }>(item, { preValidation: rejectUnknownFields, schema: updateSchema('Update an extension: the fields given change (a new password is sealed)') }, update);
    app.patch<{ Params: Params; Body: Body }>(item, { preValidation: rejectUnknownFields, schema: updateSchema('Update an extension (the same as PUT)') }, update);

    app.delete<{ Params: Params }>(item, {
      schema: { tags, security: bearer, summary: 'Delete an extension; its phones can no longer register', params: ItemParams, response: { 204: Type.Null(), ...errorResponses } },
    }, async (req, reply: FastifyReply) => {
      const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
      await asTenant(tenantId, (trx) => deleteAudited(trx, principal, { tenantId, table: 'extensions', id: req.params.id, resourceType: 'extension', what: 'extension' }));
      return reply.code(204).send();
    });

    app.get<{ Params: Params }>(`${item}/credentials`, {
      schema: {
        tags, security: bearer, summary: 'SIP credentials of an extension, with its password (needs the extensions:credentials scope)',
        params: ItemParams,
        response: { 200: Data(Type.Ref(SipCredentials)), ...errorResponses },
      },
    }, async (req) => {
      const { principal, tenantId } = actingTenant(req, 'read', req.params.customerId);
      const data = await asTenant(tenantId, async (trx) => {
        const row = await trx.selectFrom('extensions').selectAll().where('id', '=', req.params.id).executeTakeFirst();
        // Another tenant's id stays a 404 whatever the key's scopes; the scope guards the password.
        if (!row) throw notFound('extension');
        requireCredentialsScope(principal);
        return credentials(row, secrets.open(row.password_enc), await sipDomainOf(trx, tenantId));
      });
      return { data };
    });
  }
};
