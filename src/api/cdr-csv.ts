/**
 * The CDR list as a CSV file: `GET /api/v1/cdrs.csv` (and `/api/v1/customers/{customerId}/cdrs.csv`)
 * with the list's filters (src/api/cdrs.ts, without page/limit): `text/csv; charset=utf-8`,
 * `Content-Disposition: attachment; filename="cdrs.csv"`, a header row of the JSON field names,
 * then one row per CDR, newest first. RFC 4180 quoting (a cell holding `,`, `"`, CR or LF is
 * quoted, its quotes doubled; rows end with CRLF). Against CSV injection, a cell starting with
 * `=`, `+`, `-`, `@`, tab or CR is prefixed with `'`, so a spreadsheet shows it as text
 * (a caller number `+39...` reads `'+39...`). The rows are streamed, read 500 at a time
 * (src/domain/cdr-queries.ts `exportCdrs`), so a large export is never held in memory.
 * An agent exports only its own extension's records. No CSV library is installed; the quoting is
 * this file's `csvRow`.
 */
import { Readable } from 'node:stream';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { exportCdrs, type CdrFilters } from '../domain/cdr-queries.js';
import type { Store } from '../db/store.js';
import { tenantOrAgent } from './auth.js';
import { cdrJson, Filters } from './cdrs.js';
import type { ApiDeps } from './deps.js';
import { rejectUnknown } from './listing.js';
import { bearer, errorResponses, PATH_FORMS } from './schemas.js';

const COLUMNS = [
  'id', 'callId', 'otherLegCallId', 'direction', 'callType', 'callerNumber', 'callerName', 'calledNumber', 'calledName', 'startTime',
  'answerTime', 'endTime', 'durationSeconds', 'billableSeconds', 'hangupCause', 'sipStatus', 'disposition', 'trunkId', 'extensionId',
  'recordingUrl', 'aiSessionId',
] as const;

/** One cell: null as empty, formula starts neutralised with `'`, quoted when it must be. */
function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A row of cells ending in CRLF. */
export const csvRow = (cells: readonly unknown[]): string => `${cells.map(csvCell).join(',')}\r\n`;

async function* csvLines(store: Store, tenantId: string, q: CdrFilters): AsyncGenerator<string> {
  yield csvRow(COLUMNS);
  for await (const rows of exportCdrs(store, tenantId, q)) {
    yield rows.map((r) => { const j = cdrJson(r); return csvRow(COLUMNS.map((c) => j[c])); }).join('');
  }
}

const CsvQuery = Type.Object(Filters);

export const cdrCsvRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store }) => {
  for (const form of PATH_FORMS) {
    app.get(`${form.prefix}/cdrs.csv`, {
      schema: {
        tags: ['call detail records'], security: bearer, summary: 'Export the call detail records matching the filters as CSV, newest first',
        ...(form.collection ? { params: form.collection } : {}),
        querystring: CsvQuery,
        produces: ['text/csv'],
        response: {
          200: { description: 'a header row then one row per record', content: { 'text/csv': { schema: Type.String() } } },
          ...errorResponses,
        },
      },
    }, async (req, reply) => {
      rejectUnknown(req.query, CsvQuery);
      const { tenantId, agentExtensionId } = tenantOrAgent(req, 'read');
      const q = { ...req.query, ownExtensionId: agentExtensionId };
      const lines = csvLines(store, tenantId, q);
      // The first batch is read before the answer starts, so a bad range or customer is still a JSON error.
      const first = await lines.next();
      const second = await lines.next();
      const rest = async function* () {
        if (!first.done) yield first.value;
        if (!second.done) yield second.value;
        yield* lines;
      };
      // A stream is sent as it is (Fastify serializes no stream); the schema only documents it.
      const raw: FastifyReply = reply;
      return raw
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="cdrs.csv"')
        .send(Readable.from(rest()));
    });
  }
};
