import t from 'tap';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { cdrFromEvent, cdrFromJsonCdr, type JsonCdrDocument } from '../../src/cdr/records.js';
import type { Store } from '../../src/db/store.js';
import { backends } from '../helpers/backends.js';
import { cdrRig, hangupEvent, RECORDED_HANGUP } from '../helpers/cdr.js';
import { eventually } from '../helpers/eventually.js';

const ACME = 'acme.switchplane.test';
const usToDate = (us: string) => new Date(Math.floor(Number(us) / 1000));

/** A store whose ingest transactions fail like an unreachable server while `down.is` is true. */
function flaky(down: { is: boolean; attempts: number }) {
  return (store: Store): Store => ({
    ...store,
    withIngest: (fn) => {
      if (!down.is) return store.withIngest(fn);
      down.attempts++;
      return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    },
  });
}

const counter = async (rig: { metrics: { registry: { getSingleMetricAsString(n: string): Promise<string> } } }, name: string, labels: string) => {
  const text = await rig.metrics.registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

for (const backend of backends) {
  t.test(`CDR writer on ${backend.name}`, async (t) => {
    t.test('a finished call of a tenant\'s phone becomes one row with the event\'s values', async (t) => {
      const rig = await cdrRig(t, backend);
      const event = hangupEvent({ variable_accountcode: rig.acmeId, variable_domain_name: ACME, variable_switchplane_direction: 'internal' });
      rig.writer.handle(event);
      await rig.writer.idle();
      const rows = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('cdrs').selectAll().execute());
      t.equal(rows.length, 1);
      const row = rows[0]!;
      const e = event as Record<string, string>;
      t.equal(row.tenant_id, rig.acmeId);
      t.equal(row.unique_id, e['Unique-ID']);
      t.equal(row.other_leg_unique_id, null);
      t.equal(row.direction, 'internal');
      t.equal(row.call_type, 'voice');
      t.equal(row.caller_number, e['Caller-Caller-ID-Number']);
      t.equal(row.caller_name, e['Caller-Caller-ID-Name']);
      t.equal(row.called_number, e['Caller-Destination-Number']);
      t.equal(row.called_name, null);
      t.same(row.start_at, usToDate(e.variable_start_uepoch!));
      t.same(row.answer_at, usToDate(e.variable_answer_uepoch!));
      t.same(row.end_at, usToDate(e.variable_end_uepoch!));
      t.equal(row.duration_seconds, Number(e.variable_duration));
      t.equal(row.billsec, Number(e.variable_billsec));
      t.equal(row.hangup_cause, e.variable_hangup_cause);
      t.equal(row.sip_status, null);
      t.equal(row.disposition, 'ANSWERED');
      t.equal(row.trunk_id, null);
      t.equal(row.extension_id, await rig.extensionId(rig.acmeId, '1001'), 'user_name 1001 is Acme\'s extension 1001');
      t.equal(row.recording_url, null);
      t.equal(row.ai_session_id, null);
      const metadata = row.metadata as unknown as Record<string, string>;
      t.equal(metadata.sip_call_id, e.variable_sip_call_id);
      t.equal(Object.keys(metadata).length, Object.keys(e).filter((k) => k.startsWith('variable_')).length);
      const other = await rig.store.withTenant(rig.globexId, (db) => db.selectFrom('cdrs').selectAll().execute());
      t.same(other, [], 'Globex sees none of it');
      t.equal(await counter(rig, 'switchplane_calls_total', 'direction="internal",disposition="ANSWERED"'), 1);
      t.equal(await counter(rig, 'switchplane_cdrs_written_total', 'source="esl",result="inserted"'), 1);
      t.same(readdirSync(rig.spoolDir), [], 'the committed batch has left the spool');
    });

    t.test('a call out through a trunk counts on that trunk once, however often it is reported', async (t) => {
      const rig = await cdrRig(t, backend);
      const main = await rig.trunkId('acme-main');
      const out = (fields: Record<string, string>) =>
        hangupEvent({ variable_accountcode: rig.acmeId, variable_sip_gateway_name: main, 'Call-Direction': 'outbound', variable_switchplane_direction: 'outbound', ...fields });
      const answered = out({ variable_sip_term_status: '200' });
      const busy = out({ variable_answer_uepoch: '0', 'Caller-Channel-Answered-Time': '0', variable_billsec: '0', variable_hangup_cause: 'USER_BUSY', variable_sip_term_status: '486' });
      const failed = out({ variable_answer_uepoch: '0', 'Caller-Channel-Answered-Time': '0', variable_billsec: '0', variable_hangup_cause: 'NORMAL_TEMPORARY_FAILURE', variable_sip_term_status: '503' });
      for (const e of [answered, busy, failed, answered, busy]) rig.writer.handle(e);
      await rig.writer.idle();
      rig.writer.handle(failed);
      await rig.writer.idle();
      const rows = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('cdrs').select(['unique_id', 'disposition', 'sip_status', 'trunk_id', 'direction']).orderBy('sip_status').execute());
      t.same(rows.map((r) => [r.disposition, r.sip_status, r.trunk_id, r.direction]), [
        ['ANSWERED', 200, main, 'outbound'],
        ['BUSY', 486, main, 'outbound'],
        ['FAILED', 503, main, 'outbound'],
      ]);
      const trunk = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('trunks').select(['total_calls', 'successful_calls', 'failed_calls']).where('id', '=', main).executeTakeFirstOrThrow());
      t.same([Number(trunk.total_calls), Number(trunk.successful_calls), Number(trunk.failed_calls)], [3, 1, 1]);
    });

    t.test('a gateway name of another tenant\'s trunk is not linked', async (t) => {
      const rig = await cdrRig(t, backend);
      const main = await rig.trunkId('acme-main');
      rig.writer.handle(hangupEvent({ variable_accountcode: rig.globexId, variable_sip_gateway_name: main }));
      await rig.writer.idle();
      const [row] = await rig.store.withTenant(rig.globexId, (db) => db.selectFrom('cdrs').select(['trunk_id', 'extension_id']).execute());
      t.same(row, { trunk_id: null, extension_id: await rig.extensionId(rig.globexId, '1001') });
      const trunk = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('trunks').select('total_calls').where('id', '=', main).executeTakeFirstOrThrow());
      t.equal(Number(trunk.total_calls), 0);
    });

    t.test('a leg of a DID call is found by its number; one with no tenant is kept aside', async (t) => {
      const rig = await cdrRig(t, backend);
      const did = hangupEvent({ 'Caller-Context': 'public', 'Caller-Destination-Number': '+390510510511' });
      const lost = hangupEvent();
      rig.writer.handle(did);
      rig.writer.handle(lost);
      await rig.writer.idle();
      const [row] = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('cdrs').select(['unique_id', 'direction']).execute());
      t.same(row, { unique_id: did['Unique-ID'], direction: 'inbound' });
      const kept = await rig.store.withIngest((db) => db.selectFrom('unattributed_cdrs').select(['unique_id', 'reason']).execute());
      t.same(kept, [{ unique_id: lost['Unique-ID'], reason: 'no tenant has this accountcode, SIP domain or DID' }]);
      t.equal(await counter(rig, 'switchplane_cdrs_written_total', 'source="esl",result="unattributed"'), 1);
    });

    t.test('the database goes away during a burst: every CDR lands once when it is back', async (t) => {
      const down = { is: true, attempts: 0 };
      const rig = await cdrRig(t, backend, { store: flaky(down), batchSize: 50, memoryLimit: 120 });
      const events = Array.from({ length: 400 }, (_, i) => hangupEvent({ variable_accountcode: i % 2 ? rig.acmeId : rig.globexId }));
      for (const e of events.slice(0, 200)) rig.writer.handle(e);
      for (const e of events.slice(0, 20)) rig.writer.handle(e); // FreeSWITCH repeats some
      // The writer retries while the database is down.
      await eventually('a second write attempt', () => down.attempts >= 2, { timeoutMs: 30_000, intervalMs: 5 });
      for (const e of events.slice(200)) rig.writer.handle(e);
      t.equal(rig.writer.depth, 420, 'every accepted CDR is pending');
      t.ok(readdirSync(rig.spoolDir).length >= 8, 'batches past the memory limit are on disk');
      down.is = false;
      await rig.writer.idle();
      const count = async (tenant: string) =>
        Number((await rig.store.withTenant(tenant, (db) => db.selectFrom('cdrs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow())).n);
      t.equal(await count(rig.acmeId), 200);
      t.equal(await count(rig.globexId), 200);
      const ids = await rig.store.withIngest((db) => db.selectFrom('cdrs').select('unique_id').execute());
      t.same(new Set(ids.map((r) => r.unique_id)), new Set(events.map((e) => e['Unique-ID'])), 'exactly the CDRs sent');
      t.same(readdirSync(rig.spoolDir), []);
      t.equal(rig.writer.depth, 0);
    });

    if (backend.name === 'postgres') {
      t.test('the PostgreSQL server refuses the database and drops its sessions during a burst: every CDR lands once', async (t) => {
        const rig = await cdrRig(t, backend, { batchSize: 50 });
        const { rows } = await rig.store.withIngest((db) => sql<{ name: string }>`select current_database() as name`.execute(db));
        const dbName = rows[0]!.name;
        const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
        await admin.connect();
        t.teardown(() => admin.end());
        await admin.query(`alter database ${dbName} allow_connections false`);
        await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
        const events = Array.from({ length: 300 }, () => hangupEvent({ variable_accountcode: rig.acmeId }));
        for (const e of events) rig.writer.handle(e);
        await eventually('three refused writes', () => rig.errors.length >= 3, { timeoutMs: 30_000, intervalMs: 20 });
        t.equal(rig.writer.depth, 300, 'nothing is written while the database refuses sessions');
        await admin.query(`alter database ${dbName} allow_connections true`);
        await rig.writer.idle();
        const ids = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('cdrs').select('unique_id').execute());
        t.equal(ids.length, 300);
        t.same(new Set(ids.map((r) => r.unique_id)), new Set(events.map((e) => e['Unique-ID'])));
        t.same(readdirSync(rig.spoolDir), []);
      });
    }

    t.test('a restarted Switchplane writes what the previous run left in the spool', async (t) => {
      const down = { is: true, attempts: 0 };
      const rig = await cdrRig(t, backend, { store: flaky(down) });
      const events = Array.from({ length: 30 }, () => hangupEvent({ variable_accountcode: rig.acmeId }));
      for (const e of events) rig.writer.handle(e);
      await eventually('a refused write', () => down.attempts >= 1, { timeoutMs: 30_000, intervalMs: 5 });
      await rig.writer.stop(); // as if the process ended with the database still down
      t.ok(readdirSync(rig.spoolDir).length > 0);
      down.is = false;
      const next = rig.newWriter();
      next.start();
      t.equal(next.depth, 30, 'the spooled CDRs are pending again');
      await next.idle();
      await next.stop();
      const ids = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('cdrs').select('unique_id').execute());
      t.equal(ids.length, 30);
      t.same(readdirSync(rig.spoolDir), []);
      t.equal(await counter(rig, 'switchplane_cdrs_written_total', 'source="spool",result="inserted"'), 30);
    });

    t.test('a record the database refuses is kept aside and the rest of its batch lands', async (t) => {
      const rig = await cdrRig(t, backend);
      const good = hangupEvent({ variable_accountcode: rig.acmeId });
      const bad = hangupEvent({ variable_accountcode: rig.acmeId });
      const record = cdrFromEvent(bad)!;
      rig.writer.handle(good);
      rig.writer.accept({ ...record, startAt: 'not a time' }, 'esl');
      await rig.writer.idle();
      const ids = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('cdrs').select('unique_id').execute());
      t.same(ids.map((r) => r.unique_id), [good['Unique-ID']]);
      const kept = await rig.store.withIngest((db) => db.selectFrom('unattributed_cdrs').select(['unique_id', 'reason']).execute());
      t.equal(kept.length, 1);
      t.equal(kept[0]!.unique_id, bad['Unique-ID']);
      t.match(kept[0]!.reason, /timestamp|time/i);
      t.equal(await counter(rig, 'switchplane_cdrs_written_total', 'source="esl",result="rejected"'), 1);
    });

    t.test('a spool segment removed by hand while queued does not stop the writer', async (t) => {
      const down = { is: true, attempts: 0 };
      const rig = await cdrRig(t, backend, { store: flaky(down), batchSize: 10, memoryLimit: 10 });
      const events = Array.from({ length: 30 }, () => hangupEvent({ variable_accountcode: rig.acmeId }));
      for (const e of events) rig.writer.handle(e);
      await eventually('three spool segments', () => readdirSync(rig.spoolDir).length >= 3, { timeoutMs: 30_000, intervalMs: 5 });
      const [, second] = readdirSync(rig.spoolDir).sort();
      rmSync(path.join(rig.spoolDir, second!)); // a disk-only batch (past the memory limit) is gone
      down.is = false;
      await rig.writer.idle();
      const ids = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('cdrs').select('unique_id').execute());
      t.equal(ids.length, 20, 'the batches still on disk or in memory landed');
      t.ok(rig.errors.some((e) => (e as NodeJS.ErrnoException).code === 'ENOENT'), 'the missing segment was reported');
    });

    t.test('a json_cdr post holding %00 (NUL, which PostgreSQL cannot store) lands without it and blocks nothing', async (t) => {
      const rig = await cdrRig(t, backend);
      const evil = hangupEvent({ variable_accountcode: rig.acmeId });
      const doc = { variables: { uuid: evil['Unique-ID'], accountcode: rig.acmeId, start_uepoch: evil.variable_start_uepoch, note: 'a%00b' }, callflow: [{ caller_profile: { caller_id_name: 'evil%00name' } }] };
      const next = hangupEvent({ variable_accountcode: rig.acmeId });
      rig.writer.accept(cdrFromJsonCdr(doc as JsonCdrDocument)!, 'json_cdr');
      rig.writer.handle(next);
      await rig.writer.idle();
      const rows = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('cdrs').select(['unique_id', 'caller_name', 'metadata']).orderBy('unique_id').execute());
      t.equal(rows.length, 2);
      const row = rows.find((r) => r.unique_id === evil['Unique-ID'])!;
      t.equal(row.caller_name, 'evilname');
      t.equal((row.metadata as unknown as Record<string, string>).note, 'ab');
    });

    t.test('two reports of one leg in the same batch give one row with the fields of both', async (t) => {
      const rig = await cdrRig(t, backend);
      const event = hangupEvent({ variable_accountcode: rig.acmeId });
      const first = cdrFromEvent(event)!;
      rig.writer.accept({ ...first, sipStatus: null, otherLegUniqueId: null, metadata: { only_first: '1' } }, 'esl');
      rig.writer.accept({ ...first, sipStatus: 486, otherLegUniqueId: 'other-leg', metadata: { only_second: '2' } }, 'json_cdr');
      await rig.writer.idle();
      const rows = await rig.store.withTenant(rig.acmeId, (db) => db.selectFrom('cdrs').select(['sip_status', 'other_leg_unique_id', 'metadata']).execute());
      t.equal(rows.length, 1);
      t.same([rows[0]!.sip_status, rows[0]!.other_leg_unique_id], [486, 'other-leg']);
      t.same(rows[0]!.metadata, { only_first: '1', only_second: '2' });
    });

    t.test('the ingest role writes CDRs but cannot read secrets or change configuration', async (t) => {
      const rig = await cdrRig(t, backend);
      await t.rejects(rig.store.withIngest((db) => db.selectFrom('extensions').select('password_enc').execute()), /permission denied/);
      await t.rejects(rig.store.withIngest((db) => db.updateTable('trunks').set({ host: 'evil.example' }).execute()), /permission denied/);
      await t.rejects(rig.store.withIngest((db) => sql`select * from api_keys`.execute(db)), /permission denied/);
      await t.rejects(rig.store.withIngest((db) => db.deleteFrom('cdrs').execute()), /permission denied/);
      t.equal(RECORDED_HANGUP['Event-Name'], 'CHANNEL_HANGUP_COMPLETE');
    });
  });
}
