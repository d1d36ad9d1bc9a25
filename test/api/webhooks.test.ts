/**
 * The W3 Suite guide's "sync with signed requests": a customer subscribes its endpoint to call
 * and recording events, is shown the signing secret once, reads the delivery log and replays a
 * delivery; another customer sees none of it; a tenant key cannot point a webhook at a private
 * address unless the operator allows it. Delivery itself: test/http/webhook-worker.test.ts.
 */
import t from 'tap';
import { emitEvent } from '../../src/domain/event-webhooks.js';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';

for (const backend of backends) {
  t.test(`${backend.name}: event webhooks API`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const acmeHooks = `/api/v1/customers/${keys.acmeId}/webhooks`;
    const audit = (id: string) =>
      ctx.store.withTenant(keys.acmeId, (trx) => trx.selectFrom('audit_log').select(['action', 'resource_type', 'after']).where('resource_id', '=', id).orderBy('id').execute());

    let hookId = '';
    t.test('subscribing answers the signing secret once, sealed at rest', async (t) => {
      const res = await call(app, keys.acme, 'POST', acmeHooks, { url: 'https://crm.example.com/switchplane', events: ['call.ended', 'recording.saved'], description: 'W3 Suite CRM' });
      t.equal(res.status, 201);
      t.match(res.body.data, { id: /^[0-9a-f-]{36}$/, url: 'https://crm.example.com/switchplane', events: ['call.ended', 'recording.saved'], description: 'W3 Suite CRM', enabled: true, secret: /^whsec_[A-Za-z0-9_-]{43}$/ });
      hookId = res.body.data.id;
      const secret = res.body.data.secret as string;
      const stored = await ctx.store.withTenant(keys.acmeId, (trx) => trx.selectFrom('webhook_subscriptions').select('secret_sealed').where('id', '=', hookId).executeTakeFirstOrThrow());
      t.not(stored.secret_sealed, secret, 'not stored in clear');
      t.equal(ctx.secrets.open(stored.secret_sealed), secret, 'sealed with the SecretBox');
      const got = await call(app, keys.acme, 'GET', `${acmeHooks}/${hookId}`);
      t.equal(got.status, 200);
      t.notOk('secret' in got.body.data, 'never answered again');
      t.notOk(JSON.stringify(await call(app, keys.acme, 'GET', acmeHooks)).includes(secret), 'not in the list');
      const [created] = await audit(hookId);
      t.match(created, { action: 'create', resource_type: 'webhook', after: { url: 'https://crm.example.com/switchplane', secret_sealed: '[set]' } });
      t.notOk(JSON.stringify(created).includes(secret));
    });

    t.test('both path forms; the list; the update; validation names the field', async (t) => {
      const own = await call(app, keys.acme, 'GET', '/api/v1/webhooks');
      t.same(own.body.data.map((w: { id: string }) => w.id), [hookId]);
      const updated = await call(app, keys.acme, 'PATCH', `/api/v1/webhooks/${hookId}`, { events: ['call.started', 'call.answered', 'call.ended'], enabled: false });
      t.equal(updated.status, 200);
      t.match(updated.body.data, { events: ['call.started', 'call.answered', 'call.ended'], enabled: false, url: 'https://crm.example.com/switchplane' });
      t.match(await audit(hookId), [{ action: 'create' }, { action: 'update', after: { enabled: false } }]);
      const cases: Array<[string, unknown, string, RegExp?]> = [
        ['an unknown event', { url: 'https://x.example.com/', events: ['call.rang'] }, 'events.0'],
        ['no events', { url: 'https://x.example.com/', events: [] }, 'events'],
        ['no url', { events: ['call.ended'] }, 'url'],
        ['an ftp url', { url: 'ftp://x.example.com/hook', events: ['call.ended'] }, 'url'],
        ['a url with a password', { url: 'https://user:pw@x.example.com/', events: ['call.ended'] }, 'url', /user name or password/],
        ['another API\'s field name', { endpoint: 'https://x.example.com/', events: ['call.ended'] }, 'endpoint', /did you mean url/],
      ];
      for (const [what, body, field, message] of cases) {
        const res = await call(app, keys.acme, 'POST', '/api/v1/webhooks', body);
        t.equal(res.status, 400, what);
        t.equal(res.body.error?.field, field, `${what}: names ${field}`);
        if (message) t.match(res.body.error.message, message, what);
      }
      t.equal((await call(app, keys.acme, 'PATCH', `/api/v1/webhooks/${hookId}`, {})).status, 400, 'an empty update');
      t.equal((await call(app, keys.acmeRead, 'POST', '/api/v1/webhooks', { url: 'https://x.example.com/', events: ['call.ended'] })).status, 403, 'a read-only key');
    });

    t.test('another customer sees and touches none of it', async (t) => {
      t.same((await call(app, keys.globex, 'GET', '/api/v1/webhooks')).body.data, []);
      for (const [method, path] of [['GET', `/api/v1/webhooks/${hookId}`], ['PATCH', `/api/v1/webhooks/${hookId}`], ['DELETE', `/api/v1/webhooks/${hookId}`], ['GET', `/api/v1/webhooks/${hookId}/deliveries`]] as const) {
        const res = await call(app, keys.globex, method, path, method === 'PATCH' ? { enabled: true } : undefined);
        t.equal(res.status, 404, `${method} ${path}`);
      }
      t.equal((await call(app, keys.globex, 'GET', acmeHooks)).status, 404, 'Acme\'s customer path');
      await t.rejects(ctx.store.withTenant(keys.globexId, (trx) => emitEvent(trx, { tenantId: keys.acmeId, type: 'call.ended', data: {} })), /emitted in a transaction of tenant/, 'a tenant transaction emits only its own events');
    });

    t.test('the delivery log and a replay', async (t) => {
      await call(app, keys.acme, 'PATCH', `/api/v1/webhooks/${hookId}`, { enabled: true });
      const queued = await ctx.store.withIngest((trx) => emitEvent(trx, { tenantId: keys.acmeId, type: 'call.ended', data: { callId: 'c0ffee00-0000-4000-8000-000000000001', billsec: 42 } }));
      t.equal(queued, 1, 'one delivery for the one subscribed webhook');
      t.equal(await ctx.store.withIngest((trx) => emitEvent(trx, { tenantId: keys.acmeId, type: 'registration.changed', data: {} })), 0, 'an event it does not take');
      t.equal(await ctx.store.withIngest((trx) => emitEvent(trx, { tenantId: keys.globexId, type: 'call.ended', data: {} })), 0, 'Globex has no webhook');
      const log = await call(app, keys.acme, 'GET', `/api/v1/webhooks/${hookId}/deliveries`);
      t.equal(log.status, 200);
      t.equal(log.body.data.length, 1);
      const first = log.body.data[0];
      t.match(first, {
        webhookId: hookId, eventType: 'call.ended', status: 'pending', attempts: 0, responseStatus: null, lastError: null, replayOf: null,
        payload: { id: first.eventId, type: 'call.ended', tenantId: keys.acmeId, data: { callId: 'c0ffee00-0000-4000-8000-000000000001', billsec: 42 } },
      });
      const replay = await call(app, keys.acme, 'POST', `/api/v1/webhooks/${hookId}/deliveries/${first.id}/replay`);
      t.equal(replay.status, 202);
      t.match(replay.body.data, { eventId: first.eventId, replayOf: first.id, status: 'pending', attempts: 0 });
      t.not(replay.body.data.id, first.id, 'a new delivery');
      const pending = await call(app, keys.acme, 'GET', `/api/v1/webhooks/${hookId}/deliveries?status=pending&limit=1`);
      t.same(pending.body.data.map((d: { id: string }) => d.id), [replay.body.data.id], 'newest first, limited');
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/webhooks/${hookId}/deliveries?status=lost`)).body.error?.field, 'status');
      t.equal((await call(app, keys.globex, 'POST', `/api/v1/customers/${keys.acmeId}/webhooks/${hookId}/deliveries/${first.id}/replay`)).status, 404, 'Globex cannot replay it');
      t.equal((await call(app, keys.acme, 'POST', `/api/v1/webhooks/${hookId}/deliveries/${hookId}/replay`)).status, 404, 'an unknown delivery');
    });

    t.test('the destination policy on saving: a tenant key refused, the admin let through', async (t) => {
      const strict = await demoApp(backend, { DESTINATION_ALLOW: '' });
      t.teardown(strict.close);
      const k = await demoKeys(strict.store);
      for (const url of ['http://127.0.0.1:8080/hook', 'http://169.254.169.254/latest', 'http://10.0.0.1/hook', 'http://localhost/hook', 'http://[::1]/hook']) {
        const res = await call(strict.app, k.acme, 'POST', '/api/v1/webhooks', { url, events: ['call.ended'] });
        t.equal(res.status, 400, url);
        t.match(res.body.error, { code: 'destination_not_allowed', field: 'url' }, url);
      }
      t.same((await call(strict.app, k.acme, 'GET', '/api/v1/webhooks')).body.data, [], 'nothing stored');
      t.equal((await call(strict.app, k.admin, 'POST', `/api/v1/customers/${k.acmeId}/webhooks`, { url: 'http://10.0.0.1/hook', events: ['call.ended'] })).status, 201, 'an admin key');
      const allowed = await call(app, keys.acme, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:8080/hook', events: ['call.ended'] });
      t.equal(allowed.status, 201, 'loopback once DESTINATION_ALLOW holds it');
    });

    t.test('deleting a webhook removes its log', async (t) => {
      t.equal((await call(app, keys.acme, 'DELETE', `/api/v1/webhooks/${hookId}`)).status, 204);
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/webhooks/${hookId}/deliveries`)).status, 404);
      const left = await ctx.store.withTenant(keys.acmeId, (trx) => trx.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', hookId).execute());
      t.same(left, []);
      t.match((await audit(hookId)).at(-1), { action: 'delete', resource_type: 'webhook' });
    });
  });
}
