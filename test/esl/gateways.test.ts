import t from 'tap';
import { GatewayTracker, LIST_GATEWAYS } from '../../src/esl/gateways.js';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';
import { eslRig } from '../helpers/esl-controller.js';
import { arrive, deliver, errorCount, flakyIngest, reconnect } from '../helpers/esl-replay.js';
import { recordedPlainEvents, type JsonEvent } from '../helpers/esl-server.js';

/** Time of the captured REGED (gateway-plain.txt). */
const REGED_AT = '2026-11-22T01:49:05.831Z';

/** The captured rescan + killgw of gateway-plain.txt; its gateway `loopgw` renamed to `gateway` when given. */
function captured(gateway?: string): JsonEvent[] {
  return recordedPlainEvents('gateway-plain.txt').map((e) => (gateway && e.Gateway ? { ...e, Gateway: gateway } : e));
}
const isState = (state: string) => (e: JsonEvent) => e['Event-Subclass'] === 'sofia::gateway_state' && e.State === state;

/** `sofia xmlstatus gateway` as mod_sofia.c writes it (`cmd_xml_status`, `xml_gateway_status`). */
function gatewayList(gateways: Array<{ name: string; state: string; status: 'UP' | 'DOWN' }>): string {
  const rows = gateways.map((g) =>
    [
      '  <gateway>',
      `    <name>${g.name}</name>`,
      '    <profile>external</profile>',
      '    <scheme>Digest</scheme>',
      '    <realm>127.0.0.1</realm>',
      '    <username>acme_trunk</username>',
      '    <password>yes</password>',
      '    <from>&lt;sip:acme_trunk@127.0.0.1&gt;</from>',
      `    <contact>&lt;sip:gw+${g.name}@127.0.0.1:5080;transport=udp;gw=${g.name}&gt;</contact>`,
      '    <exten>acme_trunk</exten>',
      '    <to>sip:acme_trunk@127.0.0.1</to>',
      '    <proxy>sip:127.0.0.1:5070</proxy>',
      '    <context>public</context>',
      '    <expires>3600</expires>',
      '    <freq>3600</freq>',
      '    <ping>0</ping>',
      '    <pingfreq>0</pingfreq>',
      '    <pingmin>0</pingmin>',
      '    <pingcount>0</pingcount>',
      '    <pingmax>0</pingmax>',
      '    <pingtime>0.00</pingtime>',
      '    <pinging>0</pinging>',
      `    <state>${g.state}</state>`,
      `    <status>${g.status}</status>`,
      `    <uptime-usec>${g.status === 'UP' ? 81234567 : 0}</uptime-usec>`,
      '    <calls-in>0</calls-in>',
      '    <calls-out>0</calls-out>',
      '    <failed-calls-in>0</failed-calls-in>',
      '    <failed-calls-out>0</failed-calls-out>',
      ...(g.state === 'FAILED' || g.state === 'TRYING' ? ['    <retry>25s</retry>'] : []),
      '  </gateway>\n',
    ].join('\n'),
  );
  return `<?xml version="1.0" encoding="ISO-8859-1"?>\n<gateways>\n${rows.join('')}</gateways>\n`;
}

for (const backend of backends) {
  t.test(`${backend.name}: trunks show their gateway's state as FreeSWITCH reports it`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(() => ctx.close());
    const keys = await demoKeys(ctx.store);
    const ingest = flakyIngest(ctx.store);
    const reported: unknown[] = [];
    const tracker = new GatewayTracker({ store: ingest.store, metrics: ctx.metrics, onError: (err) => reported.push(err), retry: { minTimeoutMs: 1, maxTimeoutMs: 5 } });
    let listed = gatewayList([]);
    const rig = await eslRig(t, [tracker], ctx.metrics, (cmd) => (cmd === LIST_GATEWAYS ? listed : undefined));
    t.teardown(() => tracker.close());
    await tracker.idle();
    t.same(reported, [], 'the first reconcile found no gateway');

    const trunkIds = await ctx.store.withLookup((db) => db.selectFrom('trunks').select(['id', 'name']).execute());
    const id = Object.fromEntries(trunkIds.map((r) => [r.name, r.id])) as Record<'acme-main' | 'acme-backup' | 'globex-main', string>;
    const rows = async () => {
      const list = await ctx.store.withLookup((db) =>
        db.selectFrom('trunks').select(['name', 'registration_state', 'ping_status', 'last_error', 'last_registered_at']).orderBy('name').execute(),
      );
      return Object.fromEntries(list.map((r) => [r.name, r]));
    };
    const stateEvent = (gateway: string, fields: Record<string, string>) =>
      rig.server.event('CUSTOM', { 'Event-Subclass': 'sofia::gateway_state', 'Event-Calling-File': 'sofia_reg.c', Gateway: gateway, ...fields });
    const before = await rows();
    t.match(before['acme-main'], { registration_state: 'unknown', ping_status: null, last_error: null, last_registered_at: null });

    t.test("the captured gateway registering: acme-main REGED, ping UP, error cleared, registered at the event's time", async (t) => {
      await ctx.store.withIngest((db) => db.updateTable('trunks').set({ last_error: '408 Request Timeout' }).where('id', '=', id['acme-main']).execute());
      const events = captured(id['acme-main']);
      await deliver(rig, tracker, events.slice(0, events.findIndex(isState('REGED')) + 1));
      const now = await rows();
      t.same(now['acme-main'], { name: 'acme-main', registration_state: 'REGED', ping_status: 'UP', last_error: null, last_registered_at: new Date(REGED_AT) });
      t.same(now['acme-backup'], before['acme-backup']);
      t.same(now['globex-main'], before['globex-main']);
      const res = await call(ctx.app, keys.acme, 'GET', `/api/v1/trunks/${id['acme-main']}`);
      t.equal(res.status, 200);
      t.match(res.body.data.stats, { registrationState: 'REGED', pingStatus: 'UP', lastError: null, lastRegisteredAt: REGED_AT });
    });

    t.test('the captured killgw: DOWN, and the last registration time stays', async (t) => {
      const events = captured(id['acme-main']);
      await deliver(rig, tracker, events.slice(events.findIndex(isState('REGED')) + 1));
      t.same((await rows())['acme-main'], { name: 'acme-main', registration_state: 'DOWN', ping_status: 'DOWN', last_error: null, last_registered_at: new Date(REGED_AT) });
    });

    t.test('a refused or unanswered registration shows why until the gateway registers again', async (t) => {
      const gw = id['acme-main'];
      await deliver(rig, tracker, [stateEvent(gw, { State: 'FAILED', 'Ping-Status': 'DOWN', Phrase: 'Forbidden', Status: '403' })]);
      t.match((await rows())['acme-main'], { registration_state: 'FAILED', ping_status: 'DOWN', last_error: '403 Forbidden' });
      await deliver(rig, tracker, [stateEvent(gw, { State: 'FAIL_WAIT', 'Ping-Status': 'DOWN' })]);
      t.match((await rows())['acme-main'], { registration_state: 'FAIL_WAIT', last_error: '403 Forbidden' }, 'FAIL_WAIT keeps the error of the FAILED before it');
      await deliver(rig, tracker, [stateEvent(gw, { State: 'UNREGED', 'Ping-Status': 'DOWN' }), stateEvent(gw, { State: 'TRYING', 'Ping-Status': 'DOWN' })]);
      t.match((await rows())['acme-main'], { registration_state: 'TRYING', last_error: '403 Forbidden' });
      await deliver(rig, tracker, [stateEvent(gw, { State: 'TIMEOUT', 'Ping-Status': 'DOWN' })]);
      t.match((await rows())['acme-main'], { registration_state: 'TIMEOUT', last_error: 'TIMEOUT' });
      const reged = stateEvent(gw, { State: 'REGED', 'Ping-Status': 'UP', 'Register-Network-IP': '127.0.0.1', 'Register-Network-Port': '5070' });
      await deliver(rig, tracker, [stateEvent(gw, { State: 'REGISTER', 'Ping-Status': 'DOWN', Phrase: 'OK', Status: '200' }), reged]);
      const res = await call(ctx.app, keys.acme, 'GET', `/api/v1/trunks/${gw}`);
      t.same(
        { state: res.body.data.stats.registrationState, ping: res.body.data.stats.pingStatus, error: res.body.data.stats.lastError, at: res.body.data.stats.lastRegisteredAt },
        { state: 'REGED', ping: 'UP', error: null, at: new Date(Math.floor(Number(reged['Event-Date-Timestamp']) / 1000)).toISOString() },
      );
    });

    t.test('gateways that are no trunk change nothing and are counted', async (t) => {
      const seen = await rows();
      const counted = await errorCount(ctx.metrics, 'gateway_unknown');
      const loopgw = captured().filter((e) => e['Event-Subclass'] === 'sofia::gateway_state');
      t.equal(loopgw.length, 4);
      await deliver(rig, tracker, [...loopgw, stateEvent('3f1e9a52-6c1b-4d7e-9f0a-2b8c5d4e6f71', { State: 'REGED', 'Ping-Status': 'UP' })]);
      t.same(await rows(), seen);
      t.equal(await errorCount(ctx.metrics, 'gateway_unknown'), counted + 5);
    });

    t.test("a reconnect reads every gateway's state", async (t) => {
      const seen = await rows();
      const counted = await errorCount(ctx.metrics, 'gateway_unknown');
      listed = gatewayList([
        { name: 'loopgw', state: 'REGED', status: 'UP' },
        { name: id['acme-main'], state: 'FAIL_WAIT', status: 'DOWN' },
        { name: id['acme-backup'], state: 'NOREG', status: 'UP' },
        { name: id['globex-main'], state: 'REGED', status: 'UP' },
      ]);
      await reconnect(rig, tracker);
      const now = await rows();
      t.same(now['acme-main'], { ...seen['acme-main'], registration_state: 'FAIL_WAIT', ping_status: 'DOWN' });
      t.same(now['acme-backup'], { ...seen['acme-backup'], registration_state: 'NOREG', ping_status: 'UP' });
      t.same(now['globex-main'], { ...seen['globex-main'], registration_state: 'REGED', ping_status: 'UP', last_error: null });
      t.equal(await errorCount(ctx.metrics, 'gateway_unknown'), counted + 1, 'loopgw counted');
      const res = await call(ctx.app, keys.globex, 'GET', `/api/v1/trunks/${id['globex-main']}`);
      t.match(res.body.data.stats, { registrationState: 'REGED', pingStatus: 'UP' });
    });

    t.test('a FreeSWITCH without mod_sofia changes nothing and is reported', async (t) => {
      const seen = await rows();
      const failed = await errorCount(ctx.metrics, 'gateway_state');
      listed = '-ERR sofia Command not found!\n';
      await reconnect(rig, tracker);
      t.same(await rows(), seen);
      t.equal(await errorCount(ctx.metrics, 'gateway_state'), failed + 1);
      t.match(String(reported.at(-1)), /sofia xmlstatus gateway failed on fs1: -ERR sofia Command not found!/);
      listed = gatewayList([]);
    });

    t.test('a database failure during a burst is retried and lands, coalesced, each gateway at its latest state', async (t) => {
      const failed = await errorCount(ctx.metrics, 'gateway_state');
      const reportedBefore = reported.length;
      const asked = ingest.transactions;
      let release!: () => void;
      ingest.gate = new Promise((resolve) => (release = resolve));
      ingest.failures = 2;
      const main = id['acme-main'];
      const backup = id['acme-backup'];
      const reged = stateEvent(main, { State: 'REGED', 'Ping-Status': 'UP' });
      await arrive(rig, [
        stateEvent(main, { State: 'TRYING', 'Ping-Status': 'DOWN' }),
        stateEvent(backup, { State: 'TRYING', 'Ping-Status': 'DOWN' }),
        stateEvent(main, { State: 'REGISTER', 'Ping-Status': 'DOWN', Phrase: 'OK', Status: '200' }),
        stateEvent(backup, { State: 'FAILED', 'Ping-Status': 'DOWN', Phrase: 'Unauthorized', Status: '401' }),
        reged,
        stateEvent(backup, { State: 'FAIL_WAIT', 'Ping-Status': 'DOWN' }),
      ]);
      release(); // the first write (of the first event) was held up until the whole burst was queued
      await tracker.idle();
      const now = await rows();
      t.same(now['acme-main'], { name: 'acme-main', registration_state: 'REGED', ping_status: 'UP', last_error: null, last_registered_at: new Date(Math.floor(Number(reged['Event-Date-Timestamp']) / 1000)) });
      t.match(now['acme-backup'], { registration_state: 'FAIL_WAIT', ping_status: 'DOWN', last_error: '401 Unauthorized' }, "FAIL_WAIT folded into FAILED keeps FAILED's error");
      t.equal(ingest.transactions - asked, 4, 'the first event in three attempts (two failed), the other five in one batch');
      t.equal(await errorCount(ctx.metrics, 'gateway_state'), failed + 2);
      t.same(reported.slice(reportedBefore).map((e) => (e as Error).message), ['Connection terminated unexpectedly', 'Connection terminated unexpectedly']);
    });
  });
}
