import { randomUUID } from 'node:crypto';
import t from 'tap';
import { sql, type Insertable } from 'kysely';
import type { CdrsTable } from '../../src/db/schema.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { listing } from '../helpers/listing.js';

type Disposition = CdrsTable['disposition'];
type Row = Omit<Insertable<CdrsTable>, 'metadata'> & { metadata: string; id: string; start_at: Date; billsec: number; duration_seconds: number; call_type: 'voice' | 'ai_voice' | 'transfer' };

const HANGUP: Record<Disposition, [string, number]> = {
  ANSWERED: ['NORMAL_CLEARING', 200],
  'NO ANSWER': ['NO_ANSWER', 480],
  BUSY: ['USER_BUSY', 486],
  FAILED: ['NORMAL_TEMPORARY_FAILURE', 503],
  CANCELLED: ['ORIGINATOR_CANCEL', 487],
};
const MIN = 60_000;

/** A CDR as the ESL writer would store it: times, durations and causes consistent with the disposition. */
function cdr(tenantId: string, start: Date, f: { direction: Row['direction']; disposition: Disposition; talk?: number; ring?: number; callType?: Row['call_type']; trunk?: string | null; ext?: string | null; caller: string; called: string }): Row {
  const answered = f.disposition === 'ANSWERED';
  const ring = f.ring ?? 4;
  const billsec = answered ? (f.talk ?? 60) : 0;
  const uniqueId = randomUUID();
  return {
    id: randomUUID(),
    tenant_id: tenantId,
    unique_id: uniqueId,
    other_leg_unique_id: f.direction === 'internal' ? randomUUID() : null,
    direction: f.direction,
    call_type: f.callType ?? 'voice',
    caller_number: f.caller,
    caller_name: f.direction === 'inbound' ? null : 'Mario Rossi',
    called_number: f.called,
    called_name: null,
    start_at: start,
    answer_at: answered ? new Date(start.getTime() + ring * 1000) : null,
    end_at: new Date(start.getTime() + (ring + billsec) * 1000),
    duration_seconds: ring + billsec,
    billsec,
    hangup_cause: HANGUP[f.disposition][0],
    sip_status: HANGUP[f.disposition][1],
    disposition: f.disposition,
    trunk_id: f.trunk ?? null,
    extension_id: f.ext ?? null,
    recording_url: answered ? `https://recordings.example/${uniqueId}.wav` : null,
    metadata: JSON.stringify({ uuid: uniqueId, hangup_cause: HANGUP[f.disposition][0], billsec: String(billsec) }),
  };
}

/** The answer a row should give, built from the row independently of src/api/cdrs.ts. */
const json = (r: Row) => ({
  id: r.id, callId: r.unique_id, otherLegCallId: r.other_leg_unique_id, direction: r.direction, callType: r.call_type,
  callerNumber: r.caller_number, callerName: r.caller_name, calledNumber: r.called_number, calledName: r.called_name,
  startTime: r.start_at.toISOString(), answerTime: (r.answer_at as Date | null)?.toISOString() ?? null, endTime: (r.end_at as Date).toISOString(),
  durationSeconds: r.duration_seconds, billableSeconds: r.billsec, hangupCause: r.hangup_cause, sipStatus: r.sip_status,
  disposition: r.disposition, trunkId: r.trunk_id, extensionId: r.extension_id, recordingUrl: r.recording_url, aiSessionId: null,
});

/** The stats figures, by hand: counts per disposition, sums, rounded means, the rate with two decimals. */
function statsOf(rows: Row[]) {
  const count = (d: Disposition) => rows.filter((r) => r.disposition === d).length;
  const totalDuration = rows.reduce((s, r) => s + r.duration_seconds, 0);
  const totalBillsec = rows.reduce((s, r) => s + r.billsec, 0);
  const answered = count('ANSWERED');
  const hundredths = rows.length ? Math.round((answered * 10_000) / rows.length) : 0;
  return {
    totalCalls: rows.length, answered, noAnswer: count('NO ANSWER'), busy: count('BUSY'), failed: count('FAILED'), cancelled: count('CANCELLED'),
    totalDuration, totalBillsec,
    avgDuration: rows.length ? Math.round(totalDuration / rows.length) : 0,
    avgBillsec: answered ? Math.round(totalBillsec / answered) : 0,
    answerRate: `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`,
  };
}

for (const backend of backends) {
  t.test(`${backend.name}: call detail records API`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const ids = await ctx.store.withLookup(async (db) => ({
      trunks: Object.fromEntries((await db.selectFrom('trunks').select(['name', 'id']).execute()).map((r) => [r.name, r.id])),
      ext: Object.fromEntries((await db.selectFrom('extensions').select(['tenant_id', 'extension', 'id']).execute()).map((r) => [`${r.tenant_id}/${r.extension}`, r.id])),
    }));
    const acmeExt = (n: string) => ids.ext[`${keys.acmeId}/${n}`]!;
    const main = ids.trunks['acme-main']!;
    const backup = ids.trunks['acme-backup']!;

    // Acme (Europe/Rome, UTC+1 in November): 24 calls every 3 h 17 min from 20 Nov 08:00 UTC,
    // two starting at the same instant, and three around the Rome midnight of 22/23 and 23/24 Nov.
    const DISPOSITIONS: Disposition[] = ['ANSWERED', 'ANSWERED', 'NO ANSWER', 'ANSWERED', 'BUSY', 'FAILED', 'ANSWERED', 'CANCELLED'];
    const acme: Row[] = [];
    for (let i = 0; i < 24; i++) {
      const direction = (['inbound', 'outbound', 'internal'] as const)[i % 3]!;
      const pad = String(i).padStart(4, '0');
      acme.push(cdr(keys.acmeId, new Date(Date.UTC(2026, 10, 20, 8) + i * 197 * MIN), {
        direction,
        disposition: DISPOSITIONS[i % 8]!,
        talk: 20 + i * 13,
        ring: 3 + (i % 5),
        callType: i % 5 === 0 ? 'ai_voice' : i % 7 === 3 ? 'transfer' : 'voice',
        trunk: direction === 'internal' ? null : i % 2 ? main : backup,
        ext: i % 4 === 3 ? null : i % 2 ? acmeExt('1001') : acmeExt('1002'),
        caller: direction === 'inbound' ? `+39333555${pad}` : '1001',
        called: direction === 'inbound' ? '+390510510511' : direction === 'outbound' ? `+390277${pad}` : '1002',
      }));
    }
    const tie = new Date('2026-11-21T12:00:00Z');
    acme.push(
      cdr(keys.acmeId, tie, { direction: 'inbound', disposition: 'ANSWERED', talk: 95, trunk: main, ext: acmeExt('1001'), caller: '+393297626144', called: '+390510510510', callType: 'ai_voice' }),
      cdr(keys.acmeId, tie, { direction: 'inbound', disposition: 'NO ANSWER', trunk: main, ext: acmeExt('1002'), caller: '+393297626145', called: '+390510510510' }),
      cdr(keys.acmeId, new Date('2026-11-22T22:59:59Z'), { direction: 'outbound', disposition: 'ANSWERED', talk: 7, trunk: backup, ext: acmeExt('1002'), caller: '1002', called: '+390510000001' }),
      cdr(keys.acmeId, new Date('2026-11-22T23:00:00Z'), { direction: 'outbound', disposition: 'BUSY', trunk: backup, ext: acmeExt('1002'), caller: '1002', called: '+390510000002' }),
      cdr(keys.acmeId, new Date('2026-11-23T23:00:00Z'), { direction: 'inbound', disposition: 'ANSWERED', talk: 301, trunk: main, ext: acmeExt('1001'), caller: '+15551230000', called: '+390510510511' }),
    );
    // Globex (America/New_York, UTC-5): its own calls, one to an Acme number, two around its midnight.
    const gTrunk = ids.trunks['globex-main']!;
    const gExt = ids.ext[`${keys.globexId}/1001`]!;
    const globex: Row[] = [
      cdr(keys.globexId, new Date('2026-11-21T15:00:00Z'), { direction: 'inbound', disposition: 'ANSWERED', talk: 1000, trunk: gTrunk, ext: gExt, caller: '+15559870000', called: '+15551234567' }),
      cdr(keys.globexId, new Date('2026-11-22T16:00:00Z'), { direction: 'outbound', disposition: 'ANSWERED', talk: 41, trunk: gTrunk, ext: gExt, caller: '1001', called: '+390510510511' }),
      cdr(keys.globexId, new Date('2026-11-23T03:00:00Z'), { direction: 'outbound', disposition: 'FAILED', trunk: gTrunk, ext: gExt, caller: '1001', called: '+15550000001' }),
      cdr(keys.globexId, new Date('2026-11-24T04:00:00Z'), { direction: 'inbound', disposition: 'CANCELLED', trunk: gTrunk, caller: '+15550000002', called: '+15551234567' }),
    ];
    const insert = (tenantId: string, rows: Row[]) =>
      ctx.store.withTenant(tenantId, (db) => db.insertInto('cdrs').values(rows.map((r) => ({ ...r, metadata: sql`cast(${r.metadata} as jsonb)` }))).execute());
    await insert(keys.acmeId, acme);
    await insert(keys.globexId, globex);

    const { list, newestFirst, expectRows, startIn, expectInvalid } = listing<Row>(app, 'cdrs', keys.acme, (r) => r.start_at);

    t.test('a customer lists its calls newest first, in the W3 Suite shape, without the raw variables', async (t) => {
      const res = await list(keys.acme, '');
      t.equal(res.status, 200);
      t.same(res.body.pagination, { page: 1, limit: 50, total: 29, pages: 1 });
      t.same(res.body.data, newestFirst(acme).map(json), 'every field, in order');
      t.ok(res.body.data.every((c: object) => !('metadata' in c)), 'no metadata in the list');
      const tied = res.body.data.filter((c: { startTime: string }) => c.startTime === tie.toISOString()).map((c: { id: string }) => c.id);
      t.equal(tied.length, 2);
      t.ok(tied[0] > tied[1], 'equal start times: id descending');
    });

    t.test('pagination: total, pages, page 2 and beyond the last page', async (t) => {
      const sorted = newestFirst(acme).map((r) => r.id);
      const p2 = await list(keys.acme, 'page=2&limit=10');
      t.same(p2.body.pagination, { page: 2, limit: 10, total: 29, pages: 3 });
      t.same(p2.body.data.map((c: { id: string }) => c.id), sorted.slice(10, 20));
      const p3 = await list(keys.acme, 'page=3&limit=10');
      t.same(p3.body.data.map((c: { id: string }) => c.id), sorted.slice(20));
      const p4 = await list(keys.acme, 'page=4&limit=10');
      t.same(p4.body, { data: [], pagination: { page: 4, limit: 10, total: 29, pages: 3 } });
      const all = [];
      for (let page = 1; page <= 10; page++) all.push(...(await list(keys.acme, `page=${page}&limit=3`)).body.data.map((c: { id: string }) => c.id));
      t.same(all, sorted, 'pages of 3 cover every call once, in order');
      t.same(acme.filter((r) => r.direction === 'internal' && r.trunk_id === main), [], 'internal calls use no trunk');
      t.same((await list(keys.acme, `limit=200&direction=internal&trunk=${main}`)).body, { data: [], pagination: { page: 1, limit: 200, total: 0, pages: 0 } });
    });

    t.test('filters one by one', async (t) => {
      await expectRows(t, 'direction=inbound', acme.filter((r) => r.direction === 'inbound'));
      await expectRows(t, 'direction=internal', acme.filter((r) => r.direction === 'internal'));
      await expectRows(t, 'disposition=NO%20ANSWER', acme.filter((r) => r.disposition === 'NO ANSWER'));
      await expectRows(t, 'disposition=NO+ANSWER', acme.filter((r) => r.disposition === 'NO ANSWER'));
      await expectRows(t, 'disposition=BUSY', acme.filter((r) => r.disposition === 'BUSY'));
      await expectRows(t, 'callType=ai_voice', acme.filter((r) => r.call_type === 'ai_voice'));
      await expectRows(t, 'callType=transfer', acme.filter((r) => r.call_type === 'transfer'));
      await expectRows(t, 'extension=1002', acme.filter((r) => r.extension_id === acmeExt('1002')));
      await expectRows(t, `extensionId=${acmeExt('1001')}`, acme.filter((r) => r.extension_id === acmeExt('1001')));
      await expectRows(t, 'extension=1003', [], keys.acme);
      await expectRows(t, `trunk=${backup}`, acme.filter((r) => r.trunk_id === backup));
      await expectRows(t, `trunk=${gTrunk}`, [], keys.acme);
      await expectRows(t, 'number=%2B390510510511', acme.filter((r) => r.caller_number === '+390510510511' || r.called_number === '+390510510511'));
      await expectRows(t, 'number=3297626144', acme.filter((r) => r.caller_number === '+393297626144'));
      await expectRows(t, 'number=0002', acme.filter((r) => r.caller_number!.includes('0002') || r.called_number!.includes('0002')));
      await expectRows(t, 'from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z', acme.filter(startIn('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z')));
      await expectRows(t, 'from=2026-11-21T01:00:00%2B01:00&to=2026-11-21T07:00:00-05:00', acme.filter(startIn('2026-11-21T00:00:00Z', '2026-11-21T12:00:00Z')), keys.acme);
      await expectRows(t, 'from=2026-11-21T12:00:00Z', acme.filter((r) => r.start_at >= tie), keys.acme);
      await expectRows(t, 'to=2026-11-21T12:00:00Z', acme.filter((r) => r.start_at < tie), keys.acme);
    });

    t.test("a date is that whole day in the customer's time zone", async (t) => {
      // 23 Nov in Rome (UTC+1): 22 Nov 23:00 UTC up to 23 Nov 23:00 UTC.
      const rome23 = acme.filter(startIn('2026-11-22T23:00:00Z', '2026-11-23T23:00:00Z'));
      t.ok(rome23.some((r) => r.start_at.toISOString() === '2026-11-22T23:00:00.000Z'), 'the Rome midnight call is in');
      await expectRows(t, 'from=2026-11-23&to=2026-11-23', rome23);
      await expectRows(t, 'from=2026-11-20&to=2026-11-21', acme.filter(startIn('2026-11-19T23:00:00Z', '2026-11-21T23:00:00Z')));
      await expectRows(t, 'from=2026-11-23', acme.filter((r) => r.start_at >= new Date('2026-11-22T23:00:00Z')));
      await expectRows(t, 'to=2026-11-22', acme.filter((r) => r.start_at < new Date('2026-11-22T23:00:00Z')));
      // 23 Nov in New York (UTC-5): 23 Nov 05:00 UTC up to 24 Nov 05:00 UTC.
      await expectRows(t, 'from=2026-11-23&to=2026-11-23', globex.filter(startIn('2026-11-23T05:00:00Z', '2026-11-24T05:00:00Z')), keys.globex);
      const stats = await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats?from=2026-11-23&to=2026-11-23');
      t.same(stats.body.data, statsOf(rome23));
    });

    t.test("the W3 Suite guide's startDate and endDate: the same range as from and to", async (t) => {
      // GET /api/voip/cdrs?startDate=…&endDate=… as the guide's reader sends it.
      await expectRows(t, 'startDate=2026-11-21T00:00:00Z&endDate=2026-11-22T00:00:00Z', acme.filter(startIn('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z')));
      await expectRows(t, 'startDate=2026-11-21T12:00:00Z', acme.filter((r) => r.start_at >= tie));
      // A date is that whole day in the customer's time zone: 23 Nov in Rome, then in New York.
      const rome23 = acme.filter(startIn('2026-11-22T23:00:00Z', '2026-11-23T23:00:00Z'));
      await expectRows(t, 'startDate=2026-11-23&endDate=2026-11-23', rome23);
      await expectRows(t, 'endDate=2026-11-22', acme.filter((r) => r.start_at < new Date('2026-11-22T23:00:00Z')));
      await expectRows(t, 'startDate=2026-11-23&endDate=2026-11-23', globex.filter(startIn('2026-11-23T05:00:00Z', '2026-11-24T05:00:00Z')), keys.globex);
      // One end under each name.
      await expectRows(t, 'from=2026-11-21&endDate=2026-11-22', acme.filter(startIn('2026-11-20T23:00:00Z', '2026-11-22T23:00:00Z')));
      await expectRows(t, 'direction=inbound&startDate=2026-11-22', acme.filter((r) => r.direction === 'inbound' && r.start_at >= new Date('2026-11-21T23:00:00Z')));
      // The Welcomedly guide's calls/stats?startDate=2025-10-01&endDate=2025-10-31, and the CSV of the list.
      const stats = await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats?startDate=2026-11-23&endDate=2026-11-23');
      t.same(stats.body.data, statsOf(rome23));
      const csv = await app.inject({ method: 'GET', url: '/api/v1/cdrs.csv?startDate=2026-11-23&endDate=2026-11-23', headers: { authorization: `Bearer ${keys.acme}` } });
      t.equal(csv.statusCode, 200);
      t.same(csv.body.trimEnd().split('\r\n').slice(1).map((line) => line.split(',')[0]), newestFirst(rome23).map((r) => r.id));
    });

    t.test('filters combined', async (t) => {
      await expectRows(t, `direction=inbound&disposition=ANSWERED&trunk=${main}`, acme.filter((r) => r.direction === 'inbound' && r.disposition === 'ANSWERED' && r.trunk_id === main));
      await expectRows(t, `direction=outbound&extension=1002&from=2026-11-21&to=2026-11-23`,
        acme.filter((r) => r.direction === 'outbound' && r.extension_id === acmeExt('1002') && startIn('2026-11-20T23:00:00Z', '2026-11-23T23:00:00Z')(r)));
      await expectRows(t, 'number=%2B39333555&callType=voice&disposition=ANSWERED', acme.filter((r) => r.caller_number!.startsWith('+39333555') && r.call_type === 'voice' && r.disposition === 'ANSWERED'));
      const paged = await list(keys.acme, `direction=inbound&trunk=${main}&limit=2&page=2`);
      const expected = newestFirst(acme.filter((r) => r.direction === 'inbound' && r.trunk_id === main));
      t.same(paged.body.data.map((c: { id: string }) => c.id), expected.slice(2, 4).map((r) => r.id));
      t.same(paged.body.pagination, { page: 2, limit: 2, total: expected.length, pages: Math.ceil(expected.length / 2) });
    });

    t.test('stats: every figure, over all calls and filtered, computed in SQL', async (t) => {
      const all = await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats');
      t.equal(all.status, 200);
      t.same(all.body.data, statsOf(acme));
      t.equal(all.body.data.totalCalls, 29);
      t.not(all.body.data.answerRate, '0.00');
      const cases: Array<[string, (r: Row) => boolean]> = [
        ['direction=inbound', (r) => r.direction === 'inbound'],
        [`trunk=${backup}&from=2026-11-21T00:00:00Z`, (r) => r.trunk_id === backup && r.start_at >= new Date('2026-11-21T00:00:00Z')],
        ['extension=1001&callType=voice', (r) => r.extension_id === acmeExt('1001') && r.call_type === 'voice'],
        ['disposition=BUSY', (r) => r.disposition === 'BUSY'],
        ['number=0510510510', (r) => r.called_number === '+390510510510'],
      ];
      for (const [query, keep] of cases) {
        const res = await call(app, keys.acme, 'GET', `/api/v1/cdrs/stats?${query}`);
        t.same(res.body.data, statsOf(acme.filter(keep)), query);
      }
      t.same((await call(app, keys.globex, 'GET', '/api/v1/cdrs/stats')).body.data, statsOf(globex), 'Globex figures are its own');
    });

    t.test('stats with no calls: zeros and answerRate "0.00"', async (t) => {
      const zero = { totalCalls: 0, answered: 0, noAnswer: 0, busy: 0, failed: 0, cancelled: 0, totalDuration: 0, totalBillsec: 0, avgDuration: 0, avgBillsec: 0, answerRate: '0.00' };
      t.same((await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats?from=2030-01-01')).body.data, zero);
      t.same((await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats?direction=internal&disposition=NO%20ANSWER&callType=ai_voice')).body.data,
        statsOf(acme.filter((r) => r.direction === 'internal' && r.disposition === 'NO ANSWER' && r.call_type === 'ai_voice')));
      // Only unanswered calls: a rate of 0 and no answered call to average billsec over.
      const busy = await call(app, keys.acme, 'GET', '/api/v1/cdrs/stats?disposition=BUSY');
      t.equal(busy.body.data.answerRate, '0.00');
      t.equal(busy.body.data.avgBillsec, 0);
      t.ok(busy.body.data.avgDuration > 0);
    });

    t.test('one record by id or by call id, with the raw FreeSWITCH variables', async (t) => {
      const row = acme[5]!;
      const byId = await call(app, keys.acme, 'GET', `/api/v1/cdrs/${row.id}`);
      t.equal(byId.status, 200);
      t.same(byId.body.data, { ...json(row), metadata: JSON.parse(row.metadata) });
      const byCallId = await call(app, keys.acme, 'GET', `/api/v1/cdrs/${row.unique_id}`);
      t.same(byCallId.body.data, byId.body.data);
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/cdrs/${randomUUID()}`)).status, 404);
      const notUuid = await call(app, keys.acme, 'GET', '/api/v1/cdrs/not-a-call');
      t.equal(notUuid.status, 404);
      t.equal(notUuid.body.error.code, 'not_found');
    });

    t.test("Globex never sees Acme's calls", async (t) => {
      const res = await list(keys.globex, 'limit=200');
      t.same(res.body.data.map((c: { id: string }) => c.id), newestFirst(globex).map((r) => r.id));
      t.equal(res.body.pagination.total, 4);
      await expectRows(t, 'number=%2B390510510511', globex.filter((r) => r.called_number === '+390510510511'), keys.globex);
      await expectRows(t, `trunk=${main}`, [], keys.globex);
      await expectRows(t, `extensionId=${acmeExt('1001')}`, [], keys.globex);
      const row = acme[0]!;
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/cdrs/${row.id}`)).status, 404, 'by id');
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/cdrs/${row.unique_id}`)).status, 404, 'by call id');
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/customers/${keys.acmeId}/cdrs`)).status, 404, "Acme's customer path");
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/customers/${keys.acmeId}/cdrs/stats`)).status, 404);
      t.equal((await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.globexId}/cdrs/${row.id}`)).status, 404, 'admin acting as Globex');
    });

    t.test('admin path form, X-Tenant-ID, and a read-only key', async (t) => {
      const direct = (await list(keys.acme, 'page=2&limit=5&direction=outbound')).body;
      const viaPath = await list(keys.admin, 'page=2&limit=5&direction=outbound', {}, `/api/v1/customers/${keys.acmeId}`);
      t.equal(viaPath.status, 200);
      t.same(viaPath.body, direct);
      const viaHeader = await list(keys.admin, 'page=2&limit=5&direction=outbound', { 'x-tenant-id': keys.acmeId });
      t.same(viaHeader.body, direct);
      const readOnly = await list(keys.acmeRead, 'page=2&limit=5&direction=outbound');
      t.same(readOnly.body, direct);
      const stats = statsOf(acme);
      t.same((await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}/cdrs/stats`)).body.data, stats);
      t.same((await call(app, keys.admin, 'GET', '/api/v1/cdrs/stats', undefined, { 'x-tenant-id': keys.acmeId })).body.data, stats);
      t.same((await call(app, keys.acmeRead, 'GET', '/api/v1/cdrs/stats')).body.data, stats);
      const row = acme[7]!;
      t.equal((await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}/cdrs/${row.unique_id}`)).body.data.id, row.id);
      t.equal((await call(app, keys.admin, 'GET', `/api/v1/cdrs/${row.id}`, undefined, { 'x-tenant-id': keys.acmeId })).body.data.id, row.id);
      t.equal((await call(app, keys.acmeRead, 'GET', `/api/v1/cdrs/${row.id}`)).body.data.id, row.id);
      t.equal((await list(keys.admin, '')).body.error.code, 'tenant_required');
      t.equal((await list(keys.admin, '', {}, '/api/v1/customers/00000000-0000-4000-8000-000000000000')).status, 404);
      t.equal((await call(app, keys.admin, 'GET', '/api/v1/customers/00000000-0000-4000-8000-000000000000/cdrs/stats')).status, 404);
      t.equal((await list(null, '')).status, 401);
    });

    t.test('validation errors name the field', async (t) => {
      await expectInvalid(t, [
        ['direction=sideways', 'direction'],
        ['disposition=ANSWER', 'disposition'],
        ['disposition=answered', 'disposition'],
        ['callType=video', 'callType'],
        ['trunk=acme-main', 'trunk'],
        ['extensionId=1001', 'extensionId'],
        ['extension=10a1', 'extension'],
        ['number=abc', 'number'],
      ]);
      for (const [query, field] of [
        ['from=2026-11-24&to=2026-11-23', 'from'], ['startDate=2026-11-24&endDate=2026-11-23', 'startDate'], ['to=2026-11-23&endDate=2026-11-23', 'endDate'],
        ['direction=up', 'direction'], ['trunk=x', 'trunk'], ['page=2', 'page'],
      ]) {
        const res = await call(app, keys.acme, 'GET', `/api/v1/cdrs/stats?${query}`);
        t.equal(res.status, 400, `stats ${query}`);
        t.match(res.body.error, { code: 'validation_failed', field }, `stats ${query}`);
      }
    });
  });
}
