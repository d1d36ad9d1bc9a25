/**
 * On the real FreeSWITCH 1.10.12, the W3 Suite guide's "sync with signed requests": Acme
 * subscribes its CRM endpoint (a receiver on loopback) to call and registration events; 1002's
 * phone registers and 1001 calls it. The endpoint receives, signed with the secret shown at
 * subscription, registration.changed for 1002, then for each leg of the call call.started,
 * call.answered and call.ended with the leg's CDR as the API answers it. The endpoint takes 3 s
 * to answer each request, and the call is not held up by it.
 */
import t from 'tap';
import {
  assertCleanLog, createCustomer, createExtension, placeCall, startPhone, startRealSwitch, until, type Customer, type Extension, type RealSwitch,
} from '../helpers/real-switch.js';
import { signatureVerifies, webhookReceiver, type Received, type WebhookReceiver } from '../helpers/webhook-receiver.js';

t.setTimeout(240_000);
let rs: RealSwitch;
let acme: Customer;
let receiver: WebhookReceiver;
let secret = '';
let hookId = '';
const ext: Record<string, Extension> = {};

t.before(async () => {
  rs = await startRealSwitch(t, 'event-webhooks');
  receiver = await webhookReceiver();
  t.teardown(receiver.close);
  receiver.answer = () => ({ status: 200, delayMs: 3000 }); // a slow CRM: the call must not wait for it
  acme = await createCustomer(rs.sp, 'acme');
  ext['1001'] = await createExtension(rs.sp, acme, { extensionNumber: '1001' });
  ext['1002'] = await createExtension(rs.sp, acme, { extensionNumber: '1002' });
  const hook = await rs.sp.ok('POST', '/api/v1/webhooks', { url: `${receiver.base}/w3suite`, events: ['call.started', 'call.answered', 'call.ended', 'registration.changed'] }, acme.key);
  secret = hook.secret;
  hookId = hook.id;
});

const events = (type: string) => receiver.received.map((r) => ({ r, body: JSON.parse(r.body) })).filter((e) => e.body.type === type);

t.test('a phone registering: registration.changed, signed', async (t) => {
  const phone = await startPhone(t, rs, acme, ext['1002']!, 200);
  t.teardown(() => phone.stop());
  const [reg] = await until('registration.changed', () => events('registration.changed').length > 0 && events('registration.changed'));
  t.ok(signatureVerifies(reg!.r, secret), 'the signature verifies with the secret');
  t.match(reg!.body, { type: 'registration.changed', tenantId: acme.id, data: { extensionId: ext['1002']!.id, extension: '1002', registered: true, node: 'fs1', userAgent: 'SIPp-phone-1002' } });

  t.test('1001 calls 1002: started, answered and ended (with the CDR) for each leg, signed', async (t) => {
    const call = await placeCall(t, rs, acme, ext['1001']!, '1002', { holdMs: 2000 });
    t.equal(call.code, 0, 'answered and hung up');
    const ended = await until('call.ended for both legs', () => events('call.ended').length >= 2 && events('call.ended'), 30_000);
    const cdrs = (await rs.sp.api('GET', '/api/v1/cdrs?limit=10', undefined, acme.key)).body.data as Array<Record<string, unknown>>;
    t.equal(ended.length, 2, 'one call.ended per leg');
    const legs = ended.map((e) => e.body.data.callId as string);
    for (const e of ended) {
      t.ok(signatureVerifies(e.r, secret), `call.ended of ${e.body.data.callId} verifies`);
      const cdr = cdrs.find((c) => c.callId === e.body.data.callId);
      t.ok(cdr, 'the leg has its CDR in the API');
      // The event carries the leg's CDR as its first report wrote it; a later report of the same leg
      // (ESL and mod_json_cdr) may fill a field left empty (a name), which the API then shows.
      const first = ['id', 'callId', 'direction', 'callType', 'callerNumber', 'calledNumber', 'startTime', 'answerTime', 'endTime', 'durationSeconds', 'billableSeconds', 'hangupCause', 'disposition', 'extensionId'];
      const pick = (c: Record<string, unknown>) => Object.fromEntries(first.map((k) => [k, c[k]]));
      t.same(pick(e.body.data.cdr), pick(cdr!), 'the CDR as GET /api/v1/cdrs answers it');
      t.match(e.body.data.cdr, { disposition: 'ANSWERED', hangupCause: 'NORMAL_CLEARING', direction: 'internal' });
      t.ok(Math.abs((e.body.data.cdr.billableSeconds as number) - 2) <= 1, `billed ${e.body.data.cdr.billableSeconds} s of the 2 s held, the slow CRM notwithstanding`);
    }
    const ofLeg = (type: string, leg: string) => events(type).filter((e) => e.body.data.callId === leg);
    for (const leg of legs) {
      const [started] = ofLeg('call.started', leg);
      const [answered] = ofLeg('call.answered', leg);
      t.equal(ofLeg('call.started', leg).length, 1, `one call.started for ${leg}`);
      t.equal(ofLeg('call.answered', leg).length, 1, `one call.answered for ${leg}`);
      for (const e of [started, answered] as Array<{ r: Received; body: { createdAt: string } }>) t.ok(signatureVerifies(e.r, secret), 'signed');
      t.ok(Date.parse(started!.body.createdAt) <= Date.parse(answered!.body.createdAt), 'started before answered');
      t.ok(Date.parse(answered!.body.createdAt) <= Date.parse(ofLeg('call.ended', leg)[0]!.body.createdAt), 'answered before ended');
    }
    const aLeg = events('call.started').find((e) => legs.includes(e.body.data.callId) && e.body.data.originator === null);
    t.match(aLeg?.body.data, { direction: 'inbound', callerNumber: '1001', destinationNumber: '1002', node: 'fs1' }, '1001\'s leg is the A leg');
    const delivered = async () => (await rs.sp.api('GET', `/api/v1/webhooks/${hookId}/deliveries?limit=50`, undefined, acme.key)).body.data as Array<Record<string, unknown>>;
    const log = await until('every delivery answered', async () => {
      const all = await delivered();
      return all.every((d) => d.status !== 'pending' && d.status !== 'delivering') && all;
    });
    t.ok(log.length >= 7, `${log.length} deliveries in the log`);
    t.ok(log.every((d) => d.status === 'delivered' && d.responseStatus === 200 && d.attempts === 1), 'all delivered at the first attempt');
  });
});

assertCleanLog(t, () => rs);
