import t from 'tap';
import { cdrFromEvent } from '../../src/cdr/records.js';
import { writeCdrRows } from '../../src/domain/cdrs.js';
import { backends } from '../helpers/backends.js';
import { cdrRig, hangupEvent } from '../helpers/cdr.js';
import type { FakeEslServer } from '../helpers/esl-server.js';
import { eventually } from '../helpers/eventually.js';
import { jsonCdr, keptAside, metric, postCdr, rig, storedCdr, unansweredCall } from './service-rig.js';

/** The CDR service stores what it is handed in the background: asked every 5 ms, up to 30 s. */
const CDR_STORED = { timeoutMs: 30_000, intervalMs: 5 };

for (const backend of backends) {
  t.test(`CDRs refused for another tenant or FreeSWITCH node on ${backend.name}`, async (t) => {
    t.test('a json_cdr post for another tenant that reuses a stored call\'s Unique-ID leaves that CDR as it was', async (t) => {
      const r = await rig(t, backend);
      // Acme found by its account code, its SIP domain, or its DID.
      const hints: Array<Record<string, string>> = [
        { accountcode: r.acmeId },
        { domain_name: 'acme.switchplane.test' },
        { switchplane_did: '+390510510511' },
      ];
      for (const hint of hints) {
        const event = unansweredCall(r.server, r.globexId);
        const uuid = event['Unique-ID'] as string;
        r.server.pushEvent(event);
        await eventually('the CDR row stored', async () => (await r.ctx.store.withIngest((db) => db.selectFrom('cdrs').select('id').where('unique_id', '=', uuid).execute())).length > 0, CDR_STORED);
        const before = await storedCdr(r, uuid);
        const forged = jsonCdr(uuid, r.server.coreUuid, { ...hint, switchplane_recording_path: '/rec/forged.wav', forged_variable: 'x' });
        const post = await postCdr(r, forged);
        t.equal(post.statusCode, 200, 'journalled: FreeSWITCH would otherwise post it again and again');
        await r.service.cdrs.idle();
        const after = await storedCdr(r, uuid);
        t.same(after, before, `Globex's CDR is unchanged (Acme by ${Object.keys(hint)[0]})`);
        t.same([after.answer_at, after.hangup_cause, after.recording_url, (after.metadata as Record<string, unknown>).forged_variable], [null, null, null, undefined]);
      }
      const acme = await r.ctx.store.withTenant(r.acmeId, (db) => db.selectFrom('cdrs').select('id').execute());
      t.same(acme, [], 'Acme got no CDR');
      const kept = await keptAside(r);
      t.equal(kept.length, 3, 'each refused post is kept aside');
      for (const k of kept) t.match(k.reason, new RegExp(`stored for tenant ${r.globexId}; this report is for tenant ${r.acmeId}`));
      t.equal(await metric(r.ctx.metrics, 'switchplane_cdr_conflicts_total', 'source="json_cdr",reason="tenant"'), 3);
      t.equal(await metric(r.ctx.metrics, 'switchplane_cdrs_written_total', 'source="json_cdr",result="refused"'), 3);
      t.equal(r.warnings.length, 3);
      t.match(r.warnings[0], {
        message: 'CDR refused: its Unique-ID is stored for another tenant',
        context: {
          uniqueId: kept[0]!.unique_id,
          source: 'json_cdr',
          reason: 'tenant',
          stored: { tenantId: r.globexId, coreUuid: r.server.coreUuid, node: 'fs1' },
          reported: { tenantId: r.acmeId, coreUuid: r.server.coreUuid, node: null },
        },
      });
    });

    t.test('100 forged json_cdr posts reusing a tenant\'s stored Unique-IDs change none of its CDRs', async (t) => {
      const r = await rig(t, backend);
      const calls = Array.from({ length: 100 }, () => hangupEvent({ variable_accountcode: r.globexId, 'Core-UUID': r.server.coreUuid }));
      for (const e of calls) r.server.pushEvent(e);
      const globex = () => r.ctx.store.withTenant(r.globexId, (db) => db.selectFrom('cdrs').select(['unique_id', 'billsec', 'hangup_cause', 'metadata']).orderBy('unique_id').execute());
      await eventually('100 Globex CDRs stored', async () => (await globex()).length === 100, CDR_STORED);
      const before = await globex();
      const otherSwitch = crypto.randomUUID();
      for (const [i, e] of calls.entries()) {
        // Half for Acme, half for Globex itself from a FreeSWITCH that never reported these calls.
        const forged = i % 2 === 0
          ? jsonCdr(e['Unique-ID'] as string, r.server.coreUuid, { accountcode: r.acmeId, billsec: '25000', forged_variable: 'x' })
          : jsonCdr(e['Unique-ID'] as string, otherSwitch, { accountcode: r.globexId, billsec: '25000', forged_variable: 'x' });
        t.equal((await postCdr(r, forged)).statusCode, 200);
      }
      await r.service.cdrs.idle();
      t.same(await globex(), before, 'every Globex CDR is as the event socket reported it');
      const billsec = (await globex()).reduce((sum, c) => sum + c.billsec, 0);
      t.equal(billsec, 100 * 3, 'billsec total unchanged (3 s a call)');
      t.same(await r.ctx.store.withTenant(r.acmeId, (db) => db.selectFrom('cdrs').select('id').execute()), []);
      t.equal((await keptAside(r)).length, 100);
      t.equal(await metric(r.ctx.metrics, 'switchplane_cdr_conflicts_total', 'source="json_cdr",reason="tenant"'), 50);
      t.equal(await metric(r.ctx.metrics, 'switchplane_cdr_conflicts_total', 'source="json_cdr",reason="node"'), 50);
      t.equal(r.warnings.length, 100);
    });

    t.test('a second FreeSWITCH node reporting a stored Unique-ID is refused; the first node\'s CDR stays', async (t) => {
      const r = await rig(t, backend, {}, 2);
      const [fs1, fs2] = r.servers as [FakeEslServer, FakeEslServer];
      const first = unansweredCall(fs1, r.acmeId);
      const uuid = first['Unique-ID'] as string;
      fs1.pushEvent(first);
      await eventually('an ESL CDR inserted', async () => (await metric(r.ctx.metrics, 'switchplane_cdrs_written_total', 'source="esl",result="inserted"')) > 0, CDR_STORED);
      const before = await storedCdr(r, uuid);
      t.same([before.core_uuid, before.node], [fs1.coreUuid, 'fs1']);
      fs2.pushEvent({ ...first, 'Core-UUID': fs2.coreUuid, variable_hangup_cause: 'CALL_REJECTED', variable_switchplane_recording_path: '/rec/b.wav' });
      await eventually('a node conflict counted', async () => (await metric(r.ctx.metrics, 'switchplane_cdr_conflicts_total', 'source="esl",reason="node"')) > 0, CDR_STORED);
      t.same(await storedCdr(r, uuid), before, 'the row is as fs1 reported it');
      const [kept] = await keptAside(r);
      t.equal(kept?.unique_id, uuid);
      t.equal(kept?.reason, `the Unique-ID was reported by FreeSWITCH core-uuid ${fs1.coreUuid}; this report is from ${fs2.coreUuid}`);
      t.match(kept?.record, { core_uuid: fs2.coreUuid, node: 'fs2', hangup_cause: 'CALL_REJECTED' }, 'the refused report is kept whole');
      t.match(r.warnings, [{
        message: 'CDR refused: its Unique-ID is stored for another FreeSWITCH node',
        context: { uniqueId: uuid, source: 'esl', reason: 'node', stored: { tenantId: r.acmeId, coreUuid: fs1.coreUuid, node: 'fs1' }, reported: { tenantId: r.acmeId, coreUuid: fs2.coreUuid, node: 'fs2' } },
      }]);
      t.equal(await metric(r.ctx.metrics, 'switchplane_cdrs_written_total', 'source="esl",result="refused"'), 1);
    });

    t.test('a report for another tenant in the same batch as the call\'s own is refused; the call\'s own report lands', async (t) => {
      const rig = await cdrRig(t, backend);
      const own = cdrFromEvent(hangupEvent({ variable_accountcode: rig.globexId }), 'fs1')!;
      const conflicts: unknown[] = [];
      const writer = rig.newWriter({ onConflict: (c) => conflicts.push(c) });
      writer.start();
      t.teardown(() => writer.stop());
      writer.accept({ ...own, answerAt: null, hangupCause: null }, 'esl');
      writer.accept({ ...own, accountcode: rig.acmeId, node: null, hangupCause: 'CALL_REJECTED', recordingUrl: '/rec/forged.wav' }, 'json_cdr');
      writer.accept({ ...own, node: null, hangupCause: null }, 'json_cdr'); // the call's own second report
      await writer.idle();
      const rows = await rig.store.withIngest((db) => db.selectFrom('cdrs').select(['tenant_id', 'hangup_cause', 'recording_url', 'answer_at', 'core_uuid', 'node']).execute());
      t.same(rows, [{ tenant_id: rig.globexId, hangup_cause: null, recording_url: null, answer_at: new Date(own.answerAt!), core_uuid: own.coreUuid, node: 'fs1' }], 'the own reports merged; the forged one filled nothing');
      const kept = await rig.store.withIngest((db) => db.selectFrom('unattributed_cdrs').select(['unique_id', 'reason']).execute());
      t.same(kept, [{ unique_id: own.uniqueId, reason: `the Unique-ID is stored for tenant ${rig.globexId}; this report is for tenant ${rig.acmeId}` }]);
      t.same(conflicts, [{
        uniqueId: own.uniqueId,
        source: 'json_cdr',
        reason: 'tenant',
        stored: { tenantId: rig.globexId, coreUuid: own.coreUuid, node: 'fs1' },
        reported: { tenantId: rig.acmeId, coreUuid: own.coreUuid, node: null },
      }]);
      t.equal(await metric(rig.metrics, 'switchplane_cdr_conflicts_total', 'source="json_cdr",reason="tenant"'), 1);
    });

    t.test('a CDR stored before nodes were recorded (no core-uuid) takes the next report of its tenant and keeps its node', async (t) => {
      const rig = await cdrRig(t, backend);
      const own = cdrFromEvent(hangupEvent({ variable_accountcode: rig.globexId }), 'fs1')!;
      const write = (records: typeof own[]) => rig.store.withIngest((trx) => writeCdrRows(trx, records));
      t.same((await write([{ ...own, coreUuid: null, node: null, hangupCause: null }])).map((w) => w.result), ['inserted']);
      t.same((await write([own])).map((w) => w.result), ['merged']);
      const otherSwitch = { ...own, coreUuid: 'b2b2b2b2-0000-4000-8000-000000000000', node: 'fs2' };
      t.same((await write([otherSwitch])).map((w) => [w.result, w.conflict?.reason]), [['refused', 'node']], 'from then on it belongs to that node');
      const rows = await rig.store.withIngest((db) => db.selectFrom('cdrs').select(['hangup_cause', 'core_uuid', 'node']).execute());
      t.same(rows, [{ hangup_cause: own.hangupCause, core_uuid: own.coreUuid, node: 'fs1' }]);
    });

    t.test('a refused report written again (a spool replayed after a crash) is kept once; every other refused report is kept too', async (t) => {
      const rig = await cdrRig(t, backend);
      const own = cdrFromEvent(hangupEvent({ variable_accountcode: rig.globexId }), 'fs1')!;
      const forged = { ...own, accountcode: rig.acmeId, node: null };
      const otherSwitch = { ...own, coreUuid: 'a1a1a1a1-0000-4000-8000-000000000000', node: 'fs2' };
      const orphan = cdrFromEvent(hangupEvent(), 'fs1')!;
      const write = (records: typeof own[]) => rig.store.withIngest((trx) => writeCdrRows(trx, records));
      t.same((await write([own, orphan])).map((w) => w.result), ['inserted', 'unattributed']);
      const results = [];
      for (const batch of [[forged, orphan], [forged, orphan], [otherSwitch]]) results.push(...(await write(batch)).map((w) => [w.result, w.conflict?.reason]));
      t.same(results, [['refused', 'tenant'], ['refused', 'tenant'], ['refused', 'node']], 'an orphan kept already is not returned again');
      const kept = await rig.store.withIngest((db) => db.selectFrom('unattributed_cdrs').select(['unique_id', 'reason']).orderBy('reason').execute());
      t.same(kept.map((k) => [k.unique_id, k.reason.split(';')[0]]), [
        [orphan.uniqueId, 'no tenant has this accountcode, SIP domain or DID'],
        [own.uniqueId, `the Unique-ID is stored for tenant ${rig.globexId}`],
        [own.uniqueId, `the Unique-ID was reported by FreeSWITCH core-uuid ${own.coreUuid}`],
      ]);
    });
  });
}
