/**
 * A customer's endpoint receives Switchplane's events, signed, as the W3 Suite guide syncs: the
 * body verifies with the secret shown at subscription; a 503 with Retry-After is retried when the
 * endpoint asked, a failing endpoint with backoff until the attempts run out, and a replay sends
 * the event again; private addresses are refused unless the operator allows them; a slow
 * endpoint holds up neither the emitter nor other endpoints' deliveries; a secret the key does
 * not open fails the delivery rather than sending it unsigned; a delivery claimed by a
 * stopped instance is delivered by the next one. The receivers listen on loopback.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { Test } from 'tap';
import { DestinationPolicy } from '../../src/domain/destination-policy.js';
import { emitEvent, type WebhookEventType } from '../../src/domain/event-webhooks.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { claimDeliveries } from '../../src/domain/webhook-queue.js';
import { backoffMs, WebhookWorker, type WebhookWorkerOptions } from '../../src/http/webhook-worker.js';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';
import { eventually } from '../helpers/eventually.js';
import { signatureVerifies, webhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const LOOPBACK = new DestinationPolicy(['127.0.0.0/8']);
/** Waits up to 15 s for `check` to hold, named by its own text in a failure. */
const soon = (check: () => unknown) => eventually(check.toString(), check, { timeoutMs: 15_000, intervalMs: 50 });

t.test('backoff: equal jitter over 10 s doubling, capped at an hour', async (t) => {
  const b = { minMs: 10_000, maxMs: 3_600_000 };
  t.equal(backoffMs(1, b, () => 0), 5_000);
  t.equal(backoffMs(1, b, () => 1), 10_000);
  t.equal(backoffMs(4, b, () => 1), 80_000);
  t.equal(backoffMs(30, b, () => 1), 3_600_000);
});

for (const backend of backends) {
  t.test(`${backend.name}: webhook deliveries`, async (t) => {
    const ctx: TestApp = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const receiver = await webhookReceiver();
    t.teardown(receiver.close);

    const subscribe = async (path: string, events: WebhookEventType[]) => {
      const res = await call(ctx.app, keys.acme, 'POST', '/api/v1/webhooks', { url: `${receiver.base}${path}`, events });
      if (res.status !== 201) throw new Error(`subscribe: ${JSON.stringify(res.body)}`);
      return { id: res.body.data.id as string, secret: res.body.data.secret as string };
    };
    const emit = (type: WebhookEventType, data: Record<string, unknown>) => ctx.store.withIngest((trx) => emitEvent(trx, { tenantId: keys.acmeId, type, data }));
    const deliveries = async (hookId: string) => (await call(ctx.app, keys.acme, 'GET', `/api/v1/webhooks/${hookId}/deliveries`)).body.data as Array<Record<string, unknown>>;
    const to = (path: string) => receiver.received.filter((r) => r.path === path);
    const worker = (t: Test, opts: Partial<WebhookWorkerOptions> = {}) => {
      const w = new WebhookWorker({ store: ctx.store, secrets: ctx.secrets, destinations: LOOPBACK, pollMs: 50, timeoutMs: 2000, backoff: { minMs: 60_000, maxMs: 60_000 }, onError: (err) => t.fail(String(err)), ...opts });
      w.start();
      t.teardown(() => w.stop());
      return w;
    };
    const unsubscribe = (id: string) => call(ctx.app, keys.acme, 'DELETE', `/api/v1/webhooks/${id}`);

    t.test('call.ended reaches the endpoint, signed with the secret shown at subscription', async (t) => {
      const hook = await subscribe('/crm', ['call.ended']);
      t.teardown(() => unsubscribe(hook.id));
      worker(t);
      const cdr = { callId: '5f0e0d4c-0000-4000-8000-000000000001', callerNumber: '+390510510510', destinationNumber: '1001', billsec: 42, disposition: 'answered' };
      t.equal(await emit('call.ended', { callId: cdr.callId, cdr }), 1);
      await soon(() => to('/crm').length === 1);
      const [got] = to('/crm');
      t.ok(signatureVerifies(got!, hook.secret), 'the signature verifies with the secret');
      t.notOk(signatureVerifies(got!, 'whsec_another'), 'and with no other secret');
      t.notOk(signatureVerifies({ ...got!, body: got!.body.replace('42', '43') }, hook.secret), 'nor over another body');
      const body = JSON.parse(got!.body);
      t.match(body, { id: /^[0-9a-f-]{36}$/, type: 'call.ended', tenantId: keys.acmeId, createdAt: /Z$/, data: { callId: cdr.callId, cdr } });
      t.match(got!.headers, { 'content-type': 'application/json', 'x-switchplane-event': 'call.ended', 'x-switchplane-event-id': body.id });
      await soon(async () => (await deliveries(hook.id))[0]?.status === 'delivered');
      t.match((await deliveries(hook.id))[0], { status: 'delivered', attempts: 1, responseStatus: 200, lastError: null, nextAttemptAt: null, eventId: body.id, deliveredAt: /Z$/ });
    });

    t.test('a 503 with Retry-After: 2 is retried two seconds later, not before', async (t) => {
      const hook = await subscribe('/busy', ['recording.saved']);
      t.teardown(() => unsubscribe(hook.id));
      receiver.answer = (r) => (r.path === '/busy' && to('/busy').length === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 });
      t.teardown(() => (receiver.answer = () => ({ status: 200 })));
      worker(t);
      await emit('recording.saved', { recordingId: 'r1' });
      await soon(async () => (await deliveries(hook.id))[0]?.responseStatus === 503);
      const waiting = (await deliveries(hook.id))[0]!;
      t.match(waiting, { status: 'pending', attempts: 1, responseStatus: 503, lastError: 'HTTP 503' });
      const wait = Date.parse(waiting.nextAttemptAt as string) - Date.parse(waiting.lastAttemptAt as string);
      t.ok(wait >= 1900 && wait < 20_000, `the next attempt is set by Retry-After (${wait} ms after the attempt began), not by the 60 s backoff (at least 30 s)`);
      await soon(() => to('/busy').length === 2);
      const [first, second] = to('/busy');
      t.ok(second!.at - first!.at >= 1900, `retried after ${second!.at - first!.at} ms`);
      t.equal(second!.headers['x-switchplane-event-id'], first!.headers['x-switchplane-event-id'], 'the same event id');
      t.ok(signatureVerifies(second!, hook.secret), 'signed anew');
      await soon(async () => (await deliveries(hook.id))[0]?.status === 'delivered');
      t.match((await deliveries(hook.id))[0], { attempts: 2, responseStatus: 200, lastError: null });
    });

    t.test('a failing endpoint is retried with backoff, then failed; a replay delivers the event', async (t) => {
      const hook = await subscribe('/down', ['gateway.changed']);
      t.teardown(() => unsubscribe(hook.id));
      let down = true;
      receiver.answer = (r) => ({ status: r.path === '/down' && down ? 500 : 200 });
      t.teardown(() => (receiver.answer = () => ({ status: 200 })));
      worker(t, { maxAttempts: 3, backoff: { minMs: 100, maxMs: 400 } });
      await emit('gateway.changed', { trunkId: 't1', state: 'DOWN' });
      await soon(async () => (await deliveries(hook.id))[0]?.status === 'failed');
      const failed = (await deliveries(hook.id))[0]!;
      t.match(failed, { status: 'failed', attempts: 3, responseStatus: 500, lastError: 'HTTP 500', nextAttemptAt: null, deliveredAt: null });
      t.equal(to('/down').length, 3, 'three attempts, then none');
      down = false;
      const replay = await call(ctx.app, keys.acme, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/${failed.id}/replay`);
      t.equal(replay.status, 202);
      await soon(async () => (await deliveries(hook.id)).some((d) => d.id === replay.body.data.id && d.status === 'delivered'));
      const last = to('/down').at(-1)!;
      t.equal(JSON.parse(last.body).id, failed.eventId, 'the same event');
      t.ok(signatureVerifies(last, hook.secret));
      t.match((await deliveries(hook.id)).find((d) => d.id === failed.id), { status: 'failed' }, 'the original stays in the log as it was');
    });

    t.test('the destination policy: loopback refused by default, nothing sent', async (t) => {
      const hook = await subscribe('/private', ['registration.changed']);
      t.teardown(() => unsubscribe(hook.id));
      worker(t, { destinations: new DestinationPolicy([]) });
      await emit('registration.changed', { extension: '1001', status: 'registered' });
      await soon(async () => (await deliveries(hook.id))[0]?.status === 'failed');
      t.match((await deliveries(hook.id))[0], { status: 'failed', attempts: 1, responseStatus: null, lastError: /127\.0\.0\.1 is in the loopback range/ });
      t.equal(to('/private').length, 0, 'no request reached the endpoint');
    });

    t.test('a secret sealed with another secrets key: failed at once, nothing sent unsigned', async (t) => {
      const hook = await subscribe('/rekeyed', ['recording.failed']);
      t.teardown(() => unsubscribe(hook.id));
      const other = new SecretBox(randomBytes(32)).seal(hook.secret);
      await ctx.store.withTenant(keys.acmeId, (trx) => trx.updateTable('webhook_subscriptions').set({ secret_sealed: other }).where('id', '=', hook.id).execute());
      worker(t);
      await emit('recording.failed', { callId: 'c1', error: 'upload refused' });
      await soon(async () => (await deliveries(hook.id))[0]?.status === 'failed');
      t.match((await deliveries(hook.id))[0], { attempts: 1, lastError: 'the signing secret cannot be opened with the secrets key in use' });
      t.equal(to('/rekeyed').length, 0);
    });

    t.test('a slow endpoint delays neither the emitter nor another endpoint', async (t) => {
      const slow = await subscribe('/slow', ['call.started']);
      const fast = await subscribe('/fast', ['call.started']);
      t.teardown(async () => {
        await unsubscribe(slow.id);
        await unsubscribe(fast.id);
      });
      receiver.answer = (r) => (r.path === '/slow' ? { status: 200, delayMs: 30_000 } : { status: 200 });
      t.teardown(() => (receiver.answer = () => ({ status: 200 })));
      worker(t, { timeoutMs: 8000 });
      const started = Date.now();
      for (let i = 0; i < 5; i++) await emit('call.started', { callId: `call-${i}` });
      const emitting = Date.now() - started;
      t.ok(emitting < 8000, `the 5 events were queued in ${emitting} ms, without waiting for any endpoint`);
      await soon(() => to('/fast').length === 5);
      t.ok(Date.now() - started < 8000, `the fast endpoint had all 5 events after ${Date.now() - started} ms`);
      await soon(() => to('/slow').length === 5);
      t.ok((await deliveries(slow.id)).every((d) => d.status === 'delivering'), 'and has answered none of them yet');
      await soon(async () => (await deliveries(slow.id)).every((d) => d.lastError === 'no answer within 8000 ms'));
      t.match((await deliveries(slow.id))[0], { status: 'pending', attempts: 1, responseStatus: null }, 'the slow deliveries wait for their retry');
    });

    t.test('a delivery claimed by a stopped instance is delivered by the next', async (t) => {
      const hook = await subscribe('/restart', ['ai_session.completed']);
      t.teardown(() => unsubscribe(hook.id));
      await emit('ai_session.completed', { sessionId: 's1' });
      const [claimed] = await claimDeliveries(ctx.store, 10, 500); // the instance stops before sending
      t.equal(claimed?.webhookId, hook.id);
      t.match((await deliveries(hook.id))[0], { status: 'delivering', attempts: 1 });
      worker(t);
      await soon(async () => (await deliveries(hook.id))[0]?.status === 'delivered');
      t.match((await deliveries(hook.id))[0], { attempts: 2, responseStatus: 200 });
      t.equal(to('/restart').length, 1);
    });
  });
}
