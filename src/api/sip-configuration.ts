/**
 * The AI receptionist guide's SIP endpoints, with its paths and snake_case bodies:
 * - `GET /api/v1/customers/{id}/sip_configuration`: the customer's SIP settings and its phone
 *   numbers, each with the effective settings of its own trunk (never a trunk password);
 * - `POST /api/v1/customers/{id}/phone_numbers/{phone_number_id}/configure_sip_trunk`: sets the
 *   trunk of that number only, from the guide's `phone_number` object: the number's own trunk is
 *   changed, or made as a copy of the trunk it shared (src/domain/number-trunks.ts), with the same
 *   validation and sealing as `/api/v1/trunks` (src/domain/trunk-records.ts).
 * `sip_trunk_domain` is the trunk's digest realm and From domain; `sip_trunk_enabled: false`
 * sets the trunk inactive, which takes its gateway out of sofia.conf. `sip_trunk_context` is the
 * dialplan context of the trunk's calls: FreeSWITCH runs every call from a trunk in `public`
 * (the gateway's and the external profile's `context`, src/xmlcurl/sofia.ts) and Switchplane
 * routes it there by the number's `route`, so `public` is accepted and any other context is
 * refused with a 400 naming the field. A field the guide does not list is refused the same way.
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { DestinationPolicy } from '../domain/destination-policy.js';
import { FieldError } from '../domain/errors.js';
import { configureNumberTrunk, tenantNumberTrunks, type NumberWithTrunk } from '../domain/number-trunks.js';
import { INBOUND_CONTEXT } from '../domain/tenants.js';
import type { TrunkInput } from '../domain/trunk-records.js';
import { actingTenant } from './auth.js';
import type { ApiDeps } from './deps.js';
import { invalid } from './errors.js';
import { bearer, Data, errorResponses } from './schemas.js';
import { rejectUnknownFields } from './unknown-fields.js';

const SipTrunkNumber = Type.Object({
  id: Type.String({ format: 'uuid' }),
  number: Type.String({ description: 'E.164' }),
  sip_trunk_enabled: Type.Boolean(),
  sip_trunk_host: Type.Union([Type.String(), Type.Null()]),
  sip_trunk_port: Type.Union([Type.Integer(), Type.Null()]),
  sip_trunk_username: Type.Union([Type.String(), Type.Null()]),
  sip_trunk_domain: Type.Union([Type.String(), Type.Null()]),
  sip_trunk_protocol: Type.Union([Type.Literal('UDP'), Type.Literal('TCP'), Type.Literal('TLS'), Type.Null()]),
  sip_trunk_context: Type.Literal(INBOUND_CONTEXT, { description: 'the dialplan context of calls from the trunk; routed by the number\'s route' }),
  sip_trunk_id: Type.Union([Type.String({ format: 'uuid', description: 'the trunk, and its sofia gateway name' }), Type.Null()]),
  sip_trunk_shared: Type.Boolean({ description: 'true while the number uses a trunk that is not its own (configure_sip_trunk copies it first)' }),
  incoming_calls_enabled: Type.Boolean(),
  outbound_calls_enabled: Type.Boolean(),
});

const SipConfiguration = Type.Object({
  customer_id: Type.String({ format: 'uuid' }),
  customer_name: Type.String(),
  sip_enabled: Type.Boolean(),
  sip_username: Type.String(),
  sip_domain: Type.String(),
  sip_uri: Type.String(),
  max_concurrent_calls: Type.Integer(),
  phone_numbers: Type.Array(SipTrunkNumber),
});

const ConfigureBody = Type.Object(
  {
    phone_number: Type.Object(
      {
        sip_trunk_enabled: Type.Optional(Type.Boolean()),
        sip_trunk_host: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        sip_trunk_port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
        sip_trunk_username: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
        sip_trunk_password: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
        sip_trunk_domain: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
        sip_trunk_protocol: Type.Optional(Type.String({ pattern: '^(?:[Uu][Dd][Pp]|[Tt][Cc][Pp]|[Tt][Ll][Ss])$', description: 'UDP, TCP or TLS' })),
        sip_trunk_context: Type.Optional(Type.String({ description: `only ${INBOUND_CONTEXT}: calls from trunks are routed by the number's route` })),
        incoming_calls_enabled: Type.Optional(Type.Boolean()),
        outbound_calls_enabled: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

function numberEntry({ number: n, trunk: t }: NumberWithTrunk): Static<typeof SipTrunkNumber> {
  return {
    id: n.id,
    number: n.number,
    sip_trunk_enabled: t?.status === 'active',
    sip_trunk_host: t?.host ?? null,
    sip_trunk_port: t?.port ?? null,
    sip_trunk_username: t?.username ?? null,
    sip_trunk_domain: t ? (t.realm ?? t.from_domain ?? t.host) : null,
    sip_trunk_protocol: t ? (t.transport.toUpperCase() as 'UDP' | 'TCP' | 'TLS') : null,
    sip_trunk_context: INBOUND_CONTEXT,
    sip_trunk_id: t?.id ?? null,
    sip_trunk_shared: t !== undefined && t.phone_number_id !== n.id,
    incoming_calls_enabled: n.incoming_enabled,
    outbound_calls_enabled: n.outbound_enabled,
  };
}

/** The guide's field names, for errors from the shared trunk validation. */
const FIELD: Record<string, string> = {
  host: 'sip_trunk_host', port: 'sip_trunk_port', username: 'sip_trunk_username', password: 'sip_trunk_password',
  realm: 'sip_trunk_domain', fromDomain: 'sip_trunk_domain', transport: 'sip_trunk_protocol', name: 'sip_trunk_host',
};

/** A FieldError of the shared trunk validation about the guide's field instead (`phone_number.sip_trunk_host`). */
const inGuideFields = (err: unknown): unknown => (err instanceof FieldError ? err.renamed(`phone_number.${FIELD[err.field] ?? err.field}`) : err);

/**
 * The trunk fields of the guide's `phone_number` object.
 * @throws ApiError 400 `phone_number.sip_trunk_context` for a context other than `public`
 */
function trunkInput(p: Static<typeof ConfigureBody>['phone_number']): TrunkInput {
  if (p.sip_trunk_context !== undefined && p.sip_trunk_context !== INBOUND_CONTEXT) {
    throw invalid(
      'phone_number.sip_trunk_context',
      `phone_number.sip_trunk_context: calls from a trunk run in the ${INBOUND_CONTEXT} context, where the number's route sends them (route ai_agent for the AI receptionist: PUT /api/v1/phone-numbers/{id}); only ${INBOUND_CONTEXT} is accepted`,
    );
  }
  return {
    ...(p.sip_trunk_host !== undefined && { host: p.sip_trunk_host }),
    ...(p.sip_trunk_port !== undefined && { port: p.sip_trunk_port }),
    ...(p.sip_trunk_protocol !== undefined && { transport: p.sip_trunk_protocol.toLowerCase() as TrunkInput['transport'] }),
    ...(p.sip_trunk_username !== undefined && { username: p.sip_trunk_username || null }),
    ...(p.sip_trunk_password !== undefined && { password: p.sip_trunk_password || null }),
    ...(p.sip_trunk_domain !== undefined && { realm: p.sip_trunk_domain || null, fromDomain: p.sip_trunk_domain || null }),
    ...(p.sip_trunk_enabled !== undefined && { status: p.sip_trunk_enabled ? 'active' : 'inactive' }),
  };
}

export const sipConfigurationRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, secrets, config }) => {
  const writing = { secrets, destinations: new DestinationPolicy(config.destinationAllow) };
  const tags = ['ai receptionist'];

  app.get('/customers/:customerId/sip_configuration', {
    schema: {
      tags, security: bearer, summary: "The customer's SIP settings and its numbers' trunks (no passwords)",
      params: Type.Object({ customerId: Type.String({ format: 'uuid' }) }),
      response: { 200: Data(SipConfiguration), ...errorResponses },
    },
  }, async (req) => {
    const { tenantId } = actingTenant(req, 'read', req.params.customerId);
    const { tenant: t, numbers } = await tenantNumberTrunks(store, tenantId);
    return {
      data: {
        customer_id: t.id,
        customer_name: t.name,
        sip_enabled: t.status === 'active',
        sip_username: t.slug,
        sip_domain: t.sip_domain,
        sip_uri: `sip:${t.slug}@${t.sip_domain}`,
        max_concurrent_calls: t.max_concurrent_calls,
        phone_numbers: numbers.map(numberEntry),
      },
    };
  });

  app.post('/customers/:customerId/phone_numbers/:phoneNumberId/configure_sip_trunk', {
    schema: {
      tags, security: bearer, summary: "Set the SIP trunk of one phone number (its own trunk; a shared trunk is copied, not changed)",
      params: Type.Object({ customerId: Type.String({ format: 'uuid' }), phoneNumberId: Type.String({ format: 'uuid' }) }),
      body: ConfigureBody,
      response: { 200: Data(SipTrunkNumber), ...errorResponses },
    },
    preValidation: rejectUnknownFields(ConfigureBody),
  }, async (req) => {
    const by = actingTenant(req, 'write', req.params.customerId);
    const p = req.body.phone_number;
    const flags = { incomingEnabled: p.incoming_calls_enabled, outboundEnabled: p.outbound_calls_enabled };
    const configured = await configureNumberTrunk(store, writing, by, req.params.phoneNumberId, trunkInput(p), flags).catch((err: unknown) => {
      throw inGuideFields(err);
    });
    return { data: numberEntry(configured) };
  });
};
