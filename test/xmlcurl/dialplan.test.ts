import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { fixtureBody, isNotFound, rewrite } from '../helpers/fixtures.js';
import { OFFICE_HOURS_BOUNDARIES } from '../helpers/office-hours.js';
import { dialplan } from '../helpers/xml.js';
import type { Change } from '../../src/db/store.js';
import { writeGatewayStates, type GatewayState } from '../../src/domain/gateway-states.js';

const ACME = 'acme.switchplane.test';

/** The captured INVITE dialplan fetch, re-addressed. */
function call(context: string, destination: string, opts: { user?: string; caller?: string } = {}): string {
  return rewrite(fixtureBody('dialplan-invite.txt'), {
    'Caller-Context': context, 'Hunt-Context': context,
    'Caller-Destination-Number': destination, 'Hunt-Destination-Number': destination,
    'Caller-Caller-ID-Number': opts.caller ?? '+393331112222', 'Hunt-Caller-ID-Number': opts.caller ?? '+393331112222',
    variable_user_name: opts.user ?? '', variable_domain_name: context,
  });
}

for (const backend of backends) {
  t.test(`dialplan on ${backend.name}`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const post = (payload: string) => postLookup(t, ctx.app, payload);
    const ids = await ctx.store.withLookup(async (db) => ({
      tenants: Object.fromEntries((await db.selectFrom('tenants').select(['slug', 'id']).execute()).map((r) => [r.slug, r.id])),
      trunks: Object.fromEntries((await db.selectFrom('trunks').select(['name', 'id']).execute()).map((r) => [r.name, r.id])),
      ext: Object.fromEntries(
        (await db.selectFrom('extensions').innerJoin('tenants', 'tenants.id', 'extensions.tenant_id')
          .select(['tenants.slug', 'extensions.extension', 'extensions.id']).execute()).map((r) => [`${r.slug}/${r.extension}`, r.id]),
      ),
    }));
    const acmeId = ids.tenants.acme!;
    const apps = (xml: string) => dialplan(xml).actions.map(([app, data]) => (data === undefined ? app : `${app} ${data}`));

    t.test('a call to a DID routed to an extension bridges to that extension', async (t) => {
      const d = dialplan(await post(call('public', '+390510510511')));
      t.equal(d.context, 'public');
      t.equal(d.expression, '^\\+390510510511$');
      t.same(apps(await post(call('public', '+390510510511'))), [
        `set domain_name=${ACME}`,
        `export accountcode=${acmeId}`,
        `export switchplane_direction=inbound`,
        'export media_timeout=300000',
        'export media_hold_timeout=1800000',
        `limit hash switchplane_tenant ${acmeId} 10 !NORMAL_CIRCUIT_CONGESTION`,
        `limit hash switchplane_extension ${ids.ext['acme/1001']} 2 !USER_BUSY`,
        'set call_timeout=30',
        'set hangup_after_bridge=true',
        'set continue_on_fail=true',
        `bridge user/1001@${ACME}`,
        'hangup ${originate_disposition}',
      ]);
      t.match(apps(await post(call('public', '390510510511'))), [`set domain_name=${ACME}`], 'a DID without + is normalised');
      const globex = apps(await post(call('public', '+15551234567')));
      t.ok(globex.includes('bridge user/1001@globex.switchplane.test'), 'Globex DID reaches Globex 1001');
    });

    t.test('an AI number inside business hours parks the call for the AI agent', async (t) => {
      ctx.setNow('2026-11-23T10:00:00Z'); // Monday 11:00 in Rome
      t.same(apps(await post(call('public', '+390510510510', { caller: '+393297626144' }))).slice(6), [
        'set switchplane_ai_profile=customer-care-voice',
        `set switchplane_tenant_id=${acmeId}`,
        'set switchplane_did=+390510510510',
        'set switchplane_caller=+393297626144',
        'answer',
        'park',
      ]);
    });

    t.test('business hours are checked in the tenant time zone at the boundaries and across DST', async (t) => {
      for (const [now, open, label] of OFFICE_HOURS_BOUNDARIES) {
        ctx.setNow(now);
        const list = apps(await post(call('public', '+390510510510')));
        if (open) t.ok(list.includes('park'), `${label}: AI agent`);
        else t.ok(list.includes(`bridge user/1002@${ACME}`) && !list.includes('park'), `${label}: failover extension 1002`);
      }
    });

    t.test('unknown DIDs and numbers with incoming disabled are rejected with a clear cause', async (t) => {
      t.same(apps(await post(call('public', '+390000000000'))).at(-1), 'hangup UNALLOCATED_NUMBER');
      t.same(apps(await post(call('public', 'garbage'))).at(-1), 'hangup UNALLOCATED_NUMBER');
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ incoming_enabled: false }).where('number', '=', '+390510510511').execute());
      t.same(apps(await post(call('public', '+390510510511'))).at(-1), 'hangup INCOMING_CALL_BARRED');
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ incoming_enabled: true }).where('number', '=', '+390510510511').execute());
    });

    t.test('a phone calls another extension of its tenant', async (t) => {
      const list = apps(await post(call(ACME, '1002', { user: '1001', caller: '1001' })));
      t.same(list, [
        `set domain_name=${ACME}`,
        `export accountcode=${acmeId}`,
        `export switchplane_direction=internal`,
        'export media_timeout=300000',
        'export media_hold_timeout=1800000',
        `limit hash switchplane_tenant ${acmeId} 10 !NORMAL_CIRCUIT_CONGESTION`,
        `limit hash switchplane_extension ${ids.ext['acme/1001']} 2 !USER_BUSY`,
        `limit hash switchplane_extension ${ids.ext['acme/1002']} 2 !USER_BUSY`,
        'set call_timeout=30',
        'set hangup_after_bridge=true',
        'set continue_on_fail=true',
        `bridge user/1002@${ACME}`,
        'hangup ${originate_disposition}',
      ]);
      t.same(apps(await post(call(ACME, '1003', { user: '1001' }))).at(-1), 'hangup UNALLOCATED_NUMBER', 'suspended 1003');
      t.same(apps(await post(call(ACME, '4444', { user: '1001' }))).at(-1), 'hangup UNALLOCATED_NUMBER');
    });

    t.test('outbound E.164 goes through the trunks in priority order with per-trunk limits, each presenting a number of its own', async (t) => {
      const main = ids.trunks['acme-main'];
      const backup = ids.trunks['acme-backup'];
      // The demo puts both of Acme's numbers on acme-main: acme-backup has none to present.
      t.same(apps(await post(call(ACME, '+14155550100', { user: '1001' }))).filter((a) => a.startsWith('limit_execute')), [
        `limit_execute hash switchplane_trunk ${main} 2 bridge [origination_caller_id_number=+390510510510]sofia/gateway/${main}/+14155550100`,
      ], 'a trunk without a number of its own is not tried');
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ trunk_id: backup }).where('number', '=', '+390510510511').execute());
      const list = apps(await post(call(ACME, '+14155550100', { user: '1001', caller: '1001' })));
      t.equal(list[2], 'export switchplane_direction=outbound', 'every leg learns the direction');
      t.same(list.slice(7), [
        'set effective_caller_id_name=Mario Rossi',
        'set hangup_after_bridge=true',
        'set continue_on_fail=NORMAL_TEMPORARY_FAILURE,NO_ROUTE_DESTINATION,DESTINATION_OUT_OF_ORDER,NETWORK_OUT_OF_ORDER,NORMAL_CIRCUIT_CONGESTION,SWITCH_CONGESTION,REQUESTED_CHAN_UNAVAIL,RECOVERY_ON_TIMER_EXPIRE,GATEWAY_DOWN,INVALID_GATEWAY,SERVICE_UNAVAILABLE',
        `limit_execute hash switchplane_trunk ${main} 2 bridge [origination_caller_id_number=+390510510510]sofia/gateway/${main}/+14155550100`,
        `limit_execute hash switchplane_trunk ${backup} 10 bridge [origination_caller_id_number=+390510510511]sofia/gateway/${backup}/+14155550100`,
        'hangup NORMAL_CIRCUIT_CONGESTION',
      ]);
      const failover = list.find((a) => a.startsWith('set continue_on_fail='))!;
      t.notMatch(failover, 'USER_BUSY', 'busy callee does not fail over');
      t.notMatch(failover, 'CALL_REJECTED', 'a rejected call does not fail over');
      t.ok(apps(await post(call(ACME, '0014155550100', { user: '1001' }))).some((a) => a.endsWith('/+14155550100')), '00 prefix');

      await ctx.change(acmeId, (db) => db.updateTable('trunks').set({ priority: 50 }).where('name', '=', 'acme-main').execute());
      const reordered = apps(await post(call(ACME, '+14155550100', { user: '1001' }))).filter((a) => a.startsWith('limit_execute'));
      t.match(reordered[0], backup, 'priority decides the order');
      await ctx.change(acmeId, (db) => db.updateTable('trunks').set({ priority: 1 }).where('name', '=', 'acme-main').execute());

      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ caller_id_number: '+390510510511' }).where('extension', '=', '1001').execute());
      t.same(apps(await post(call(ACME, '+14155550100', { user: '1001' }))).filter((a) => a.startsWith('limit_execute')), [
        `limit_execute hash switchplane_trunk ${backup} 10 bridge [origination_caller_id_number=+390510510511]sofia/gateway/${backup}/+14155550100`,
        `limit_execute hash switchplane_trunk ${main} 2 bridge [origination_caller_id_number=+390510510510]sofia/gateway/${main}/+14155550100`,
      ], "1001's caller ID number is acme-backup's: acme-backup first");
      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ caller_id_number: null }).where('extension', '=', '1001').execute());
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ trunk_id: main }).where('number', '=', '+390510510511').execute());
    });

    t.test("a gateway's state as FreeSWITCH reports it reaches the next dialplan answer: down skipped, back up tried", async (t) => {
      const main = ids.trunks['acme-main']!;
      const backup = ids.trunks['acme-backup']!;
      await ctx.change(acmeId, (db) => db.updateTable('trunks').set({ allow_any_caller_id: true }).where('id', '=', backup).execute());
      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ caller_id_number: '+15550000001' }).where('extension', '=', '1001').execute());
      const gateways = async () =>
        apps(await post(call(ACME, '+14155550100', { user: '1001' }))).filter((a) => a.startsWith('limit_execute')).map((a) => a.split(' ')[3]);
      t.same(await gateways(), [main, backup], 'both up: priority order (acme-backup allows any caller ID)');
      // As the gateway tracker writes it (src/esl/gateways.ts): no configuration change, only a state notice.
      const report = async (...states: GatewayState[]) => {
        const dropped = new Promise<void>((resolve) => {
          const seen = (c: Change) => {
            if (c.tenantId !== acmeId || c.table !== 'trunks') return;
            ctx.tenants.off('invalidated', seen);
            resolve();
          };
          ctx.tenants.on('invalidated', seen);
        });
        await ctx.store.withIngest((trx) => writeGatewayStates(trx, states));
        await dropped;
      };
      await report({ name: main, state: 'FAIL_WAIT', pingStatus: 'DOWN' });
      t.same(await gateways(), [backup], 'acme-main in FAIL_WAIT is skipped');
      await report({ name: main, state: 'REGED', pingStatus: 'UP' });
      t.same(await gateways(), [main, backup], 'acme-main REGED again is tried first again');
      await report({ name: main, state: 'NOREG', pingStatus: 'DOWN' });
      t.same(await gateways(), [backup], 'acme-main failing its OPTIONS pings is skipped');
      await report({ name: backup, state: 'FAIL_WAIT', pingStatus: 'DOWN' });
      t.same(await gateways(), [main, backup], 'every trunk down: all tried, in priority order');
      await report({ name: main, state: 'REGED', pingStatus: 'UP' }, { name: backup, state: 'NOREG', pingStatus: 'UP' });
      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ caller_id_number: null }).where('extension', '=', '1001').execute());
      await ctx.change(acmeId, (db) => db.updateTable('trunks').set({ allow_any_caller_id: false }).where('id', '=', backup).execute());
    });

    t.test('a number with outbound disabled is refused as caller ID', async (t) => {
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ outbound_enabled: false }).execute());
      t.same(apps(await post(call(ACME, '+14155550100', { user: '1001' }))).at(-1), 'hangup OUTGOING_CALL_BARRED');
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ outbound_enabled: true }).execute());
    });

    t.test('do-not-disturb, voicemail, recording and forwarding shape the extension leg', async (t) => {
      await ctx.change(acmeId, (db) =>
        db.updateTable('extensions').set({ do_not_disturb: true }).where('extension', '=', '1002').execute(),
      );
      t.same(apps(await post(call(ACME, '1002', { user: '1001' }))).at(-1), 'hangup USER_BUSY');
      await ctx.change(acmeId, (db) =>
        db.updateTable('extensions').set({ do_not_disturb: false, voicemail_enabled: true, call_recording: true }).where('extension', '=', '1002').execute(),
      );
      const vm = apps(await post(call(ACME, '1002', { user: '1001' })));
      t.match(vm.slice(-6), [`bridge user/1002@${ACME}`, 'unset api_on_answer', 'unset switchplane_recording_path', 'answer',
        new RegExp(`^set switchplane_voicemail_box=${acmeId}/[0-9a-f-]{36}$`), `voicemail default ${ACME} 1002`],
        'unanswered: the recording is called off before voicemail answers, and the channel names the mailbox its message\'s audio goes to');
      t.same(apps(await post(call(ACME, '*98', { user: '1002' }))).slice(-2), ['answer', `voicemail check default ${ACME} 1002`], '*98 from 1002: its own mailbox');
      t.same(apps(await post(call(ACME, '*98', { user: '1001' }))).at(-1), 'hangup UNALLOCATED_NUMBER', '*98 from 1001, which has no voicemail');
      const id = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
      const exported = vm.find((a) => a.startsWith('export switchplane_recording_path='));
      t.match(exported, new RegExp(`^export switchplane_recording_path=/api/v1/customers/${acmeId}/recordings/${id}/audio$`), 'every leg\'s CDR names the recording\'s API URL');
      const recordingId = exported!.split('/').at(-2);
      t.match(vm.find((a) => a.startsWith('set api_on_answer=')), new RegExp(
        `^set api_on_answer=uuid_audio_stream \\$\\{uuid\\} start ws://127\\.0\\.0\\.1:\\d+/recordings/${recordingId}\\?tenant=${acmeId}&extension=${ids.ext['acme/1002']}&call=\\$\\{uuid\\}&token=[A-Za-z0-9_-]{43} stereo 8k$`,
      ), 'on answer, a stereo fork of the caller\'s leg to Switchplane');
      t.notOk(vm.some((a) => a.startsWith('record_session')), 'nothing is written on the FreeSWITCH machine');
      const transferred = rewrite(call(ACME, '1002', { user: '1001' }), { variable_switchplane_recording_path: exported!.split('=')[1]! });
      t.notOk(apps(await post(transferred)).some((a) => /^(set api_on_answer|export switchplane_recording_path)=/.test(a)),
        'a recorded call transferred back into the dialplan keeps its recording (its CDR names it)');
      const out = apps(await post(call(ACME, '+14155550100', { user: '1002' })));
      t.ok(out.some((a) => a.startsWith('set api_on_answer=uuid_audio_stream ') && a.includes(`extension=${ids.ext['acme/1002']}&`)), 'a call 1002 places out through a trunk is recorded too');
      t.notOk(apps(await post(call(ACME, '+14155550100', { user: '1001' }))).some((a) => a.startsWith('set api_on_answer=')), 'a call out from 1001, which does not record, is not');
      await ctx.change(acmeId, (db) =>
        db.updateTable('extensions').set({ call_forwarding_enabled: true, call_forwarding_number: '+393331234567' }).where('extension', '=', '1002').execute(),
      );
      const fwd = apps(await post(call(ACME, '1002', { user: '1001' })));
      t.ok(fwd.some((a) => a === `limit_execute hash switchplane_trunk ${ids.trunks['acme-main']} 2 bridge sofia/gateway/${ids.trunks['acme-main']}/+393331234567`));
      await ctx.change(acmeId, (db) =>
        db.updateTable('extensions').set({ call_forwarding_enabled: false, voicemail_enabled: false, call_recording: false }).where('extension', '=', '1002').execute(),
      );
    });

    t.test('contexts Switchplane does not own are left to FreeSWITCH', async (t) => {
      for (const f of ['dialplan-invite.txt', 'dialplan-invite-9997-user-bridge.txt', 'dialplan-invite-9998-loopback-bridge.txt', 'dialplan-loopback-b-leg.txt']) {
        t.ok(isNotFound(await post(fixtureBody(f))), f);
      }
    });

    t.test('the loopback B-leg fetch (Hunt-Context) is routed by its hunt fields', async (t) => {
      const body = rewrite(fixtureBody('dialplan-loopback-b-leg.txt'), { 'Hunt-Context': ACME, 'Hunt-Destination-Number': '1002', 'Caller-Context': ACME });
      t.ok(apps(await post(body)).includes(`bridge user/1002@${ACME}`));
    });
  });
}
