/**
 * Recurring calls, as in the VoIP extensions guide: an extension calls a destination every day,
 * week or month at a local time in a time zone (src/scheduler/ places the calls).
 * - `POST /api/v1/extensions/{id}/recurring-calls` `{ destinationNumber, schedule: { frequency,
 *   time, dayOfWeek?, dayOfMonth?, timezone? }, enabled? }`: 201 `{ data: RecurringCall }`;
 * - `GET /api/v1/extensions/{id}/recurring-calls`: `{ data: [RecurringCall] }`, oldest first;
 * - `GET /api/v1/recurring-calls/{id}`, `PUT /api/v1/recurring-calls/{id}` (the fields given
 *   change; a `schedule` given changes the fields it names, and a new `frequency` drops the day
 *   fields it does not use), `DELETE /api/v1/recurring-calls/{id}` (204);
 * - `GET /api/v1/recurring-calls/{id}/executions?limit=`: `{ data: [Execution] }`, newest first:
 *   each occurrence's time, call id (the A leg's Unique-ID, the CDR's `callId`), outcome
 *   (claimed | originated | answered | no_answer | busy | cancelled | failed | skipped), hangup
 *   cause and error;
 * and the same under `/api/v1/customers/{customerId}/...` for admin keys (or X-Tenant-ID).
 *
 * `schedule.time` is `HH:MM` (00:00 to 23:59) in `schedule.timezone` (IANA; omitted: the
 * customer's zone); `dayOfWeek` (0 = Sunday ... 6 = Saturday) is required for weekly and
 * `dayOfMonth` (1 to 31; the month's last day when the month is shorter) for monthly, and refused
 * for other frequencies. `nextExecution` is the next run in UTC (src/scheduler/next-run.ts for DST
 * rules), null while disabled. `destinationNumber` is an extension number of the customer or a
 * number toE164 reads (E.164, a national number of the customer's country, `00...`, 8 to 15
 * digits), stored as E.164. Validation errors name
 * the field (`schedule.dayOfWeek`, `schedule.timezone`, ...). Another customer's extension or
 * recurring call answers 404. Writes record `recurring_call_created|updated|deleted` audit rows;
 * the scheduler records `recurring_call_executed`.
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { RecurringCall, RecurringCallExecution } from '../db/schema.js';
import {
  createRecurringCall, deleteRecurringCall, EXECUTION_OUTCOMES, getRecurringCall, listExecutions, listRecurringCalls, updateRecurringCall,
} from '../domain/recurring-calls.js';
import { FREQUENCIES, scheduleOf } from '../domain/recurring-schedule.js';
import { tenantOfPath } from './auth.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, errorResponses, Nullable, PATH_FORMS, StringEnum } from './schemas.js';
import { rejectUnknownFields } from './unknown-fields.js';

const DateTime = Type.String({ format: 'date-time' });

const scheduleFields = {
  frequency: StringEnum(FREQUENCIES),
  time: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time HH:MM, 00:00 to 23:59' }),
  dayOfWeek: Type.Integer({ minimum: 0, maximum: 6, description: 'weekly only: 0 = Sunday, 1 = Monday, ..., 6 = Saturday' }),
  dayOfMonth: Type.Integer({ minimum: 1, maximum: 31, description: 'monthly only: 1 to 31; in a shorter month, its last day' }),
  timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. America/New_York; omitted: the customer\'s' }),
};
const ScheduleSchema = Type.Object(
  { frequency: scheduleFields.frequency, time: scheduleFields.time, dayOfWeek: Type.Optional(scheduleFields.dayOfWeek), dayOfMonth: Type.Optional(scheduleFields.dayOfMonth), timezone: scheduleFields.timezone },
  { $id: 'RecurringCallSchedule', title: 'RecurringCallSchedule' },
);

const RecurringCallSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    extensionId: Type.String({ format: 'uuid', description: 'the extension whose phone rings first' }),
    destinationNumber: Type.String({ description: 'E.164, or an extension number of the customer' }),
    schedule: Type.Ref(ScheduleSchema),
    enabled: Type.Boolean(),
    nextExecution: Nullable(DateTime),
    lastExecution: Nullable(DateTime),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'RecurringCall', title: 'RecurringCall' },
);

const ExecutionSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    scheduledFor: DateTime,
    callId: Type.String({ format: 'uuid', description: 'the A leg\'s FreeSWITCH Unique-ID: GET /calls/{id}, GET /cdrs/{id}' }),
    outcome: StringEnum(EXECUTION_OUTCOMES, { description: 'from the A leg\'s CDR once there is one; skipped: missed while no scheduler ran' }),
    hangupCause: Nullable(Type.String()),
    error: Nullable(Type.String()),
    attempts: Type.Integer({ description: 'claims: 1, plus one per takeover from a stopped instance' }),
    startedAt: Nullable(DateTime),
    finishedAt: Nullable(DateTime),
    cdrId: Nullable(Type.String({ format: 'uuid' })),
  },
  { $id: 'RecurringCallExecution', title: 'RecurringCallExecution' },
);

const Destination = Type.String({ minLength: 2, maxLength: 32, description: 'E.164 (+12125551234), a national number of the customer\'s country, 00..., 8 to 15 digits, or an extension number' });
const Create = Type.Object(
  {
    destinationNumber: Destination,
    schedule: Type.Object({ ...scheduleFields, dayOfWeek: Type.Optional(scheduleFields.dayOfWeek), dayOfMonth: Type.Optional(scheduleFields.dayOfMonth), timezone: Type.Optional(scheduleFields.timezone) }),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
const Update = Type.Object(
  { destinationNumber: Type.Optional(Destination), schedule: Type.Optional(Type.Partial(Type.Object(scheduleFields), { minProperties: 1 })), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
const ExecutionsQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) });

/** Other APIs' names for these fields. */
const ALIASES: Record<string, string> = { destination: 'destinationNumber', toNumber: 'destinationNumber', 'schedule.timeZone': 'schedule.timezone' };
const noUnknownCreateFields = rejectUnknownFields(Create, ALIASES);
const noUnknownUpdateFields = rejectUnknownFields(Update, ALIASES);

function recurringCallJson(r: RecurringCall): Static<typeof RecurringCallSchema> {
  const s = scheduleOf(r);
  return {
    id: r.id,
    extensionId: r.extension_id,
    destinationNumber: r.destination_number,
    schedule: { frequency: s.frequency, time: s.time, ...(s.dayOfWeek !== null && { dayOfWeek: s.dayOfWeek }), ...(s.dayOfMonth !== null && { dayOfMonth: s.dayOfMonth }), timezone: s.timezone },
    enabled: r.enabled,
    nextExecution: r.next_execution_at?.toISOString() ?? null,
    lastExecution: r.last_execution_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function executionJson(x: RecurringCallExecution): Static<typeof ExecutionSchema> {
  return {
    id: x.id, scheduledFor: x.scheduled_for.toISOString(), callId: x.call_id, outcome: x.outcome, hangupCause: x.hangup_cause, error: x.error,
    attempts: x.attempts, startedAt: x.started_at?.toISOString() ?? null, finishedAt: x.finished_at?.toISOString() ?? null, cdrId: x.cdr_id,
  };
}

export const recurringCallRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, clock }) => {
  app.addSchema(ScheduleSchema);
  app.addSchema(RecurringCallSchema);
  app.addSchema(ExecutionSchema);
  const tags = ['recurring calls'];
  const one = { 200: Data(Type.Ref(RecurringCallSchema)), ...errorResponses };

  for (const form of PATH_FORMS) {
    const params = form.item;
    const perExtension = `${form.prefix}/extensions/:id/recurring-calls`;
    const item = `${form.prefix}/recurring-calls/:id`;
    app.post(perExtension, {
      preValidation: noUnknownCreateFields,
      schema: { tags, security: bearer, summary: 'Schedule a recurring call from an extension', params, body: Create, response: { 201: Data(Type.Ref(RecurringCallSchema)), ...errorResponses } },
    }, async (req, reply) => {
      const { principal, tenantId } = tenantOfPath(req, 'write');
      const row = await createRecurringCall({ store, principal, tenantId, clock }, req.params.id, req.body);
      return reply.code(201).send({ data: recurringCallJson(row) });
    });
    app.get(perExtension, {
      schema: { tags, security: bearer, summary: 'List an extension\'s recurring calls', params, response: { 200: Data(Type.Array(Type.Ref(RecurringCallSchema))), ...errorResponses } },
    }, async (req) => ({ data: (await listRecurringCalls(store, tenantOfPath(req, 'read').tenantId, req.params.id)).map(recurringCallJson) }));
    app.get(item, {
      schema: { tags, security: bearer, summary: 'Get a recurring call', params, response: one },
    }, async (req) => ({ data: recurringCallJson(await getRecurringCall(store, tenantOfPath(req, 'read').tenantId, req.params.id)) }));
    app.put(item, {
      preValidation: noUnknownUpdateFields,
      schema: { tags, security: bearer, summary: 'Update a recurring call: the fields given change', params, body: Update, response: one },
    }, async (req) => {
      const { principal, tenantId } = tenantOfPath(req, 'write');
      return { data: recurringCallJson(await updateRecurringCall({ store, principal, tenantId, clock }, req.params.id, req.body)) };
    });
    app.delete(item, {
      schema: { tags, security: bearer, summary: 'Delete a recurring call and its history', params, response: { 204: Type.Null(), ...errorResponses } },
    }, async (req, reply) => {
      const { principal, tenantId } = tenantOfPath(req, 'write');
      await deleteRecurringCall({ store, principal, tenantId }, req.params.id);
      return reply.code(204).send(null);
    });
    app.get(`${item}/executions`, {
      schema: { tags, security: bearer, summary: 'The executions of a recurring call, newest first', params, querystring: ExecutionsQuery, response: { 200: Data(Type.Array(Type.Ref(ExecutionSchema))), ...errorResponses } },
    }, async (req) => ({ data: (await listExecutions(store, tenantOfPath(req, 'read').tenantId, req.params.id, req.query.limit ?? 50)).map(executionJson) }));
  }
};
