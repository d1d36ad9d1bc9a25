/**
 * Call detail records of a customer, read-only (the ESL CDR writer stores them):
 * - `GET /api/v1/cdrs`: `{ data: [Cdr], pagination: { page, limit, total, pages } }`, newest
 *   first (start time descending, then id), the W3 Suite `GET /api/voip/cdrs` shape;
 * - `GET /api/v1/cdrs/stats`: `{ data: CdrStats }`, the Welcomedly `calls/stats` figures;
 * - `GET /api/v1/cdrs/stats/hourly`: `{ data: [{ hour, calls, answered, averageDurationSeconds }] }`,
 *   one bucket per hour of the customer's time zone (the 24 hours up to now without from/to,
 *   at most 168), empty hours included: the dashboard's chart;
 * - `GET /api/v1/cdrs/{id}`: `{ data: CdrDetail }` by record id or by call id (FreeSWITCH
 *   Unique-ID), the only answer that carries the raw FreeSWITCH variables (`metadata`);
 * and the same under `/api/v1/customers/{customerId}/cdrs` for admin keys (or X-Tenant-ID).
 * Names: the W3 Suite guide's CDR fields (callId = Unique-ID, startTime, answerTime, endTime,
 * durationSeconds, billableSeconds = FreeSWITCH billsec, hangupCause, recordingUrl, ...) and the
 * Welcomedly guide's stats (totalCalls, answered, noAnswer, busy, failed, cancelled,
 * totalDuration, totalBillsec, avgDuration, avgBillsec, answerRate) and dispositions (ANSWERED,
 * NO ANSWER, BUSY, FAILED, CANCELLED). Times are ISO 8601 UTC; durations are integer seconds;
 * avgDuration = totalDuration / totalCalls and avgBillsec = totalBillsec / answered, both
 * rounded to the nearest second (as in the Welcomedly example: 18000 / 150 = 120,
 * 15000 / 120 = 125); answerRate = answered / totalCalls × 100 as a two-decimal string.
 *
 * Filters of the list and the stats: `from`, `to` (start time; a date-time is an instant with
 * `Z` or an offset, `from` inclusive and `to` exclusive; a date `YYYY-MM-DD` is that whole day in
 * the customer's time zone, `tenants.timezone`: `from` = its first instant, `to` = up to its end),
 * `direction`, `disposition`, `callType`, `extension` (number) or `extensionId`, `trunk` (id),
 * `number` (part of the caller or called number). `startDate` / `endDate` are the W3 Suite guide's
 * names of `from` / `to` (the same values and meaning; `from` with `startDate`, or `to` with
 * `endDate`, is a 400 naming `startDate` / `endDate`). An unknown query parameter is a 400, so a
 * misspelt filter (`start_date`) is never silently ignored.
 * Everything runs in `withTenant`: another customer's CDR answers 404. An agent (a person with role
 * `agent`) sees only the records of its own extension; another extension's record answers 404.
 * The CSV export of the same list is src/api/cdr-csv.ts.
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { DISPOSITIONS } from '../domain/cdr-disposition.js';
import { CALL_DIRECTIONS } from '../domain/call-routing.js';
import { CALL_TYPES, cdrHourly, cdrStats, getCdr, listCdrs, type CdrListRow } from '../domain/cdr-queries.js';
import { tenantOrAgent } from './auth.js';
import { cdrView } from '../domain/call-events.js';
import type { ApiDeps } from './deps.js';
import { guideRangeFilters, NumberFilter, PageFields, PageResponse, rangeFilters, recordParams, rejectUnknown } from './listing.js';
import { bearer, Data, errorResponses, Nullable, PATH_FORMS, StringEnum, Uuid } from './schemas.js';

const DIRECTIONS = CALL_DIRECTIONS;
const Time = Type.String({ format: 'date-time' });
const CdrFields = {
  id: Uuid,
  callId: Type.String({ description: 'FreeSWITCH Unique-ID of the leg' }),
  otherLegCallId: Nullable(Type.String()),
  direction: StringEnum(DIRECTIONS),
  callType: StringEnum(CALL_TYPES),
  callerNumber: Nullable(Type.String()),
  callerName: Nullable(Type.String()),
  calledNumber: Nullable(Type.String()),
  calledName: Nullable(Type.String()),
  startTime: Time,
  answerTime: Nullable(Time),
  endTime: Nullable(Time),
  durationSeconds: Type.Integer({ description: 'start to end, seconds' }),
  billableSeconds: Type.Integer({ description: 'answer to end (FreeSWITCH billsec), seconds' }),
  hangupCause: Nullable(Type.String({ description: 'e.g. NORMAL_CLEARING, USER_BUSY' })),
  sipStatus: Nullable(Type.Integer()),
  disposition: StringEnum(DISPOSITIONS),
  trunkId: Nullable(Uuid),
  extensionId: Nullable(Uuid),
  recordingUrl: Nullable(Type.String()),
  aiSessionId: Nullable(Uuid),
};
const CdrSchema = Type.Object(CdrFields, { $id: 'Cdr', title: 'Cdr' });
const CdrDetailSchema = Type.Object(
  { ...CdrFields, metadata: Type.Record(Type.String(), Type.Unknown(), { description: 'the raw FreeSWITCH channel variables' }) },
  { $id: 'CdrDetail', title: 'CdrDetail' },
);
const seconds = (description: string) => Type.Integer({ description: `${description}, seconds` });
const CdrStatsSchema = Type.Object(
  {
    totalCalls: Type.Integer(),
    answered: Type.Integer({ description: 'disposition ANSWERED' }),
    noAnswer: Type.Integer({ description: 'disposition NO ANSWER' }),
    busy: Type.Integer({ description: 'disposition BUSY' }),
    failed: Type.Integer({ description: 'disposition FAILED' }),
    cancelled: Type.Integer({ description: 'disposition CANCELLED' }),
    totalDuration: seconds('sum of durationSeconds'),
    totalBillsec: seconds('sum of billableSeconds'),
    avgDuration: seconds('totalDuration / totalCalls, rounded to the nearest integer; 0 without calls'),
    avgBillsec: seconds('totalBillsec / answered (talk time of an answered call), rounded to the nearest integer; 0 without answered calls'),
    answerRate: Type.String({ description: 'answered / totalCalls × 100 with two decimals, e.g. "80.00"; "0.00" without calls' }),
  },
  { $id: 'CdrStats', title: 'CdrStats' },
);

export const Filters = {
  ...rangeFilters('calls'),
  ...guideRangeFilters('calls'),
  direction: Type.Optional(StringEnum(DIRECTIONS)),
  disposition: Type.Optional(StringEnum(DISPOSITIONS, { description: 'NO ANSWER is sent as NO%20ANSWER or NO+ANSWER' })),
  callType: Type.Optional(StringEnum(CALL_TYPES)),
  extension: Type.Optional(Type.String({ pattern: '^[0-9]{2,10}$', description: 'extension number, e.g. 1001' })),
  extensionId: Type.Optional(Uuid),
  trunk: Type.Optional(Type.String({ format: 'uuid', description: 'trunk id' })),
  number: Type.Optional(NumberFilter('the caller or the called number')),
};
const StatsQuery = Type.Object(Filters);
const ListQuery = Type.Object({ ...Filters, ...PageFields });
const HourlyBucketSchema = Type.Object(
  {
    hour: Type.String({ format: 'date-time', description: 'start of the hour (an hour of the customer\'s time zone)' }),
    calls: Type.Integer({ description: 'calls that started in the hour' }),
    answered: Type.Integer({ description: 'of them, disposition ANSWERED' }),
    averageDurationSeconds: seconds('mean durationSeconds of the hour\'s calls, rounded; 0 without calls'),
  },
  { $id: 'CdrHourlyBucket', title: 'CdrHourlyBucket' },
);

export function cdrJson(c: CdrListRow): Static<typeof CdrSchema> {
  return cdrView(c);
}

export const cdrRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store, clock }) => {
  app.addSchema(CdrSchema);
  app.addSchema(CdrDetailSchema);
  app.addSchema(CdrStatsSchema);
  app.addSchema(HourlyBucketSchema);
  const tags = ['call detail records'];

  for (const form of PATH_FORMS) {
    const collection = `${form.prefix}/cdrs`;
    const p = form.collection ? { params: form.collection } : {};
    app.get(collection, {
      schema: { tags, security: bearer, summary: 'List call detail records, newest first', ...p, querystring: ListQuery, response: { 200: PageResponse(Type.Ref(CdrSchema), 'records'), ...errorResponses } },
    }, async (req) => {
      rejectUnknown(req.query, ListQuery);
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      const { data, pagination } = await listCdrs(store, tenantId, { ...req.query, ownExtensionId: agentExtensionId });
      return { data: data.map(cdrJson), pagination };
    });
    app.get(`${collection}/stats`, {
      schema: { tags, security: bearer, summary: 'Call figures over the records matching the filters', ...p, querystring: StatsQuery, response: { 200: Data(Type.Ref(CdrStatsSchema)), ...errorResponses } },
    }, async (req) => {
      rejectUnknown(req.query, StatsQuery);
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      return { data: await cdrStats(store, tenantId, { ...req.query, ownExtensionId: agentExtensionId }) };
    });
    app.get(`${collection}/stats/hourly`, {
      schema: {
        tags, security: bearer, ...p, querystring: StatsQuery,
        summary: 'Calls per hour over the records matching the filters: the 24 hours up to now, or the hours from..to (at most 168), empty hours included',
        response: { 200: Data(Type.Array(Type.Ref(HourlyBucketSchema))), ...errorResponses },
      },
    }, async (req) => {
      rejectUnknown(req.query, StatsQuery);
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      const buckets = await cdrHourly(store, tenantId, { ...req.query, ownExtensionId: agentExtensionId }, clock());
      return { data: buckets.map((b) => ({ ...b, hour: b.hour.toISOString() })) };
    });
    app.get(`${collection}/:id`, {
      schema: { tags, security: bearer, summary: 'Get a call detail record by id or call id, with the raw FreeSWITCH variables', params: recordParams(form), response: { 200: Data(Type.Ref(CdrDetailSchema)), ...errorResponses } },
    }, async (req) => {
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      const row = await getCdr(store, tenantId, req.params.id, agentExtensionId);
      return { data: { ...cdrJson(row), metadata: row.metadata } };
    });
  }
};
