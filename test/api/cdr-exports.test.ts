import { randomUUID } from 'node:crypto';
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { csvRow } from '../../src/api/cdr-csv.js';

interface Cdr { start: Date; answered: boolean; duration: number; caller: string; callerName?: string | null; ext?: string | null }

const row = (tenantId: string, c: Cdr) => ({
  id: randomUUID(), tenant_id: tenantId, unique_id: randomUUID(), direction: 'inbound' as const, call_type: 'voice' as const,
  caller_number: c.caller, caller_name: c.callerName ?? null, called_number: '+390510510511', start_at: c.start,
  answer_at: c.answered ? new Date(c.start.getTime() + 2000) : null, end_at: new Date(c.start.getTime() + c.duration * 1000),
  duration_seconds: c.duration, billsec: c.answered ? c.duration - 2 : 0, hangup_cause: c.answered ? 'NORMAL_CLEARING' : 'NO_ANSWER',
  disposition: c.answered ? ('ANSWERED' as const) : ('NO ANSWER' as const), extension_id: c.ext ?? null, metadata: '{}',
});

/** RFC 4180 parsing, independent of the route's writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let cell = '';
  let cells: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { cells.push(cell); cell = ''; } else if (ch === '\r' && text[i + 1] === '\n') { cells.push(cell); rows.push(cells); cells = []; cell = ''; i++; } else cell += ch;
  }
  return rows;
}

t.test('csvRow: quoting and formula neutralising', async (t) => {
  t.equal(csvRow(['a', null, 3, 'x,y', 'say "hi"', 'two\nlines']), 'a,,3,"x,y","say ""hi""","two\nlines"\r\n');
  t.equal(csvRow(['=1+1', '+39333', '-2', '@SUM(A1)', '\tx', 'plain=']), "'=1+1,'+39333,'-2,'@SUM(A1),'\tx,plain=\r\n");
  t.equal(csvRow(['=HYPERLINK("http://x","y")']), `"'=HYPERLINK(""http://x"",""y"")"\r\n`);
});

for (const backend of backends) {
  t.test(`${backend.name}: hourly figures and CSV export`, async (t) => {
    const ctx = await demoApp(backend); // the clock reads 2026-11-23T10:00:00Z
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const at = (iso: string) => new Date(iso);
    const acme: Cdr[] = [
      { start: at('2026-11-22T09:59:59Z'), answered: true, duration: 100, caller: '+39333000001' }, // before the 24 h
      { start: at('2026-11-22T10:00:00Z'), answered: true, duration: 30, caller: '+39333000002' },
      { start: at('2026-11-22T10:59:00Z'), answered: false, duration: 11, caller: '+39333000003' },
      { start: at('2026-11-23T09:15:00Z'), answered: true, duration: 61, caller: '=cmd|calc', callerName: 'Rossi, "Mario"' },
      { start: at('2026-11-23T09:45:00Z'), answered: true, duration: 20, caller: '1001', callerName: 'two\nlines' },
    ];
    await ctx.store.withTenant(keys.acmeId, (db) => db.insertInto('cdrs').values(acme.map((c) => row(keys.acmeId, c))).execute());
    await ctx.store.withTenant(keys.globexId, (db) => db.insertInto('cdrs').values([row(keys.globexId, { start: at('2026-11-23T09:00:00Z'), answered: true, duration: 5, caller: '1' })]).execute());

    t.test('the last 24 hours: 24 buckets, empty hours included, mean duration rounded', async (t) => {
      const res = await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats/hourly');
      t.equal(res.status, 200);
      t.equal(res.body.data.length, 24);
      t.same(res.body.data[0], { hour: '2026-11-22T10:00:00.000Z', calls: 2, answered: 1, averageDurationSeconds: 21 });
      t.same(res.body.data[1], { hour: '2026-11-22T11:00:00.000Z', calls: 0, answered: 0, averageDurationSeconds: 0 });
      t.same(res.body.data[23], { hour: '2026-11-23T09:00:00.000Z', calls: 2, answered: 2, averageDurationSeconds: 41 });
      t.equal(res.body.data.reduce((s: number, b: { calls: number }) => s + b.calls, 0), 4);
    });

    t.test('from/to choose the hours; the range is checked; both path forms', async (t) => {
      const day = await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats/hourly?from=2026-11-22');
      t.equal(day.body.data[0].hour, '2026-11-21T23:00:00.000Z', 'a date starts at midnight in Rome');
      t.equal(day.body.data.length, 24);
      const two = await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}/cdrs/stats/hourly?from=2026-11-22T09:30:00Z&to=2026-11-22T11:00:00Z`);
      t.same(two.body.data.map((b: { calls: number }) => b.calls), [1, 2], 'the first bucket is the hour from falls in');
      const long = await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats/hourly?from=2026-11-01&to=2026-11-20');
      t.equal(long.status, 400);
      t.match(long.body.error, { code: 'validation_failed', field: 'from' });
      const guideDay = await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats/hourly?startDate=2026-11-22');
      t.same(guideDay.body.data, day.body.data, "the W3 Suite guide's startDate is from");
      const guideLong = await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats/hourly?startDate=2026-11-01&endDate=2026-11-20');
      t.match(guideLong.body.error, { code: 'validation_failed', field: 'startDate' }, 'the error names the field as given');
      t.match((await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats/hourly?page=2')).body.error, { field: 'page' });
      t.same((await call(app, keys.globex, 'GET', '/api/v1/cdrs/stats/hourly')).body.data[23].calls, 1, 'another customer sees its own');
    });

    t.test('CSV: header, one row per CDR newest first, quoting, neutralised formulas, filters', async (t) => {
      const res = await app.inject({ method: 'GET', url: '/api/v1/cdrs.csv', headers: { authorization: `Bearer ${keys.acme}` } });
      t.equal(res.statusCode, 200);
      t.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
      t.match(res.headers['content-disposition'], /attachment; filename="cdrs.csv"/);
      const rows = parseCsv(res.body);
      t.equal(rows[0]!.join(','), 'id,callId,otherLegCallId,direction,callType,callerNumber,callerName,calledNumber,calledName,startTime,answerTime,endTime,durationSeconds,billableSeconds,hangupCause,sipStatus,disposition,trunkId,extensionId,recordingUrl,aiSessionId');
      t.equal(rows.length, 1 + acme.length);
      const caller = rows[0]!.indexOf('callerNumber');
      const name = rows[0]!.indexOf('callerName');
      t.same(rows.slice(1).map((r) => r[caller]), ['1001', "'=cmd|calc", "'+39333000003", "'+39333000002", "'+39333000001"]);
      t.same([rows[1]![name], rows[2]![name]], ['two\nlines', 'Rossi, "Mario"']);
      t.equal(rows[1]![rows[0]!.indexOf('startTime')], '2026-11-23T09:45:00.000Z');
      const filtered = parseCsv((await app.inject({ method: 'GET', url: '/api/v1/cdrs.csv?disposition=NO%20ANSWER', headers: { authorization: `Bearer ${keys.acme}` } })).body);
      t.equal(filtered.length, 2);
      const bad = await call(app, keys.acme, 'GET', '/api/v1/cdrs.csv?from=2026-11-24&to=2026-11-23');
      t.equal(bad.status, 400, 'a bad range is a JSON error, before any row');
      t.match(bad.body.error, { field: 'from' });
      t.equal((await call(app, keys.acme, 'GET', '/api/v1/cdrs.csv?limit=10')).status, 400, 'no paging parameters');
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/customers/${keys.globexId}/cdrs.csv`)).status, 404);
    });

    t.test('CSV: a large export crosses read batches without losing or repeating a row', async (t) => {
      const tie = at('2026-11-10T12:00:00Z');
      const many = Array.from({ length: 1203 }, (_, i) => row(keys.globexId, { start: i < 700 ? tie : new Date(tie.getTime() - i * 1000), answered: false, duration: 1, caller: String(i) }));
      await ctx.store.withTenant(keys.globexId, (db) => db.insertInto('cdrs').values(many).execute());
      const res = await app.inject({ method: 'GET', url: `/api/v1/customers/${keys.globexId}/cdrs.csv?to=2026-11-11`, headers: { authorization: `Bearer ${keys.admin}` } });
      const rows = parseCsv(res.body).slice(1);
      t.equal(rows.length, 1203);
      t.equal(new Set(rows.map((r) => r[0])).size, 1203, 'every record once');
      t.same(new Set(rows.map((r) => r[0])), new Set(many.map((m) => m.id)));
    });
  });
}
