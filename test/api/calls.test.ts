import t from 'tap';
import { once } from 'node:events';
import { buildApp } from '../../src/wiring/http.js';
import type { Store } from '../../src/db/store.js';
import { CallControl } from '../../src/esl/call-control.js';
import { ChannelTracker, type Channel } from '../../src/esl/channels.js';
import { backends } from '../helpers/backends.js';
import { eventually } from '../helpers/eventually.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { eslRig } from '../helpers/esl-controller.js';
import { legEvents } from '../helpers/esl-replay.js';

const DOMAIN = 'acme.switchplane.test';

/** Resolves once `tracker` has handled an event of channel `uuid` (leaving it in `state`), or with `hangup` its end. */
function handled(tracker: ChannelTracker, uuid: string, what: 'channel' | 'hangup' = 'channel', state?: Channel['state']): Promise<void> {
  return new Promise((resolve) => {
    const on = (c: Readonly<Channel>) => {
      if (c.uuid !== uuid || (state && c.state !== state)) return;
      tracker.off(what, on);
      resolve();
    };
    tracker.on(what, on);
  });
}


for (const backend of backends) {
  t.test(`${backend.name}: calls API`, async (t) => {
    const ctx = await demoApp(backend);
    const keys = await demoKeys(ctx.store);
    const tracker = new ChannelTracker({ store: ctx.store, metrics: ctx.metrics, onError: (err) => t.error(err), countDelayMs: 5 });
    let app: Awaited<ReturnType<typeof buildApp>> | undefined;
    t.teardown(async () => {
      await app?.close();
      await tracker.close();
      await ctx.close();
    });
    /** Answers for `originate`, by call id; other commands answer `+OK`. */
    const jobs = new Map<string, Promise<string>>();
    let nextJob: () => Promise<string> = async () => '+OK\n';
    const rig = await eslRig(t, [tracker], ctx.metrics, (cmd) => {
      if (cmd === 'show channels as json') return '{"row_count": 0}\n';
      const placed = /^originate \{origination_uuid=([0-9a-f-]+),/.exec(cmd)?.[1];
      if (placed) {
        const job = nextJob();
        jobs.set(placed, job);
        return job.then((body) => body.replace('<uuid>', placed));
      }
      return cmd.startsWith('uuid_kill ') || cmd.startsWith('uuid_transfer ') ? '+OK\n' : undefined;
    });
    const calls = new CallControl({ nodes: rig.nodes, channels: tracker });
    app = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics, esl: rig.nodes, calls });
    const api = app;
    /** A job that answers when released (as FreeSWITCH does once the phone answers or fails). */
    const held = () => {
      let release!: (body: string) => void;
      const body = new Promise<string>((resolve) => (release = resolve));
      nextJob = () => body;
      return release;
    };
    const mainTrunk = (await ctx.store.withLookup((db) => db.selectFrom('trunks').select('id').where('name', '=', 'acme-main').executeTakeFirstOrThrow())).id;
    const get = async (id: string, key = keys.acme) => (await call(api, key, 'GET', `/api/v1/calls/${id}`)).body;
    const audit = () =>
      ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('audit_log').select(['action', 'resource_id', 'after']).where('resource_type', '=', 'call').orderBy('id').execute());

    t.test('click-to-call: the exact bgapi originate, 202 at once, then the captured call rings, answers and ends', async (t) => {
      const release = held();
      const res = await call(api, keys.acme, 'POST', '/api/v1/calls', { extension: '1001', destination: '+39 02 1234-5678' });
      t.equal(res.status, 202, 'answered before the phone answers (the job is still running)');
      const id = res.body.data.callId as string;
      t.match(res.body.data, { state: 'originating', extension: '1001', callerNumber: '1001', destination: '+390212345678', node: 'fs1', channel: null, direction: 'outbound', hangupCause: null, answeredAt: null, endedAt: null, stale: false });
      t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const sent = await rig.server.waitForCommand(/^bgapi originate /);
      t.equal(
        sent.command,
        `bgapi originate {origination_uuid=${id},origination_caller_id_name=+390212345678,origination_caller_id_number=+390212345678,` +
          `originate_timeout=30,accountcode=${keys.acmeId},user_name=1001,switchplane_click_to_call=true}user/1001@${DOMAIN} +390212345678 XML ${DOMAIN}`,
      );
      t.match(sent.headers['Job-UUID'], /^[0-9a-f-]{36}$/, 'with our own Job-UUID');
      t.notOk(rig.server.commands.some((c) => c.startsWith('api originate')), 'never api originate');

      const events = legEvents('bgapi-originate-plain.txt', { '11111111-2222-3333-4444-555555555555': id }, { [id]: { variable_accountcode: keys.acmeId } });
      t.same(events.map((e) => e['Event-Name']), ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_HANGUP_COMPLETE']);
      let step = handled(tracker, id);
      rig.server.pushEvent(events[0]!);
      await step;
      t.match(await get(id), { data: { callId: id, state: 'ringing', extension: '1001', destination: '+390212345678' } });
      step = handled(tracker, id);
      rig.server.pushEvent(events[1]!);
      await step;
      t.match(await get(id), { data: { state: 'answered', answeredAt: '2026-11-22T01:49:27.151Z' } });
      release('+OK <uuid>\n');
      await jobs.get(id);
      const active = await call(api, keys.acme, 'GET', '/api/v1/calls/active');
      t.same(active.body.data.map((c: { callId: string }) => c.callId), [id]);
      step = handled(tracker, id, 'hangup');
      rig.server.pushEvent(events[2]!);
      await step;
      t.match(await get(id), { data: { state: 'ended', hangupCause: 'NORMAL_CLEARING', endedAt: String } });
      t.same((await call(api, keys.acme, 'GET', '/api/v1/calls/active')).body.data, []);
      t.match((await audit()).at(-1), { action: 'originate', resource_id: id, after: { extension: '1001', destination: '+390212345678', state: 'originating' } });
    });

    t.test('a -ERR USER_NOT_REGISTERED job: the call failed with that cause', async (t) => {
      const release = held();
      const res = await call(api, keys.acme, 'POST', '/api/v1/calls', { extension: '1002', destination: '1001' });
      t.equal(res.status, 202);
      const id = res.body.data.callId as string;
      t.match((await rig.server.waitForCommand(new RegExp(`origination_uuid=${id}`))).command, `user_name=1002,switchplane_click_to_call=true}user/1002@${DOMAIN} 1001 XML ${DOMAIN}`);
      release('-ERR USER_NOT_REGISTERED\n');
      // a state only a BACKGROUND_JOB announces: asked again every 5 ms
      await eventually('the call past originating', async () => (await get(id)).data.state !== 'originating', { timeoutMs: 10_000, intervalMs: 5 });
      t.match(await get(id), { data: { state: 'failed', hangupCause: 'USER_NOT_REGISTERED', endedAt: String } });
      t.match(await call(api, keys.acme, 'POST', `/api/v1/calls/${id}/hangup`), { status: 409, body: { error: { code: 'conflict' } } }, 'nothing to hang up');
    });

    t.test('a bridged click-to-call: tenant-scoped everywhere, transferred with -bleg, hung up with uuid_kill', async (t) => {
      const release = held();
      const res = await call(api, keys.admin, 'POST', `/api/v1/customers/${keys.acmeId}/calls`, { extensionId: await extensionId('1001'), destination: '+15550001234' });
      t.equal(res.status, 202, 'an admin names the customer in the path');
      const id = res.body.data.callId as string;
      const bLeg = '00000000-0000-4000-8000-00000000000b';
      const events = legEvents('call-loopback-bridge-plain.txt', { '2ac7b841-a6ac-41a5-952f-fa28eb56893a': id, '1caefa75-fad3-4027-887a-71f8f0ce4131': bLeg }, {
        [id]: { variable_accountcode: keys.acmeId },
        [bLeg]: { variable_accountcode: keys.acmeId, variable_sip_gateway_name: mainTrunk },
      });
      const bridged = handled(tracker, id, 'channel', 'bridged');
      const untilBridge = events.findIndex((e) => e['Event-Name'] === 'CHANNEL_BRIDGE');
      for (const e of events.slice(0, untilBridge)) rig.server.pushEvent(e);
      t.equal((await call(api, keys.acme, 'POST', `/api/v1/calls/${id}/transfer`, { extension: '1002' })).status, 409, 'not transferable before it is bridged');
      rig.server.pushEvent(events[untilBridge]!);
      await bridged;
      release('+OK <uuid>\n');
      t.match(await get(id), { data: { state: 'bridged', otherLeg: bLeg, trunkId: mainTrunk } });
      const active = await call(api, keys.admin, 'GET', '/api/v1/calls/active', undefined, { 'x-tenant-id': keys.acmeId });
      t.same(active.body.data.map((c: { callId: string }) => c.callId), [id], 'one call: the B leg is its other leg');

      t.same((await call(api, keys.globex, 'GET', '/api/v1/calls/active')).body.data, [], 'another tenant sees none of it');
      for (const [method, url, body] of [
        ['GET', `/api/v1/calls/${id}`, undefined],
        ['POST', `/api/v1/calls/${id}/hangup`, undefined],
        ['POST', `/api/v1/calls/${id}/transfer`, { extension: '1001' }],
        ['GET', `/api/v1/calls/${bLeg}`, undefined],
      ] as const) {
        t.match(await call(api, keys.globex, method, url, body), { status: 404, body: { error: { code: 'not_found', message: 'call not found' } } }, `${method} ${url} by another tenant`);
      }
      t.equal((await call(api, keys.acme, 'GET', `/api/v1/calls/${bLeg}`)).status, 404, 'a B leg is not a call of its own');

      const globexOnly = await ctx.store.withTenant(keys.globexId, (db) =>
        db.insertInto('extensions').values({ tenant_id: keys.globexId, extension: '2001', sip_username: '2001', password_enc: ctx.secrets.seal('globex-2001-secret') }).returning('id').executeTakeFirstOrThrow());
      t.match(await call(api, keys.acme, 'POST', `/api/v1/calls/${id}/transfer`, { extension: '2001' }), { status: 404, body: { error: { code: 'not_found', field: 'extension' } } }, 'another tenant\'s extension');
      t.match(await call(api, keys.acme, 'POST', `/api/v1/calls/${id}/transfer`, { extension: '1003' }), { status: 400, body: { error: { code: 'validation_failed', field: 'extension', message: 'extension: extension 1003 is suspended' } } });
      t.match(await call(api, keys.acme, 'POST', `/api/v1/calls/${id}/transfer`, { extension: 'x' }), { status: 400, body: { error: { field: 'extension' } } });
      t.notOk(rig.server.commands.some((c) => c.startsWith('api uuid_transfer')), 'no transfer sent so far');

      const transferred = await call(api, keys.acme, 'POST', `/api/v1/calls/${id}/transfer`, { extension: '1002' });
      t.equal(transferred.status, 202);
      t.equal(transferred.body.data.callId, id);
      await rig.server.waitForCommand(`api uuid_transfer ${id} -bleg 1002 XML ${DOMAIN}`);
      const hungUp = await call(api, keys.acme, 'POST', `/api/v1/calls/${id}/hangup`);
      t.equal(hungUp.status, 202);
      await rig.server.waitForCommand(`api uuid_kill ${id}`);
      const ended = Promise.all([handled(tracker, id, 'hangup'), handled(tracker, bLeg, 'hangup')]);
      for (const e of events.slice(untilBridge + 1)) rig.server.pushEvent(e);
      await ended;
      t.match(await get(id), { data: { state: 'ended', hangupCause: 'NORMAL_CLEARING' } });
      t.match((await audit()).slice(-3), [
        { action: 'originate', resource_id: id },
        { action: 'transfer', resource_id: id, after: { transferredTo: '1002' } },
        { action: 'hangup', resource_id: id },
      ]);
      await ctx.store.withTenant(keys.globexId, (db) => db.deleteFrom('extensions').where('id', '=', globexOnly.id).execute());
    });

    t.test('a phone\'s own call: listed by its A leg, transferred with uuid_transfer in the tenant\'s context', async (t) => {
      const [a, b] = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1'];
      const vars = { variable_accountcode: keys.acmeId, variable_user_name: '1001' };
      const events = legEvents('call-user-bridge-plain.txt', { '3bc72a63-d72b-4157-92a0-67d1681270e1': a, 'f1acc3cd-6bdf-417e-9614-55bbfc2a1d5f': b }, { [a]: vars, [b]: vars });
      const bridge = events.findIndex((e) => e['Event-Name'] === 'CHANNEL_BRIDGE');
      const bridged = handled(tracker, a, 'channel', 'bridged');
      for (const e of events.slice(0, bridge + 1)) rig.server.pushEvent(e);
      await bridged;
      t.match(await get(a), { data: { callId: a, state: 'bridged', direction: 'inbound', extension: null, callerNumber: '1001', destination: '9997', channel: 'sofia/internal/1001@127.0.0.1', otherLeg: b } });
      const status = await call(api, keys.acme, 'GET', '/api/v1/status');
      t.match(status.body.data, { connected: true, nodes: [{ name: 'fs1', connected: true, since: String, eventsReceived: Number, lastError: null }], activeCalls: 1, callsInProgress: 1 });
      t.equal((await call(api, keys.globex, 'GET', '/api/v1/status')).body.data.activeCalls, 0);
      t.equal((await call(api, keys.acme, 'POST', `/api/v1/calls/${a}/transfer`, { extension: '1002' })).status, 202);
      await rig.server.waitForCommand(`api uuid_transfer ${a} 1002 XML ${DOMAIN}`);
      const ended = Promise.all([handled(tracker, a, 'hangup'), handled(tracker, b, 'hangup')]);
      for (const e of events.slice(bridge + 1)) rig.server.pushEvent(e);
      await ended;
      t.equal((await call(api, keys.acme, 'GET', `/api/v1/calls/${a}`)).status, 404, 'a call not placed here is gone once it hung up');
    });

    t.test('what the API refuses before a phone rings', async (t) => {
      const refused = async (key: string, body: unknown, status: number, field?: string) => {
        const res = await call(api, key, 'POST', '/api/v1/calls', body);
        t.equal(res.status, status, JSON.stringify(body));
        if (field) t.equal(res.body.error.field, field, JSON.stringify(body));
      };
      const sent = rig.server.commands.length;
      await refused(keys.acme, { extension: '1001' }, 400, 'destination');
      await refused(keys.acme, { destination: '+390212345678' }, 400, 'extension');
      await refused(keys.acme, { extension: '1001', extensionId: await extensionId('1002'), destination: '1002' }, 400, 'extensionId');
      await refused(keys.acme, { extension: '1001', destination: 'call me' }, 400, 'destination');
      await refused(keys.acme, { extension: '1001', destination: '0510510510' }, 400, 'destination');
      await refused(keys.acme, { extension: '1001', destination: '1003' }, 400, 'destination');
      await refused(keys.acme, { extension: '1001', destination: '1001' }, 400, 'destination');
      await refused(keys.acme, { extension: '1003', destination: '1002' }, 400, 'extension');
      await refused(keys.acme, { extension: '1999', destination: '1002' }, 404, 'extension');
      await refused(keys.acme, { extensionId: (await ctx.store.withTenant(keys.globexId, (db) => db.selectFrom('extensions').select('id').executeTakeFirstOrThrow())).id, destination: '1002' }, 404, 'extensionId');
      await refused(keys.acmeRead, { extension: '1001', destination: '1002' }, 403);
      await refused(keys.admin, { extension: '1001', destination: '1002' }, 400, 'X-Tenant-ID');
      t.equal(rig.server.commands.length, sent, 'nothing reached FreeSWITCH');
      t.match(await call(api, keys.acme, 'GET', '/api/v1/calls/00000000-0000-4000-8000-000000000000'), { status: 404 });
    });

    t.test('no transaction is open while FreeSWITCH is asked; a failed audit write after it accepted still answers 202', async (t) => {
      // The app's store, counting open tenant transactions; once armed, a tenant transaction that
      // ends after the originate went out fails there (rolled back, as a lost commit would).
      let open = 0;
      let armed = false;
      let originateSent = false;
      const openWhenSent: number[] = [];
      const onCommand = ({ command }: { command: string }) => {
        if (!command.startsWith('bgapi originate ')) return;
        originateSent = true;
        openWhenSent.push(open);
      };
      rig.server.on('command', onCommand);
      const real = ctx.store;
      const store: Store = {
        kind: real.kind,
        withTenant: async (tenantId, fn) => {
          open++;
          try {
            return await real.withTenant(tenantId, async (trx) => {
              const result = await fn(trx);
              if (armed && originateSent) throw new Error('Connection terminated unexpectedly');
              return result;
            });
          } finally {
            open--;
          }
        },
        withOperator: (fn) => real.withOperator(fn),
        withLookup: (fn, opts) => real.withLookup(fn, opts),
        withIngest: (fn) => real.withIngest(fn),
        withScheduler: (fn) => real.withScheduler(fn),
        onChange: (listener) => real.onChange(listener),
        close: async () => undefined,
      };
      const logged: Array<{ level: number; msg: string; audit?: Record<string, unknown> }> = [];
      const counted = await buildApp({
        config: ctx.config, store, secrets: ctx.secrets, metrics: ctx.metrics, esl: rig.nodes, calls,
        logger: { level: 'error', stream: { write: (line: string) => void logged.push(JSON.parse(line)) } },
      });
      t.teardown(async () => {
        rig.server.off('command', onCommand);
        await counted.close();
      });
      const originates = (id: string) => rig.server.commands.filter((c) => c.startsWith('bgapi originate ') && c.includes(`origination_uuid=${id},`));

      held();
      const ok = await call(counted, keys.acme, 'POST', '/api/v1/calls', { extension: '1001', destination: '1002' });
      t.equal(ok.status, 202);
      const id = ok.body.data.callId as string;
      t.same(openWhenSent, [0], 'the checks\' transaction ended before the bgapi originate was sent');
      t.equal(originates(id).length, 1, 'the originate is sent once');
      const rows = await ctx.store.withTenant(keys.acmeId, (db) =>
        db.selectFrom('audit_log').select(['actor', 'action', 'resource_type', 'resource_id', 'after']).where('resource_type', '=', 'call').where('resource_id', '=', id).execute());
      t.match(rows, [{ actor: /^\S+ \(test .+\)$/, action: 'originate', resource_type: 'call', resource_id: id, after: { callId: id, extension: '1001', destination: '1002', state: 'originating' } }], 'its audit row, written after it');
      t.equal(rows.length, 1);

      armed = true;
      originateSent = false;
      held();
      const unaudited = await call(counted, keys.acme, 'POST', '/api/v1/calls', { extension: '1002', destination: '1001' });
      t.equal(unaudited.status, 202, 'the phone rings: the call exists although its audit row could not be written');
      const lostId = unaudited.body.data.callId as string;
      t.match(unaudited.body.data, { callId: lostId, state: 'originating', extension: '1002' });
      t.equal(originates(lostId).length, 1, 'sent once, not again');
      t.match(await get(lostId), { data: { callId: lostId, extension: '1002' } }, 'and it is followed');
      t.same(await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('audit_log').select('id').where('resource_id', '=', lostId).execute()), [], 'no audit row');
      t.match(logged, [{ level: 50, msg: /audit row of call originate .* not written/, audit: { tenantId: keys.acmeId, action: 'originate', resourceType: 'call', resourceId: lostId, actor: String, after: { callId: lostId } } }], 'logged with the entry');
      armed = false;
    });

    t.test('503 esl_unavailable without a connected node, and without ESL_NODES', async (t) => {
      const noEsl = await call(ctx.app, keys.acme, 'POST', '/api/v1/calls', { extension: '1001', destination: '1002' });
      t.match(noEsl, { status: 503, body: { error: { code: 'esl_unavailable', message: /ESL_NODES/ } } });
      t.match(await call(ctx.app, keys.acme, 'GET', '/api/v1/calls/active'), { status: 503 });
      t.match((await call(ctx.app, keys.acme, 'GET', '/api/v1/status')).body.data, { connected: false, nodes: [], activeCalls: 0, callsInProgress: 0 });

      const down = once(rig.nodes.connections[0]!, 'disconnected');
      await rig.server.stop();
      await down;
      t.match(await call(api, keys.acme, 'POST', '/api/v1/calls', { extension: '1001', destination: '1002' }), { status: 503, body: { error: { code: 'esl_unavailable', message: 'no FreeSWITCH event socket is connected' } } });
      const status = await call(api, keys.admin, 'GET', '/api/v1/status', undefined, { 'x-tenant-id': keys.acmeId });
      t.match(status.body.data, { connected: false, nodes: [{ name: 'fs1', connected: false, lastError: String }] }, 'an admin sees the last error');
    });

    async function extensionId(extension: string): Promise<string> {
      return (await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('extensions').select('id').where('extension', '=', extension).executeTakeFirstOrThrow())).id;
    }
  });
}
