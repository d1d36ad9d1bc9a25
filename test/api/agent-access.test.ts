/**
 * What a logged-in agent (demo agent@acme, extension 1001) may do in the shared routes, and what
 * stays refused: its own extension, credentials, DND and forwarding; its own CDRs, AI sessions and
 * calls; click-to-call from its own extension only.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildApp } from '../../src/wiring/http.js';
import { CallControl } from '../../src/esl/call-control.js';
import { ChannelTracker, type Channel } from '../../src/esl/channels.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { eslRig } from '../helpers/esl-controller.js';
import { legEvents } from '../helpers/esl-replay.js';
import type { JsonEvent } from '../helpers/esl-server.js';
import { login, sessionCall, type Session } from '../helpers/sessions.js';

/** The recorded phone-to-phone call of 1001 (A leg to 9997), as a call of `ext` when given. */
function phoneCall(a: string, b: string, tenantId: string, ext = '1001'): JsonEvent[] {
  const vars = { variable_accountcode: tenantId, variable_user_name: ext };
  return legEvents('call-user-bridge-plain.txt', { '3bc72a63-d72b-4157-92a0-67d1681270e1': a, 'f1acc3cd-6bdf-417e-9614-55bbfc2a1d5f': b }, { [a]: vars, [b]: vars }).map((e) =>
    Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === 'string' && /Channel-Name|Caller-Caller-ID-Number|Caller-Destination-Number/.test(k) ? v.replace(/^1001$/, ext).replace('/1001@', `/${ext}@`) : v])),
  );
}

for (const backend of backends) {
  t.test(`${backend.name}: an agent's own extension, records and calls`, async (t) => {
    const ctx = await demoApp(backend);
    const keys = await demoKeys(ctx.store);
    const tracker = new ChannelTracker({ store: ctx.store, metrics: ctx.metrics, onError: (err) => t.error(err), countDelayMs: 5 });
    let app: Awaited<ReturnType<typeof buildApp>> | undefined;
    t.teardown(async () => {
      await app?.close();
      await tracker.close();
      await ctx.close();
    });
    const rig = await eslRig(t, [tracker], ctx.metrics, (cmd) => {
      if (cmd === 'show channels as json') return '{"row_count": 0}\n';
      if (cmd.startsWith('originate ')) return new Promise<string>(() => undefined);
      return cmd.startsWith('uuid_kill ') || cmd.startsWith('uuid_transfer ') ? '+OK\n' : undefined;
    });
    const calls = new CallControl({ nodes: rig.nodes, channels: tracker });
    app = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics, esl: rig.nodes, calls });
    const api = app;
    const ext = Object.fromEntries(
      (await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('extensions').select(['extension', 'id']).execute())).map((r) => [r.extension, r.id]),
    );
    const agent: Session = await login(api, 'agent@acme.switchplane.test', 'acme-agent-demo');
    const as = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) => sessionCall(api, agent, method, url, body);

    t.test('its own extension: read, listed alone, credentials without the scope; others 404', async (t) => {
      t.match((await as('GET', `/api/v1/extensions/${ext['1001']}`)).body.data, { id: ext['1001'], extensionNumber: '1001' });
      t.same((await as('GET', '/api/v1/extensions')).body.data.map((e: { extensionNumber: string }) => e.extensionNumber), ['1001']);
      const creds = await as('GET', `/api/v1/extensions/${ext['1001']}/credentials`);
      t.equal(creds.status, 200);
      t.match(creds.body.data, { extension: '1001', password: String });
      t.equal((await as('GET', `/api/v1/extensions/${ext['1002']}`)).status, 404);
      t.equal((await as('GET', `/api/v1/extensions/${ext['1002']}/credentials`)).status, 404);
      t.equal((await as('GET', `/api/v1/customers/${keys.globexId}/extensions`)).status, 404);
    });

    t.test('it changes do not disturb and forwarding of its own extension, nothing else', async (t) => {
      const dnd = await as('PATCH', `/api/v1/extensions/${ext['1001']}`, { doNotDisturb: true });
      t.equal(dnd.status, 200);
      t.equal(dnd.body.data.doNotDisturb, true);
      const fwd = await as('PATCH', `/api/v1/extensions/${ext['1001']}`, { forwardingEnabled: true, forwardingNumber: '+390212345678' });
      t.match(fwd.body.data, { forwardingEnabled: true, forwardingNumber: '+390212345678' });
      const name = await as('PATCH', `/api/v1/extensions/${ext['1001']}`, { doNotDisturb: false, displayName: 'Boss' });
      t.equal(name.status, 403);
      t.match(name.body.error, { code: 'forbidden', field: 'displayName' });
      t.equal((await as('PUT', `/api/v1/extensions/${ext['1001']}`, { password: 'a-new-password-123' })).status, 403);
      t.equal((await as('PATCH', `/api/v1/extensions/${ext['1002']}`, { doNotDisturb: true })).status, 404);
      t.equal((await as('DELETE', `/api/v1/extensions/${ext['1001']}`)).status, 403);
      t.equal((await as('POST', '/api/v1/extensions', { extensionNumber: '1888' })).status, 403);
      const audit = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('audit_log').select('actor').where('resource_id', '=', ext['1001']!).orderBy('id', 'desc').executeTakeFirstOrThrow());
      t.match(audit.actor, /agent@acme\.switchplane\.test/, 'the audit log names the person');
    });

    t.test('everything else stays 403', async (t) => {
      for (const url of ['/api/v1/trunks', '/api/v1/phone-numbers', '/api/v1/audit-log', '/api/v1/status', '/api/v1/api-keys', '/api/v1/customers']) {
        t.equal((await as('GET', url)).status, 403, url);
      }
    });

    t.test('CDRs and AI sessions of its own extension only', async (t) => {
      const start = new Date('2026-11-23T09:00:00Z');
      const cdr = (extensionId: string, aiSessionId: string | null = null) => ({
        id: randomUUID(), tenant_id: keys.acmeId, unique_id: randomUUID(), direction: 'internal' as const, call_type: 'voice' as const, caller_number: '1001', called_number: '1002',
        start_at: start, duration_seconds: 10, billsec: 0, disposition: 'NO ANSWER' as const, extension_id: extensionId, metadata: '{}', ai_session_id: aiSessionId,
      });
      const session = (transferTarget: string | null = null) => ({ id: randomUUID(), tenant_id: keys.acmeId, call_id: randomUUID(), started_at: start, transfer_target: transferTarget });
      const [viaCdr, viaTransfer, other] = [session(), session('1001'), session()];
      const [own, others] = [cdr(ext['1001']!, viaCdr.id), cdr(ext['1002']!, other.id)];
      await ctx.store.withTenant(keys.acmeId, async (db) => {
        await db.insertInto('ai_sessions').values([viaCdr, viaTransfer, other]).execute();
        await db.insertInto('cdrs').values([own, others]).execute();
      });
      t.same((await as('GET', '/api/v1/cdrs')).body.data.map((c: { id: string }) => c.id), [own.id]);
      t.same((await as('GET', `/api/v1/cdrs?extensionId=${ext['1002']}`)).body.data, [], 'a filter does not widen it');
      t.equal((await as('GET', `/api/v1/cdrs/${own.id}`)).status, 200);
      t.equal((await as('GET', `/api/v1/cdrs/${others.id}`)).status, 404);
      t.equal((await as('GET', '/api/v1/cdrs/stats')).body.data.totalCalls, 1);
      t.equal((await as('GET', '/api/v1/cdrs/stats/hourly?from=2026-11-23')).body.data.reduce((s: number, b: { calls: number }) => s + b.calls, 0), 1);
      const csv = await api.inject({ method: 'GET', url: '/api/v1/cdrs.csv', headers: { cookie: agent.cookie } });
      t.equal(csv.body.trim().split('\r\n').length, 2, 'header and its one record');
      t.equal((await call(api, keys.acme, 'GET', '/api/v1/cdrs')).body.pagination.total, 2, 'a tenant key sees both');
      t.same(new Set((await as('GET', '/api/v1/ai-sessions')).body.data.map((s: { id: string }) => s.id)), new Set([viaCdr.id, viaTransfer.id]));
      t.equal((await as('GET', `/api/v1/ai-sessions/${viaTransfer.call_id}`)).status, 200);
      t.equal((await as('GET', `/api/v1/ai-sessions/${other.id}`)).status, 404);
    });

    t.test('calls: its own listed, hung up and transferred; another phone\'s call is not there', async (t) => {
      const [a, b, c, d] = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000d1'];
      const bridged = new Promise<void>((resolve) => {
        const seen = new Set<string>();
        const on = (ch: Readonly<Channel>) => {
          if (ch.state === 'bridged') seen.add(ch.uuid);
          if (seen.has(a) && seen.has(c)) { tracker.off('channel', on); resolve(); }
        };
        tracker.on('channel', on);
      });
      const mine = phoneCall(a, b, keys.acmeId);
      const theirs = phoneCall(c, d, keys.acmeId, '1002');
      const upToBridge = (ev: JsonEvent[]) => ev.slice(0, ev.findIndex((e) => e['Event-Name'] === 'CHANNEL_BRIDGE') + 1);
      for (const e of [...upToBridge(mine), ...upToBridge(theirs)]) rig.server.pushEvent(e);
      await bridged;
      t.same((await call(api, keys.acme, 'GET', '/api/v1/calls/active')).body.data.map((x: { callId: string }) => x.callId).sort(), [a, c], 'the customer sees both');
      t.same((await as('GET', '/api/v1/calls/active')).body.data.map((x: { callId: string }) => x.callId), [a]);
      t.equal((await as('GET', `/api/v1/calls/${a}`)).status, 200);
      for (const [method, url, body] of [['GET', `/api/v1/calls/${c}`], ['POST', `/api/v1/calls/${c}/hangup`], ['POST', `/api/v1/calls/${c}/transfer`, { extension: '1001' }]] as const) {
        t.equal((await as(method, url, body)).status, 404, `${method} ${url}`);
      }
      t.equal((await as('POST', `/api/v1/calls/${a}/transfer`, { extension: '1002' })).status, 202);
      await rig.server.waitForCommand(`api uuid_transfer ${a} 1002 XML acme.switchplane.test`);
      t.equal((await as('POST', `/api/v1/calls/${a}/hangup`)).status, 202);
      await rig.server.waitForCommand(`api uuid_kill ${a}`);
    });

    t.test('click-to-call from its own extension only', async (t) => {
      const own = await as('POST', '/api/v1/calls', { destination: '1002' });
      t.equal(own.status, 202, 'its own extension when it names none');
      t.match(own.body.data, { extension: '1001', destination: '1002' });
      t.equal((await as('POST', '/api/v1/calls', { extension: '1001', destination: '+390212345678' })).status, 202);
      const other = await as('POST', '/api/v1/calls', { extension: '1002', destination: '+390212345678' });
      t.equal(other.status, 403);
      t.match(other.body.error, { code: 'forbidden', field: 'extension' });
      t.equal((await as('POST', '/api/v1/calls', { extensionId: ext['1002'], destination: '+390212345678' })).status, 403);
      t.equal((await sessionCall(api, agent, 'POST', '/api/v1/calls', { destination: '1002' }, { csrf: false })).status, 403, 'a cookie write needs its CSRF token');
    });

    t.test('another customer\'s agent sees none of it', async (t) => {
      const globex = await login(api, 'agent@globex.switchplane.test', 'globex-agent-demo');
      t.equal((await sessionCall(api, globex, 'GET', `/api/v1/extensions/${ext['1001']}`)).status, 404);
      t.same((await sessionCall(api, globex, 'GET', '/api/v1/cdrs')).body.data, []);
      t.same((await sessionCall(api, globex, 'GET', '/api/v1/calls/active')).body.data, []);
    });
  });
}
