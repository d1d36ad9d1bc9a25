/**
 * The AI receptionist guide's SIP endpoints, with its paths and snake_case bodies:
 * - `GET /api/v1/customers/{id}/sip_configuration`: the customer's SIP settings and its phone
 *   numbers with the settings of the trunk behind each (never a trunk password);
 * - `POST /api/v1/customers/{id}/phone_numbers/{phone_number_id}/configure_sip_trunk`: creates or
 *   updates the trunk behind a number from the guide's `phone_number` object, with the same
 *   validation and sealing as `/api/v1/trunks` (src/domain/trunk-records.ts).
 * `sip_trunk_domain` is the trunk's digest realm and From domain; `sip_trunk_enabled: false`
 * sets the trunk inactive, which takes its gateway out of sofia.conf.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database, PhoneNumber, Trunk } from '../db/schema.js';
import { recordAudit } from '../domain/audit.js';
import { DestinationPolicy, policyFor } from '../domain/destination-policy.js';
import { FieldError } from '../domain/errors.js';
import { trunkChanges, trunkColumns, type TrunkInput } from '../domain/trunk-records.js';
import { actingTenant } from './auth.js';
import { ApiError, notFound } from './errors.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, errorResponses } from './schemas.js';

const SipTrunkNumber = Type.Object({
  id: Type.String({ format: 'uuid' }),
  number: Type.String({ description: 'E.164' }),
  sip_trunk_enabled: Type.Boolean(),
  sip_trunk_host: Type.Union([Type.String(), Type.Null()]),
  sip_trunk_port: Type.Union([Type.Integer(), Type.Null()]),
  sip_trunk_username: Type.Union([Type.String(), Type.Null()]),
  sip_trunk_domain: Type.Union([Type.String(), Type.Null()]),
  sip_trunk_protocol: Type.Union([Type.Literal('UDP'), Type.Literal('TCP'), Type.Literal('TLS'), Type.Null()]),
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
        incoming_calls_enabled: Type.Optional(Type.Boolean()),
        outbound_calls_enabled: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
type ConfigureBody = Static<typeof ConfigureBody>;

function numberEntry(n: PhoneNumber, t: Trunk | undefined): Static<typeof SipTrunkNumber> {
  return {
    id: n.id,
    number: n.number,
    sip_trunk_enabled: t?.status === 'active',
    sip_trunk_host: t?.host ?? null,
    sip_trunk_port: t?.port ?? null,
    sip_trunk_username: t?.username ?? null,
    sip_trunk_domain: t ? (t.realm ?? t.from_domain ?? t.host) : null,
    sip_trunk_protocol: t ? (t.transport.toUpperCase() as 'UDP' | 'TCP' | 'TLS') : null,
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

function trunkInput(p: ConfigureBody['phone_number']): TrunkInput {
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

async function tenantNumbers(trx: Kysely<Database>, tenantId: string) {
  const [numbers, trunks] = await Promise.all([
    trx.selectFrom('phone_numbers').selectAll().where('tenant_id', '=', tenantId).orderBy('number').execute(),
    trx.selectFrom('trunks').selectAll().where('tenant_id', '=', tenantId).execute(),
  ]);
  const byId = new Map(trunks.map((t) => [t.id, t]));
  return numbers.map((n) => numberEntry(n, n.trunk_id ? byId.get(n.trunk_id) : undefined));
}

export const sipConfigurationRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, secrets, config }) => {
  const destinations = new DestinationPolicy(config.destinationAllow);
  const tags = ['ai receptionist'];

  app.get<{ Params: { customerId: string } }>('/customers/:customerId/sip_configuration', {
    schema: {
      tags, security: bearer, summary: "The customer's SIP settings and its numbers' trunks (no passwords)",
      params: Type.Object({ customerId: Type.String({ format: 'uuid' }) }),
      response: { 200: Data(SipConfiguration), ...errorResponses },
    },
  }, async (req) => {
    const { tenantId } = actingTenant(req, 'read', req.params.customerId);
    const data = await store.withTenant(tenantId, async (trx) => {
      const t = await trx.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
      if (!t) throw notFound('customer');
      return {
        customer_id: t.id,
        customer_name: t.name,
        sip_enabled: t.status === 'active',
        sip_username: t.slug,
        sip_domain: t.sip_domain,
        sip_uri: `sip:${t.slug}@${t.sip_domain}`,
        max_concurrent_calls: t.max_concurrent_calls,
        phone_numbers: await tenantNumbers(trx, tenantId),
      };
    });
    return { data };
  });

  app.post<{ Params: { customerId: string; phoneNumberId: string }; Body: ConfigureBody }>('/customers/:customerId/phone_numbers/:phoneNumberId/configure_sip_trunk', {
    schema: {
      tags, security: bearer, summary: 'Create or update the SIP trunk behind a phone number',
      params: Type.Object({ customerId: Type.String({ format: 'uuid' }), phoneNumberId: Type.String({ format: 'uuid' }) }),
      body: ConfigureBody,
      response: { 200: Data(SipTrunkNumber), ...errorResponses },
    },
  }, async (req) => {
    const { principal, tenantId } = actingTenant(req, 'write', req.params.customerId);
    const p = req.body.phone_number;
    const data = await store.withTenant(tenantId, async (trx) => {
      const number = await trx.selectFrom('phone_numbers').selectAll().where('id', '=', req.params.phoneNumberId).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
      if (!number) throw notFound('phone number');
      const input = trunkInput(p);
      let trunk: Trunk;
      const before = number.trunk_id ? await trx.selectFrom('trunks').selectAll().where('id', '=', number.trunk_id).forUpdate().executeTakeFirst() : undefined;
      if (before) {
        trunk = await trx.updateTable('trunks').set({ ...(await trunkChanges(input, secrets, before, policyFor(principal, destinations))), updated_at: new Date() }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
        await recordAudit(trx, principal, { tenantId, action: 'update', resourceType: 'trunk', resourceId: trunk.id, before, after: trunk });
      } else {
        if (input.host === undefined) throw new ApiError(400, 'validation_failed', 'sip_trunk_host is required to create the trunk', 'phone_number.sip_trunk_host');
        const columns = await trunkColumns({ ...input, name: `did-${number.number.slice(1)}` }, secrets, policyFor(principal, destinations));
        trunk = await trx.insertInto('trunks').values({ ...columns, tenant_id: tenantId }).returningAll().executeTakeFirstOrThrow();
        await recordAudit(trx, principal, { tenantId, action: 'create', resourceType: 'trunk', resourceId: trunk.id, after: trunk });
      }
      const updated = await trx
        .updateTable('phone_numbers')
        .set({
          trunk_id: trunk.id,
          ...(p.incoming_calls_enabled !== undefined && { incoming_enabled: p.incoming_calls_enabled }),
          ...(p.outbound_calls_enabled !== undefined && { outbound_enabled: p.outbound_calls_enabled }),
          updated_at: new Date(),
        })
        .where('id', '=', number.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(trx, principal, { tenantId, action: 'update', resourceType: 'phone_number', resourceId: number.id, before: number, after: updated });
      return numberEntry(updated, trunk);
    }).catch((err: unknown) => {
      throw inGuideFields(err);
    });
    return { data };
  });
};
