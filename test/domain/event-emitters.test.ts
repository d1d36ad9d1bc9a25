/**
 * What emits each event webhook, in the transaction that records what it reports: a CDR written
 * (call.ended, once per leg, with the CDR), a phone's registration coming and going
 * (registration.changed), a trunk's gateway changing state (gateway.changed), an AI session
 * ending (ai_session.completed) and a recurring call's occurrence executed
 * (recurring_call.executed). Only the customer's subscribed events are queued.
 */
import t from 'tap';
import { cdrFromEvent } from '../../src/cdr/records.js';
import { saveSession } from '../../src/domain/ai-session-writes.js';
import { writeCdrRowsAndEmit } from '../../src/domain/call-events.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/domain/event-webhooks.js';
import { writeGatewayStates } from '../../src/domain/gateway-states.js';
import { claimDue, settle } from '../../src/domain/recurring-call-executions.js';
import { writeRegistrations } from '../../src/domain/registrations.js';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';
import { hangupEvent } from '../helpers/cdr.js';

for (const backend of backends) {
  t.test(`${backend.name}: event webhook emitters`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const hook = await call(ctx.app, keys.acme, 'POST', '/api/v1/webhooks', { url: 'https://crm.example.com/hook', events: [...WEBHOOK_EVENT_TYPES] });
    const globexHook = await call(ctx.app, keys.globex, 'POST', '/api/v1/webhooks', { url: 'https://globex.example.com/hook', events: ['call.started'] });
    const queued = async (type: string) =>
      (await ctx.store.withTenant(keys.acmeId, (trx) => trx.selectFrom('webhook_deliveries').select(['event_type', 'data']).where('webhook_id', '=', hook.body.data.id).where('event_type', '=', type).orderBy('created_at').execute())).map((d) => d.data);

    t.test('call.ended: once per leg, with the CDR as the API answers it', async (t) => {
      const event = hangupEvent({ variable_accountcode: keys.acmeId });
      const record = cdrFromEvent(event, 'fs1')!;
      await ctx.store.withIngest((trx) => writeCdrRowsAndEmit(trx, [record]));
      await ctx.store.withIngest((trx) => writeCdrRowsAndEmit(trx, [record])); // mod_json_cdr's report of the same leg
      const ended = await queued('call.ended');
      t.equal(ended.length, 1, 'the second report of the leg emits nothing');
      const cdr = (await call(ctx.app, keys.acme, 'GET', `/api/v1/cdrs?limit=5`)).body.data.find((c: { callId: string }) => c.callId === record.uniqueId);
      t.same(ended[0], { callId: record.uniqueId, cdr: JSON.parse(JSON.stringify(cdr)) });
    });

    t.test('registration.changed: registered, then unregistered; a refresh emits nothing', async (t) => {
      const aor = { domain: 'acme.switchplane.test', username: '1001' };
      const binding = { contact: '<sip:1001@192.0.2.7:5070>', userAgent: 'Yealink T46U', ip: '192.0.2.7', port: 5070, expiresAt: new Date('2026-11-23T11:00:00Z') };
      await ctx.store.withIngest((trx) => writeRegistrations(trx, [{ kind: 'binding', node: 'fs1', aor, registered: true, binding }]));
      await ctx.store.withIngest((trx) => writeRegistrations(trx, [{ kind: 'binding', node: 'fs1', aor, registered: true, binding }]));
      await ctx.store.withIngest((trx) => writeRegistrations(trx, [{ kind: 'sweep', node: 'fs1', present: new Set() }]));
      const changes = await queued('registration.changed');
      t.match(changes, [
        { extension: '1001', sipUsername: '1001', registered: true, node: 'fs1', userAgent: 'Yealink T46U', ip: '192.0.2.7', port: 5070 },
        { extension: '1001', registered: false, node: null },
      ]);
      t.equal(changes.length, 2);
    });

    t.test('gateway.changed: the state and ping status mod_sofia reports, with the previous ones', async (t) => {
      const trunk = (await call(ctx.app, keys.acme, 'GET', '/api/v1/trunks')).body.data[0];
      await ctx.store.withIngest((trx) => writeGatewayStates(trx, [{ name: trunk.id, state: 'REGED', pingStatus: 'UP' }]));
      await ctx.store.withIngest((trx) => writeGatewayStates(trx, [{ name: trunk.id, state: 'REGED', pingStatus: 'UP' }]));
      await ctx.store.withIngest((trx) => writeGatewayStates(trx, [{ name: trunk.id, state: 'FAIL_WAIT', pingStatus: 'DOWN', lastError: '408 Request Timeout' }]));
      const changes = await queued('gateway.changed');
      t.match(changes.slice(-2), [
        { trunkId: trunk.id, state: 'REGED', pingStatus: 'UP' },
        { trunkId: trunk.id, state: 'FAIL_WAIT', previousState: 'REGED', pingStatus: 'DOWN', previousPingStatus: 'UP', lastError: '408 Request Timeout' },
      ]);
    });

    t.test('ai_session.completed: when the session is written with its end', async (t) => {
      const rec = {
        tenantId: keys.acmeId, callId: '7e57ca11-0000-4000-8000-000000000001', openaiSessionId: 'sess_1', agentProfile: 'support', callerNumber: '+390510510510',
        did: '+390510510511', startedAt: new Date('2026-11-23T10:00:00Z'), endedAt: null, transcript: [], actions: [], transferTarget: null, transferReason: null,
        failureReason: null, sentiment: null, satisfactionScore: null,
      };
      await saveSession(ctx.store, rec, { insertOnly: true });
      t.same(await queued('ai_session.completed'), [], 'not at the start');
      await saveSession(ctx.store, { ...rec, endedAt: new Date('2026-11-23T10:01:30Z'), sentiment: 'positive' });
      t.match(await queued('ai_session.completed'), [{ callId: rec.callId, durationSeconds: 90, sentiment: 'positive', endedAt: '2026-11-23T10:01:30.000Z', actionsTaken: [] }]);
    });

    t.test('recurring_call.executed: the occurrence and its outcome', async (t) => {
      const ext = (await call(ctx.app, keys.acme, 'GET', '/api/v1/extensions')).body.data.find((e: { extensionNumber: string }) => e.extensionNumber === '1001');
      const rc = await call(ctx.app, keys.acme, 'POST', `/api/v1/extensions/${ext.id}/recurring-calls`, { destinationNumber: '+390212345678', schedule: { frequency: 'daily', time: '09:30', timezone: 'UTC' } });
      const { occurrences } = await ctx.store.withScheduler((trx) => claimDue(trx, { instanceId: 'test', now: new Date('2026-11-24T09:30:05Z'), leaseMs: 60_000, graceMs: 300_000, limit: 100 }));
      const mine = occurrences.find((o) => o.recurringCallId === rc.body.data.id)!;
      await ctx.store.withScheduler((trx) => settle(trx, 'test', mine.executionId, { outcome: 'originated', startedAt: new Date('2026-11-24T09:30:06Z') }));
      t.match(await queued('recurring_call.executed'), [{ recurringCallId: rc.body.data.id, executionId: mine.executionId, callId: mine.callId, outcome: 'originated', attempts: 1 }]);
    });

    t.test('another customer\'s events stay out of Acme\'s queue', async (t) => {
      const all = await ctx.store.withTenant(keys.acmeId, (trx) => trx.selectFrom('webhook_deliveries').select('webhook_id').execute());
      t.ok(all.every((d) => d.webhook_id === hook.body.data.id));
      const globex = await ctx.store.withTenant(keys.globexId, (trx) => trx.selectFrom('webhook_deliveries').select('event_type').where('webhook_id', '=', globexHook.body.data.id).execute());
      t.same(globex, [], 'Globex subscribed to call.started only, and nothing of Globex happened');
    });
  });
}
