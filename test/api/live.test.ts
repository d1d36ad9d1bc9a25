/**
 * GET /api/v1/live over a real socket: the three snapshots at connect, a registration, a gateway
 * state and a call pushed within a second, bursts coalesced, an agent's own view, the tenant
 * choice of admin keys, and streams that end cleanly when the client goes or the app closes.
 */
import type { AddressInfo } from 'node:net';
import { mock } from 'node:test';
import t from 'tap';
import { KEEP_ALIVE_MS } from '../../src/api/live.js';
import { buildApp } from '../../src/wiring/http.js';
import { CallControl } from '../../src/esl/call-control.js';
import { ChannelTracker } from '../../src/esl/channels.js';
import { writeGatewayStates } from '../../src/domain/gateway-states.js';
import { writeRegistrations } from '../../src/domain/registrations.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { eslRig } from '../helpers/esl-controller.js';
import { legEvents } from '../helpers/esl-replay.js';
import { eventually } from '../helpers/eventually.js';
import { openStream } from '../helpers/live-stream.js';
import { login } from '../helpers/sessions.js';
import { ensureOperator, OPERATOR_EMAIL } from '../../src/domain/users.js';

for (const backend of backends) {
  t.test(`${backend.name}: live updates`, async (t) => {
    const ctx = await demoApp(backend);
    const keys = await demoKeys(ctx.store);
    const tracker = new ChannelTracker({ store: ctx.store, metrics: ctx.metrics, onError: (err) => t.error(err), countDelayMs: 5 });
    const rig = await eslRig(t, [tracker], ctx.metrics, (cmd) => (cmd === 'show channels as json' ? '{"row_count": 0}\n' : undefined));
    const calls = new CallControl({ nodes: rig.nodes, channels: tracker });
    const app = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics, esl: rig.nodes, calls });
    let closed = false;
    t.teardown(async () => {
      if (!closed) await app.close();
      await tracker.close();
      await ctx.close();
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    const ids = await ctx.store.withTenant(keys.acmeId, async (db) => ({
      ext: Object.fromEntries((await db.selectFrom('extensions').select(['extension', 'id']).execute()).map((r) => [r.extension, r.id])),
      trunk: (await db.selectFrom('trunks').select('id').where('name', '=', 'acme-main').executeTakeFirstOrThrow()).id,
    }));
    const register = (username: string, registered: boolean) =>
      ctx.store.withIngest((db) => writeRegistrations(db, [{ kind: 'binding', node: 'fs1', aor: { domain: 'acme.switchplane.test', username }, registered, binding: { contact: `<sip:${username}@192.0.2.7:5070>`, userAgent: 'Yealink T54W', ip: '192.0.2.7', port: 5070, expiresAt: new Date(Date.now() + 3_600_000) }, at: new Date() }]));
    const liveStreams = async () => (await ctx.metrics.liveStreams.get()).values[0]?.value ?? 0;

    t.test('a customer gets all three snapshots at connect, then each change within a second', async (t) => {
      const s = openStream(base, '/api/v1/live', bearer(keys.acme));
      await s.next('gateways', 0);
      t.equal(s.status(), 200);
      t.same(s.events.slice(0, 3).map((e) => e.event).sort(), ['calls', 'gateways', 'registrations']);
      t.same(s.events.find((e) => e.event === 'calls')!.data, { calls: [] });
      const regs = s.events.find((e) => e.event === 'registrations')!.data.registrations;
      t.match(regs.find((r: { extensionNumber: string }) => r.extensionNumber === '1001'), { extensionId: ids.ext['1001'], registered: false });
      t.match(s.events.find((e) => e.event === 'gateways')!.data.gateways.find((g: { trunkId: string }) => g.trunkId === ids.trunk), { name: 'acme-main', registrationState: String });
      t.equal(await liveStreams(), 1, 'counted in /metrics');

      let mark = s.events.length;
      const sent = Date.now();
      await register('1001', true);
      const reg = await s.next('registrations', mark, (d) => d.registrations.some((r: { extensionNumber: string; registered: boolean }) => r.extensionNumber === '1001' && r.registered));
      t.ok(reg.at - sent < 1000, `registration pushed in ${reg.at - sent} ms`);
      t.match(reg.data.registrations.find((r: { extensionNumber: string }) => r.extensionNumber === '1001'), { userAgent: 'Yealink T54W', ip: '192.0.2.7', port: 5070, expiresAt: String });

      mark = s.events.length;
      await ctx.store.withIngest((db) => writeGatewayStates(db, [{ name: ids.trunk, state: 'REGED', pingStatus: 'UP' }]));
      const gw = await s.next('gateways', mark, (d) => d.gateways.some((g: { trunkId: string; registrationState: string }) => g.trunkId === ids.trunk && g.registrationState === 'REGED'));
      t.ok(gw.at - sent < 2000);

      mark = s.events.length;
      const [a, b] = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1'];
      const vars = { variable_accountcode: keys.acmeId, variable_user_name: '1001' };
      const legs = legEvents('call-user-bridge-plain.txt', { '3bc72a63-d72b-4157-92a0-67d1681270e1': a, 'f1acc3cd-6bdf-417e-9614-55bbfc2a1d5f': b }, { [a]: vars, [b]: vars });
      const callSent = Date.now();
      rig.server.pushEvent(legs[0]!);
      const started = await s.next('calls', mark, (d) => d.calls.some((c: { callId: string }) => c.callId === a));
      t.ok(started.at - callSent < 1000, `call pushed in ${started.at - callSent} ms`);
      t.match(started.data.calls[0], { callId: a, callerNumber: '1001', destination: '9997', state: 'ringing' });
      mark = s.events.length;
      for (const e of legs.slice(1)) rig.server.pushEvent(e);
      await s.next('calls', mark, (d) => d.calls.length === 0);

      s.close();
      await s.ended;
      await eventually('the closed stream no longer counted', async () => (await liveStreams()) === 0);
      t.equal(await liveStreams(), 0, 'the closed stream is no longer counted');
    });

    t.test('a burst of changes is sent as one snapshot', async (t) => {
      const s = openStream(base, '/api/v1/live', bearer(keys.acme));
      await s.next('gateways', 0);
      const mark = s.events.length;
      for (const [i, u] of ['1001', '1002', '1003', '1001', '1002'].entries()) await register(u, i % 2 === 0);
      const state = (d: { registrations: Array<{ extensionNumber: string; registered: boolean }> }, ext: string) => d.registrations.find((r) => r.extensionNumber === ext)!.registered;
      await s.next('registrations', mark, (d) => state(d, '1002') && state(d, '1003') && !state(d, '1001'));
      await new Promise((r) => setTimeout(r, 600));
      const sent = s.events.slice(mark).filter((e) => e.event === 'registrations');
      t.ok(sent.length <= 2, `${sent.length} snapshots for 5 changes`);
      t.ok(sent.every((e, i) => i === 0 || e.at - sent[i - 1]!.at >= 200), 'at most one per 250 ms');
      s.close();
      await s.ended;
    });

    t.test('an agent sees its own extension and calls, no gateways; a Globex key only Globex', async (t) => {
      const agent = await login(app, 'agent@acme.switchplane.test', 'acme-agent-demo');
      const s = openStream(base, '/api/v1/live', { cookie: agent.cookie });
      await s.next('gateways', 0);
      t.same(s.events.find((e) => e.event === 'registrations')!.data.registrations.map((r: { extensionNumber: string }) => r.extensionNumber), ['1001']);
      t.same(s.events.find((e) => e.event === 'gateways')!.data, { gateways: [] });
      const globex = openStream(base, '/api/v1/live', bearer(keys.globex));
      await globex.next('gateways', 0);
      t.notOk(globex.events.find((e) => e.event === 'registrations')!.data.registrations.some((r: { extensionId: string }) => Object.values(ids.ext).includes(r.extensionId)));
      s.close();
      globex.close();
      await Promise.all([s.ended, globex.ended]);
    });

    t.test('admin keys and operators name the customer; refusals are JSON errors', async (t) => {
      const s = openStream(base, `/api/v1/live?tenantId=${keys.acmeId}`, bearer(keys.admin));
      await s.next('registrations', 0, (d) => d.registrations.some((r: { extensionId: string }) => r.extensionId === ids.ext['1001']));
      await ensureOperator(ctx.store, 'operator-test-password');
      const operator = await login(app, OPERATOR_EMAIL, 'operator-test-password');
      const op = openStream(base, `/api/v1/live?tenantId=${keys.globexId}`, { cookie: operator.cookie });
      await op.next('registrations', 0, (d) => d.registrations.length > 0 && !d.registrations.some((r: { extensionId: string }) => Object.values(ids.ext).includes(r.extensionId)));
      s.close();
      op.close();
      await Promise.all([s.ended, op.ended]);
      t.match((await call(app, keys.admin, 'GET', '/api/v1/live')).body.error, { code: 'tenant_required' });
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/live?tenantId=${keys.globexId}`)).status, 404);
      t.equal((await call(app, keys.admin, 'GET', '/api/v1/live?tenantId=00000000-0000-4000-8000-000000000000')).status, 404);
      t.equal((await call(app, keys.acme, 'GET', '/api/v1/live?since=1')).status, 400);
      t.equal((await call(app, null, 'GET', '/api/v1/live')).status, 401);
    });

    t.test('a keep-alive comment every 15 s', async (t) => {
      mock.timers.enable({ apis: ['setInterval'] });
      t.teardown(() => mock.timers.reset());
      const s = openStream(base, '/api/v1/live', bearer(keys.acme));
      await s.next('gateways', 0);
      mock.timers.tick(KEEP_ALIVE_MS - 1);
      await new Promise((r) => setTimeout(r, 50));
      t.notMatch(s.raw(), /: keep-alive/, 'not before 15 s');
      mock.timers.tick(1);
      await eventually('a keep-alive comment', () => s.raw().includes('\n: keep-alive\n\n'));
      t.equal(KEEP_ALIVE_MS, 15_000);
      s.close();
      await s.ended;
    });

    t.test('closing the app ends open streams', async (t) => {
      const s = openStream(base, '/api/v1/live', bearer(keys.acme));
      await s.next('gateways', 0);
      const started = Date.now();
      await app.close();
      closed = true;
      await s.ended;
      t.ok(Date.now() - started < 5000, 'close did not wait for the stream');
      t.equal(await liveStreams(), 0);
    });
  });
}
