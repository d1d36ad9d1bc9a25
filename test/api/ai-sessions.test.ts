import { randomUUID } from 'node:crypto';
import t from 'tap';
import { sql, type Selectable } from 'kysely';
import type { AiSessionsTable } from '../../src/db/schema.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { listing } from '../helpers/listing.js';

type Sentiment = 'positive' | 'neutral' | 'negative';
interface Turn { role: 'assistant' | 'user'; text: string; timestamp: string }
interface Action { action: string; timestamp: string; params: Record<string, string>; result: Record<string, string> }
/** An AI session as the media bridge would store it, with its transcript and actions as values. */
type Session = Omit<Selectable<AiSessionsTable>, 'transcript' | 'actions_taken' | 'created_at'> & { transcript: Turn[]; actions_taken: Action[] };

const SEC = 1000;
const MIN = 60 * SEC;
const iso = (start: Date, seconds: number) => new Date(start.getTime() + seconds * SEC).toISOString();

/** A session: `turns` transcript entries alternating agent and caller 7 s apart; a ticket and/or a transfer as actions. */
function session(tenantId: string, start: Date, f: {
  caller: string; did: string; profile?: string | null; sentiment?: Sentiment | null; score?: number | null; turns: number;
  ticket?: string; transferTo?: string; failure?: string; open?: boolean;
}): Session {
  const transcript: Turn[] = Array.from({ length: f.turns }, (_, i) => ({
    role: i % 2 ? 'user' : 'assistant',
    text: i === 0 ? 'Buongiorno, sono l\'assistente di Acme: come posso aiutarla?' : i % 2 ? `Domanda ${i} del cliente` : `Risposta ${i} dell'assistente`,
    timestamp: iso(start, i * 7),
  }));
  const actions: Action[] = [];
  if (f.ticket) actions.push({ action: 'create_ticket', timestamp: iso(start, 20), params: { subject: f.ticket, priority: 'medium' }, result: { ticketId: `TKT-${start.getTime() % 100_000}`, status: 'success' } });
  if (f.transferTo) actions.push({ action: 'transfer_to_human', timestamp: iso(start, 40), params: { extension: f.transferTo, reason: 'customer_request' }, result: { status: 'completed' } });
  const duration = f.open ? null : f.turns * 7 + 5;
  return {
    id: randomUUID(),
    tenant_id: tenantId,
    call_id: randomUUID(),
    openai_session_id: f.failure ? null : `sess_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
    agent_profile: f.profile === undefined ? 'customer-care-voice' : f.profile,
    caller_number: f.caller,
    did: f.did,
    started_at: start,
    ended_at: duration === null ? null : new Date(start.getTime() + duration * SEC),
    duration_seconds: duration,
    transcript,
    actions_taken: actions,
    transfer_target: f.transferTo ?? null,
    transfer_reason: f.transferTo ? 'customer_request' : null,
    failure_reason: f.failure ?? null,
    sentiment: f.sentiment === undefined ? 'neutral' : f.sentiment,
    satisfaction_score: f.score ?? null,
  };
}

/** A list item, built from the session independently of src/api/ai-sessions.ts. */
const item = (s: Session) => ({
  id: s.id, callId: s.call_id, sessionId: s.openai_session_id, aiAgentRef: s.agent_profile, callerNumber: s.caller_number,
  didNumber: s.did, startTs: s.started_at.toISOString(), endTs: s.ended_at?.toISOString() ?? null, durationSeconds: s.duration_seconds,
  actionsTaken: s.actions_taken, transferredTo: s.transfer_target, transferReason: s.transfer_reason, failureReason: s.failure_reason,
  sentiment: s.sentiment, satisfactionScore: s.satisfaction_score, transcriptTurns: s.transcript.length,
});
/** The detail answer: the item without the count, with the transcript and the linked CDR. */
const detail = (s: Session, cdrId: string | null) => {
  const { transcriptTurns: _, ...rest } = item(s);
  return { ...rest, transcript: s.transcript, cdrId };
};

for (const backend of backends) {
  t.test(`${backend.name}: AI sessions API`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;

    // Acme (Europe/Rome, UTC+1 in November): 14 sessions every 5 h 11 min from 20 Nov 07:00 UTC on
    // two DIDs and two profiles, two starting at the same instant, two around the Rome midnight of 22/23 Nov,
    // one that failed before the OpenAI session was made, one still open.
    const SENTIMENTS: Array<Sentiment | null> = ['positive', 'neutral', 'negative', 'positive', null, 'neutral', 'positive'];
    const acme: Session[] = [];
    for (let i = 0; i < 14; i++) {
      const pad = String(i).padStart(4, '0');
      acme.push(session(keys.acmeId, new Date(Date.UTC(2026, 10, 20, 7) + i * 311 * MIN), {
        caller: `+39333777${pad}`,
        did: i % 3 ? '+390510510510' : '+390510510511',
        profile: i % 4 === 3 ? 'sales-voice' : 'customer-care-voice',
        sentiment: SENTIMENTS[i % 7]!,
        score: SENTIMENTS[i % 7] === null ? null : 1 + (i % 5),
        turns: 2 + (i % 6),
        ...(i % 3 === 1 ? { ticket: `Richiesta informazioni prodotto ${i}` } : {}),
        ...(i % 5 === 2 ? { transferTo: '1002' } : {}),
      }));
    }
    const tie = new Date('2026-11-21T12:00:00Z');
    acme.push(
      session(keys.acmeId, tie, { caller: '+393297626144', did: '+390510510510', sentiment: 'positive', score: 5, turns: 9, ticket: 'Ordine in ritardo', transferTo: '1001' }),
      session(keys.acmeId, tie, { caller: '+393297626145', did: '+390510510511', sentiment: 'negative', score: 1, turns: 3 }),
      session(keys.acmeId, new Date('2026-11-22T22:59:59Z'), { caller: '+15551230000', did: '+390510510510', profile: 'sales-voice', sentiment: 'neutral', turns: 4 }),
      session(keys.acmeId, new Date('2026-11-22T23:00:00Z'), { caller: '+390510510511', did: '+390510510510', sentiment: 'positive', score: 4, turns: 6 }),
      session(keys.acmeId, new Date('2026-11-23T09:30:00Z'), { caller: '+393400000001', did: '+390510510511', profile: null, sentiment: null, turns: 0, failure: 'openai_unavailable' }),
      session(keys.acmeId, new Date('2026-11-24T10:00:00Z'), { caller: '+393400000002', did: '+390510510510', sentiment: null, turns: 5, open: true }),
    );
    // Globex (America/New_York, UTC-5): its own sessions, one from an Acme DID, two around its midnight.
    const globex: Session[] = [
      session(keys.globexId, new Date('2026-11-21T15:00:00Z'), { caller: '+15559870000', did: '+15551234567', profile: 'support', sentiment: 'positive', score: 5, turns: 12 }),
      session(keys.globexId, new Date('2026-11-23T04:59:59Z'), { caller: '+390510510510', did: '+15551234567', profile: 'support', sentiment: 'negative', score: 2, turns: 4, transferTo: '1001' }),
      session(keys.globexId, new Date('2026-11-23T05:00:00Z'), { caller: '+15550000002', did: '+15551234567', profile: 'support', sentiment: 'neutral', turns: 2 }),
    ];
    const insert = (tenantId: string, rows: Session[]) =>
      ctx.store.withTenant(tenantId, (db) =>
        db.insertInto('ai_sessions').values(rows.map((s) => ({ ...s, transcript: sql`cast(${JSON.stringify(s.transcript)} as jsonb)`, actions_taken: sql`cast(${JSON.stringify(s.actions_taken)} as jsonb)` }))).execute());
    await insert(keys.acmeId, acme);
    await insert(keys.globexId, globex);

    // The CDRs: the call of the tied session is linked; a Globex CDR names another Acme session (it must not show).
    const linked = acme[14]!;
    const cdr = (tenantId: string, s: Session, aiSessionId: string) => ({
      id: randomUUID(), tenant_id: tenantId, unique_id: s.call_id, direction: 'inbound' as const, call_type: 'ai_voice' as const,
      caller_number: s.caller_number, called_number: s.did, start_at: s.started_at, end_at: s.ended_at, duration_seconds: s.duration_seconds ?? 0,
      billsec: s.duration_seconds ?? 0, disposition: 'ANSWERED' as const, ai_session_id: aiSessionId,
    });
    const acmeCdr = cdr(keys.acmeId, linked, linked.id);
    await ctx.store.withTenant(keys.acmeId, (db) => db.insertInto('cdrs').values(acmeCdr).execute());
    const foreignLinked = acme[3]!;
    await ctx.store.withTenant(keys.globexId, (db) => db.insertInto('cdrs').values(cdr(keys.globexId, globex[0]!, foreignLinked.id)).execute());

    const { list, newestFirst, expectRows, startIn, expectInvalid } = listing<Session>(app, 'ai-sessions', keys.acme, (s) => s.started_at);
    const get = (key: string | null, id: string, headers: Record<string, string> = {}, prefix = '/api/v1') => call(app, key, 'GET', `${prefix}/ai-sessions/${id}`, undefined, headers);

    t.test('a customer lists its sessions newest first, with actions and turn counts but no transcript', async (t) => {
      const res = await list(keys.acme, '');
      t.equal(res.status, 200);
      t.same(res.body.pagination, { page: 1, limit: 50, total: 20, pages: 1 });
      t.same(res.body.data, newestFirst(acme).map(item), 'every field, in order');
      t.ok(res.body.data.every((s: object) => !('transcript' in s) && !('cdrId' in s)), 'no transcript in the list');
      const tied = res.body.data.filter((s: { startTs: string }) => s.startTs === tie.toISOString()).map((s: { id: string }) => s.id);
      t.equal(tied.length, 2);
      t.ok(tied[0] > tied[1], 'equal start times: id descending');
      const withBoth = res.body.data.find((s: { id: string }) => s.id === linked.id);
      t.same(withBoth.actionsTaken.map((a: Action) => a.action), ['create_ticket', 'transfer_to_human']);
      t.equal(withBoth.transcriptTurns, 9);
      t.equal(withBoth.transferredTo, '1001');
      const failed = res.body.data.find((s: { failureReason: string | null }) => s.failureReason === 'openai_unavailable');
      t.match(failed, { sessionId: null, aiAgentRef: null, transcriptTurns: 0, actionsTaken: [], sentiment: null });
      t.match(res.body.data[0], { endTs: null, durationSeconds: null, transcriptTurns: 5 }, 'the open session is the newest');
    });

    t.test('pagination: total, pages, page 2 and beyond the last page', async (t) => {
      const sorted = newestFirst(acme).map((s) => s.id);
      const p2 = await list(keys.acme, 'page=2&limit=8');
      t.same(p2.body.pagination, { page: 2, limit: 8, total: 20, pages: 3 });
      t.same(p2.body.data.map((s: { id: string }) => s.id), sorted.slice(8, 16));
      const p3 = await list(keys.acme, 'page=3&limit=8');
      t.same(p3.body.data.map((s: { id: string }) => s.id), sorted.slice(16));
      t.same((await list(keys.acme, 'page=4&limit=8')).body, { data: [], pagination: { page: 4, limit: 8, total: 20, pages: 3 } });
      const all = [];
      for (let page = 1; page <= 7; page++) all.push(...(await list(keys.acme, `page=${page}&limit=3`)).body.data.map((s: { id: string }) => s.id));
      t.same(all, sorted, 'pages of 3 cover every session once, in order');
      t.same((await list(keys.acme, 'sentiment=negative&agentProfile=nobody')).body, { data: [], pagination: { page: 1, limit: 50, total: 0, pages: 0 } });
    });

    t.test('filters one by one', async (t) => {
      for (const sentiment of ['positive', 'neutral', 'negative'] as const) {
        const expected = acme.filter((s) => s.sentiment === sentiment);
        t.ok(expected.length >= 3, `several ${sentiment} sessions`);
        await expectRows(t, `sentiment=${sentiment}`, expected);
      }
      await expectRows(t, 'agentProfile=sales-voice', acme.filter((s) => s.agent_profile === 'sales-voice'));
      await expectRows(t, 'agentProfile=customer-care-voice', acme.filter((s) => s.agent_profile === 'customer-care-voice'));
      await expectRows(t, 'agentProfile=support', []);
      // The DID +390510510511, and one session whose caller is that number (called on the other DID).
      const on511 = acme.filter((s) => s.did === '+390510510511' || s.caller_number === '+390510510511');
      t.ok(on511.some((s) => s.did === '+390510510510'), 'matched by the caller number');
      await expectRows(t, 'number=%2B390510510511', on511);
      await expectRows(t, 'number=0510510511', on511);
      await expectRows(t, 'number=3297626144', acme.filter((s) => s.caller_number === '+393297626144'));
      await expectRows(t, 'number=%2B39333777', acme.filter((s) => s.caller_number!.startsWith('+39333777')));
      await expectRows(t, 'number=0007', acme.filter((s) => s.caller_number!.includes('0007')));
      await expectRows(t, 'number=%2B15551234567', []);
      await expectRows(t, 'from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z', acme.filter(startIn('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z')));
      await expectRows(t, 'from=2026-11-21T01:00:00%2B01:00&to=2026-11-21T07:00:00-05:00', acme.filter(startIn('2026-11-21T00:00:00Z', '2026-11-21T12:00:00Z')));
      await expectRows(t, 'from=2026-11-21T12:00:00Z', acme.filter((s) => s.started_at >= tie));
      await expectRows(t, 'to=2026-11-21T12:00:00Z', acme.filter((s) => s.started_at < tie));
    });

    t.test("a date is that whole day in the customer's time zone", async (t) => {
      // 23 Nov in Rome (UTC+1): 22 Nov 23:00 UTC up to 23 Nov 23:00 UTC.
      const rome23 = acme.filter(startIn('2026-11-22T23:00:00Z', '2026-11-23T23:00:00Z'));
      t.ok(rome23.some((s) => s.started_at.toISOString() === '2026-11-22T23:00:00.000Z'), 'the Rome midnight session is in');
      t.notOk(rome23.some((s) => s.started_at.toISOString() === '2026-11-22T22:59:59.000Z'), 'the one a second before is out');
      await expectRows(t, 'from=2026-11-23&to=2026-11-23', rome23);
      await expectRows(t, 'from=2026-11-20&to=2026-11-21', acme.filter(startIn('2026-11-19T23:00:00Z', '2026-11-21T23:00:00Z')));
      await expectRows(t, 'from=2026-11-23', acme.filter((s) => s.started_at >= new Date('2026-11-22T23:00:00Z')));
      await expectRows(t, 'to=2026-11-22', acme.filter((s) => s.started_at < new Date('2026-11-22T23:00:00Z')));
      // 23 Nov in New York (UTC-5): 23 Nov 05:00 UTC up to 24 Nov 05:00 UTC.
      await expectRows(t, 'from=2026-11-23&to=2026-11-23', [globex[2]!], keys.globex);
      await expectRows(t, 'to=2026-11-22', [globex[0]!, globex[1]!], keys.globex);
      await expectRows(t, 'from=2026-11-22&to=2026-11-22', [globex[1]!], keys.globex);
    });

    t.test("the W3 Suite guide's startDate and endDate: the same range as from and to", async (t) => {
      // GET /api/voip/ai-sessions?startDate=…&endDate=…&sentiment=positive as the guide's reader sends it.
      await expectRows(t, 'startDate=2026-11-21T00:00:00Z&endDate=2026-11-22T00:00:00Z', acme.filter(startIn('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z')));
      await expectRows(t, 'endDate=2026-11-21T12:00:00Z', acme.filter((s) => s.started_at < tie));
      await expectRows(t, 'startDate=2026-11-21&sentiment=positive', acme.filter((s) => s.sentiment === 'positive' && s.started_at >= new Date('2026-11-20T23:00:00Z')));
      // A date is that whole day in the customer's time zone: 23 Nov in Rome, then in New York.
      await expectRows(t, 'startDate=2026-11-23&endDate=2026-11-23', acme.filter(startIn('2026-11-22T23:00:00Z', '2026-11-23T23:00:00Z')));
      await expectRows(t, 'startDate=2026-11-23&endDate=2026-11-23', [globex[2]!], keys.globex);
      await expectRows(t, 'startDate=2026-11-22&to=2026-11-22', [globex[1]!], keys.globex);
    });

    t.test('filters combined', async (t) => {
      await expectRows(t, 'sentiment=positive&number=0510510510', acme.filter((s) => s.sentiment === 'positive' && (s.did === '+390510510510' || s.caller_number === '+390510510510')));
      await expectRows(t, 'agentProfile=customer-care-voice&sentiment=neutral&from=2026-11-21&to=2026-11-23',
        acme.filter((s) => s.agent_profile === 'customer-care-voice' && s.sentiment === 'neutral' && startIn('2026-11-20T23:00:00Z', '2026-11-23T23:00:00Z')(s)));
      const expected = newestFirst(acme.filter((s) => s.did === '+390510510510'));
      const paged = await list(keys.acme, 'number=%2B390510510510&limit=3&page=2');
      t.same(paged.body.data.map((s: { id: string }) => s.id), expected.slice(3, 6).map((s) => s.id));
      t.same(paged.body.pagination, { page: 2, limit: 3, total: expected.length, pages: Math.ceil(expected.length / 3) });
    });

    t.test('one session by id or by call id, with the whole transcript, the actions and the linked CDR', async (t) => {
      const byId = await get(keys.acme, linked.id);
      t.equal(byId.status, 200);
      t.same(byId.body.data, detail(linked, acmeCdr.id));
      t.equal(byId.body.data.transcript.length, 9);
      t.same(byId.body.data.transcript.map((x: Turn) => x.role), ['assistant', 'user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user', 'assistant'], 'both sides, in order');
      t.same(byId.body.data.transcript.map((x: Turn) => x.timestamp), linked.transcript.map((x) => x.timestamp), 'with their timestamps');
      t.same((await get(keys.acme, linked.call_id)).body.data, byId.body.data, 'by call id');
      const unlinked = acme[7]!;
      t.same((await get(keys.acme, unlinked.call_id)).body.data, detail(unlinked, null), 'no CDR yet: cdrId null');
      t.equal((await get(keys.acme, foreignLinked.id)).body.data.cdrId, null, "another customer's CDR naming the session is not its CDR");
      const failed = acme.find((s) => s.failure_reason)!;
      t.same((await get(keys.acme, failed.id)).body.data, detail(failed, null), 'an empty transcript');
      t.equal((await get(keys.acme, randomUUID())).status, 404);
      const notUuid = await get(keys.acme, 'not-a-call');
      t.equal(notUuid.status, 404);
      t.equal(notUuid.body.error.code, 'not_found');
    });

    t.test("Globex never sees Acme's sessions", async (t) => {
      const res = await list(keys.globex, 'limit=200');
      t.same(res.body.data, newestFirst(globex).map(item));
      t.equal(res.body.pagination.total, 3);
      await expectRows(t, 'number=%2B390510510510', [globex[1]!], keys.globex);
      await expectRows(t, 'agentProfile=customer-care-voice', [], keys.globex);
      for (const s of [linked, acme[0]!]) {
        t.equal((await get(keys.globex, s.id)).status, 404, 'by id');
        t.equal((await get(keys.globex, s.call_id)).status, 404, 'by call id');
        t.equal((await get(keys.admin, s.id, {}, `/api/v1/customers/${keys.globexId}`)).status, 404, 'admin acting as Globex');
        t.equal((await get(keys.admin, s.call_id, { 'x-tenant-id': keys.globexId })).status, 404, 'admin with X-Tenant-ID Globex');
      }
      t.equal((await list(keys.globex, '', {}, `/api/v1/customers/${keys.acmeId}`)).status, 404, "Acme's customer path");
      t.equal((await get(keys.globex, linked.id, {}, `/api/v1/customers/${keys.acmeId}`)).status, 404);
      t.same((await get(keys.globex, globex[1]!.id)).body.data, detail(globex[1]!, null));
    });

    t.test('admin path form, X-Tenant-ID, and a read-only key', async (t) => {
      const query = 'page=2&limit=4&agentProfile=customer-care-voice';
      const direct = (await list(keys.acme, query)).body;
      t.equal(direct.data.length, 4);
      const viaPath = await list(keys.admin, query, {}, `/api/v1/customers/${keys.acmeId}`);
      t.equal(viaPath.status, 200);
      t.same(viaPath.body, direct);
      t.same((await list(keys.admin, query, { 'x-tenant-id': keys.acmeId })).body, direct);
      t.same((await list(keys.acmeRead, query)).body, direct);
      const expected = detail(linked, acmeCdr.id);
      t.same((await get(keys.admin, linked.call_id, {}, `/api/v1/customers/${keys.acmeId}`)).body.data, expected);
      t.same((await get(keys.admin, linked.id, { 'x-tenant-id': keys.acmeId })).body.data, expected);
      t.same((await get(keys.acmeRead, linked.id)).body.data, expected);
      t.equal((await list(keys.admin, '')).body.error.code, 'tenant_required');
      t.equal((await get(keys.admin, linked.id)).body.error.code, 'tenant_required');
      t.equal((await list(keys.admin, '', {}, '/api/v1/customers/00000000-0000-4000-8000-000000000000')).status, 404);
      t.equal((await get(keys.admin, linked.id, {}, '/api/v1/customers/00000000-0000-4000-8000-000000000000')).status, 404);
      t.equal((await list(null, '')).status, 401);
      t.equal((await get(null, linked.id)).status, 401);
    });

    t.test('validation errors name the field', async (t) => {
      await expectInvalid(t, [
        ['sentiment=happy', 'sentiment'],
        ['sentiment=Positive', 'sentiment'],
        ['number=abc', 'number'],
        ['number=', 'number'],
        ['agentProfile=Customer%20Care', 'agentProfile'],
        ['agentProfile=', 'agentProfile'],
        ['aiAgentRef=sales-voice', 'aiAgentRef'],
      ]);
    });
  });
}
