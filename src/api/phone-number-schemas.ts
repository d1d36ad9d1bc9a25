/**
 * TypeBox schemas of the phone number resource (src/api/phone-numbers.ts): the answer
 * (`PhoneNumber`, also the OpenAPI component) and the create and update bodies, with the bounds
 * src/domain/number-records.ts checks; and `numberJson`, a row in the answer's shape.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { PhoneNumber } from '../db/schema.js';
import { HHMM } from '../domain/business-hours.js';
import {
  AI_AGENT_PROFILE, CRM_WEBHOOK_SECRET_MAX, CRM_WEBHOOK_SECRET_MIN, CRM_WEBHOOK_URL_MAX, CRM_WEBHOOK_URL_START, EXTENSION_NUMBER, NUMBER_ROUTES,
} from '../domain/number-records.js';
import { Nullable, PhoneNumberText, StringEnum } from './schemas.js';

const Hhmm = Type.String({ pattern: HHMM.source, description: 'HH:MM, 00:00–23:59' });
const DayHours = Nullable(Type.Object({ start: Hhmm, end: Hhmm }, { description: 'start inclusive, end exclusive; end before start spans midnight; null = closed' }));
/** W3 Suite `aiTimePolicy`: unknown weekday names are refused by the record check, not dropped. */
const BusinessHoursSchema = Type.Object(
  {
    monday: Type.Optional(DayHours),
    tuesday: Type.Optional(DayHours),
    wednesday: Type.Optional(DayHours),
    thursday: Type.Optional(DayHours),
    friday: Type.Optional(DayHours),
    saturday: Type.Optional(DayHours),
    sunday: Type.Optional(DayHours),
  },
  { description: 'per weekday, in the customer time zone; a day absent or null is closed' },
);

export const PhoneNumberSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    customerId: Type.String({ format: 'uuid' }),
    number: Type.String({ description: 'E.164' }),
    trunkId: Nullable(Type.String({ format: 'uuid' })),
    description: Nullable(Type.String()),
    incomingEnabled: Type.Boolean(),
    outboundEnabled: Type.Boolean(),
    route: StringEnum(NUMBER_ROUTES),
    routeTarget: Nullable(Type.String()),
    aiAgentProfile: Nullable(Type.String()),
    businessHours: Nullable(BusinessHoursSchema),
    failoverExtension: Nullable(Type.String()),
    crmWebhookUrl: Nullable(Type.String({ format: 'uri', description: "where the AI agent's create_ticket tool POSTs tickets" })),
    crmWebhookSecretSet: Type.Boolean({ description: 'whether a CRM webhook signing secret is stored; the secret itself is never answered' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'PhoneNumber', title: 'PhoneNumber' },
);

const Writable = {
  number: PhoneNumberText,
  trunkId: Nullable(Type.String({ format: 'uuid', description: 'a trunk of the same customer' })),
  description: Nullable(Type.String({ maxLength: 500 })),
  incomingEnabled: Type.Boolean({ description: 'default true' }),
  outboundEnabled: Type.Boolean({ description: 'default true' }),
  route: StringEnum(NUMBER_ROUTES, { description: 'extension (default) | ai_agent | forward' }),
  routeTarget: Nullable(Type.String({ minLength: 1, maxLength: 32, description: 'extension number (route extension) or E.164 or national number of the customer\'s country (route forward)' })),
  aiAgentProfile: Nullable(Type.String({ pattern: AI_AGENT_PROFILE.source, description: 'required by route ai_agent' })),
  businessHours: Nullable(BusinessHoursSchema),
  failoverExtension: Nullable(Type.String({ pattern: EXTENSION_NUMBER.source, description: 'takes the calls the route cannot' })),
  crmWebhookUrl: Nullable(Type.String({
    format: 'uri', pattern: CRM_WEBHOOK_URL_START.source, maxLength: CRM_WEBHOOK_URL_MAX,
    description: "absolute http:// or https:// URL the AI agent's create_ticket tool POSTs tickets to (JSON, signed with X-Switchplane-Signature); needs crmWebhookSecret; null removes it",
  })),
  crmWebhookSecret: Nullable(Type.String({
    minLength: CRM_WEBHOOK_SECRET_MIN, maxLength: CRM_WEBHOOK_SECRET_MAX, writeOnly: true,
    description: 'HMAC-SHA256 key of the X-Switchplane-Signature header, write-only; null removes it (and needs crmWebhookUrl removed too)',
  })),
};
export const CreateNumber = Type.Object({ ...Type.Partial(Type.Object(Writable)).properties, number: Writable.number }, { additionalProperties: false });
export const UpdateNumber = Type.Partial(Type.Object(Writable), { additionalProperties: false, minProperties: 1 });

/** A phone number as the API answers it: the CRM webhook secret only as whether one is set. */
export type PhoneNumberJson = Static<typeof PhoneNumberSchema>;

/** A phone number row as the API answers it. */
export function numberJson(n: PhoneNumber): PhoneNumberJson {
  return {
    id: n.id,
    customerId: n.tenant_id,
    number: n.number,
    trunkId: n.trunk_id,
    description: n.description,
    incomingEnabled: n.incoming_enabled,
    outboundEnabled: n.outbound_enabled,
    route: n.route,
    routeTarget: n.route_target,
    aiAgentProfile: n.ai_agent_profile,
    businessHours: n.business_hours,
    failoverExtension: n.failover_extension,
    crmWebhookUrl: n.crm_webhook_url,
    crmWebhookSecretSet: n.crm_webhook_secret_sealed !== null,
    createdAt: n.created_at.toISOString(),
    updatedAt: n.updated_at.toISOString(),
  };
}
