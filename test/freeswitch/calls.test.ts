/**
 * On the real FreeSWITCH 1.10.12: calls routed by the dialplan Switchplane serves, between phones
 * (SIPp with digest), from a carrier to DIDs and out through trunks with failover, and the CDR
 * of every leg, compared with the CHANNEL_HANGUP_COMPLETE events an independent listener saw.
 */
import t, { type Test } from 'tap';
import { listenForHangups, type HangupListener } from '../helpers/hangup-listener.js';
import {
  assertCleanLog,
  carrierCall,
  cdrsOf,
  createCustomer,
  createExtension,
  placeCall,
  startPhone,
  startRealSwitch,
  until,
  type Customer,
  type Extension,
  type RealSwitch,
} from '../helpers/real-switch.js';
import { startSipp, type Sipp } from '../helpers/sipp-scenario.js';

t.setTimeout(300_000); // a file on the real switch: start-up, calls, CDRs
let rs: RealSwitch;
let acme: Customer;
let hangups: HangupListener;
const ext: Record<string, Extension> = {};
let refusing: Sipp;
let answering: Sipp;
const trunk: Record<string, any> = {};
const DID = { toExtension: '+15550100100', forward: '+15550100101', aiClosed: '+15550100102', secondary: '+15550100103' };

t.before(async () => {
  rs = await startRealSwitch(t, 'calls');
  hangups = await listenForHangups(t, rs.ports.esl);
  acme = await createCustomer(rs.sp, 'acme');
  ext['1001'] = await createExtension(rs.sp, acme, { extensionNumber: '1001', displayName: 'Mario Rossi' });
  ext['1002'] = await createExtension(rs.sp, acme, { extensionNumber: '1002', displayName: 'Giulia Bianchi' });
  ext['1004'] = await createExtension(rs.sp, acme, { extensionNumber: '1004', doNotDisturb: true });
  ext['1005'] = await createExtension(rs.sp, acme, { extensionNumber: '1005', forwardingEnabled: true, forwardingNumber: '+15550000503' });
  ext['1006'] = await createExtension(rs.sp, acme, { extensionNumber: '1006', voicemailEnabled: true });
  refusing = await startSipp(t, { scenario: 'carrier-refuse.xml' });
  answering = await startSipp(t, { scenario: 'carrier-uas.xml' });
  trunk.primary = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'primary', host: '127.0.0.1', port: refusing.port, priority: 1 }, acme.key);
  trunk.secondary = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'secondary', host: '127.0.0.1', port: answering.port, priority: 2, maxChannels: 1, callerIdInFrom: true }, acme.key);
  const number = (body: Record<string, unknown>) => rs.sp.ok('POST', '/api/v1/phone-numbers', { trunkId: trunk.primary.id, ...body }, acme.key);
  await number({ number: DID.toExtension, route: 'extension', routeTarget: '1002' });
  await number({ number: DID.forward, route: 'forward', routeTarget: '+15550000503' });
  const closed = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, null]));
  await number({ number: DID.aiClosed, route: 'ai_agent', aiAgentProfile: 'customer-care-voice', businessHours: closed, failoverExtension: '1002' });
  // The secondary trunk's own number: the caller ID phones present on it (a trunk without one is not tried).
  await number({ number: DID.secondary, trunkId: trunk.secondary.id, route: 'extension', routeTarget: '1002' });
  await until('the two gateways loaded', async () => {
    const out = await rs.fs.cli('sofia status gateway');
    return out.includes(trunk.primary.gatewayName) && out.includes(trunk.secondary.gatewayName);
  });
});

/** Where the hangup list stands once the switch has no channel left (the last call's legs are all in). */
async function settled(): Promise<number> {
  await until('no channel left', async () => /^0 total/m.test(await rs.fs.cli('show channels count')));
  await new Promise((resolve) => setTimeout(resolve, 300)); // the last CHANNEL_HANGUP_COMPLETE follows the channel's end
  return hangups.hangups.length;
}

/** The legs FreeSWITCH hung up from `since` (an index into the listener's list) on, once `count` are in. */
async function legsSince(since: number, count: number) {
  return until(`${count} CHANNEL_HANGUP_COMPLETE`, () => hangups.hangups.length >= since + count && hangups.hangups.slice(since), 10_000);
}

/** The CDRs of `legs`, once each has exactly one. */
async function cdrsFor(legs: Array<{ uniqueId: string }>) {
  return until('one CDR per leg', async () => {
    const all = await cdrsOf(rs.sp, acme);
    const mine = legs.map((l) => all.filter((c) => c.callId === l.uniqueId));
    return mine.every((m) => m.length === 1) && mine.map((m) => m[0]);
  });
}

const within = (t: Test, actual: number, expected: number, msg: string) => t.ok(Math.abs(actual - expected) <= 1, `${msg}: ${actual} s (expected ${expected} ± 1)`);

t.test('extension to extension: digest on INVITE, the callee answers, BYE; two CDRs', async (t) => {
  const since = await settled();
  const callee = await startPhone(t, rs, acme, ext['1002']!);
  const call = await placeCall(t, rs, acme, ext['1001']!, '1002', { holdMs: 2000 });
  t.equal(call.code, 0, 'the call was answered and hung up');
  t.equal((await callee.done).code, 0, '1002 rang, answered and got the BYE');
  const legs = await legsSince(since, 2);
  const cdrs = await cdrsFor(legs);
  for (const cdr of cdrs) {
    t.equal(cdr.disposition, 'ANSWERED');
    t.equal(cdr.direction, 'internal');
    t.equal(cdr.hangupCause, 'NORMAL_CLEARING');
    within(t, cdr.billableSeconds, 2, 'billsec');
    t.ok(cdr.extensionId, 'the extension is named');
  }
  t.same(new Set(cdrs.map((c) => c.extensionId)), new Set([ext['1001']!.id, ext['1002']!.id]), 'caller and callee legs');
});

t.test('do not disturb: the caller gets 486 Busy Here', async (t) => {
  const since = await settled();
  t.equal((await placeCall(t, rs, acme, ext['1001']!, '1004', { refusedWith: 486 })).code, 0, 'refused with 486');
  const [cdr] = await cdrsFor(await legsSince(since, 1));
  t.equal(cdr.disposition, 'BUSY');
  t.equal(cdr.hangupCause, 'USER_BUSY');
});

t.test('voicemail on no answer: 1006 (not registered) has voicemail, which answers and records until the caller hangs up', async (t) => {
  const since = await settled();
  const logFrom = rs.fs.log().length;
  t.equal((await placeCall(t, rs, acme, ext['1001']!, '1006', { holdMs: 2000 })).code, 0, 'answered, then hung up by the caller');
  t.equal(rs.fs.logLines(/EXECUTE .*voicemail\(default acme\.switchplane\.test 1006\)/, logFrom).length, 1, 'mod_voicemail took the call for 1006');
  t.same(rs.fs.logLines(/Can't find (language|macro)/, logFrom), [], 'and said its prompts (the test switch\'s beeps, test/freeswitch/lang/en.xml)');
  const [cdr] = await cdrsFor(await legsSince(since, 1));
  t.equal(cdr.disposition, 'ANSWERED');
  t.equal(cdr.hangupCause, 'NORMAL_CLEARING');
  within(t, cdr.billableSeconds, 2, 'billsec');
});

t.test('forwarding: a call to 1005 goes out to its forwarding number, failing over from 503 to the next trunk', async (t) => {
  const since = await settled();
  const invites = answering.messages().split('INVITE sip:').length;
  const call = await placeCall(t, rs, acme, ext['1001']!, '1005', { holdMs: 2000 });
  t.equal(call.code, 0, 'answered by the carrier on the second trunk');
  t.match(refusing.messages(), /INVITE sip:\+15550000503@/, 'the first trunk was tried and refused with 503');
  t.equal(answering.messages().split('INVITE sip:').length, invites + 1, 'the second trunk got the call');
  await settled();
  const cdrs = await cdrsFor(hangups.hangups.slice(since));
  t.equal(cdrs.length, 3, 'the caller, the refused try and the answered leg');
  const refused = cdrs.find((c) => c.trunkId === trunk.primary.id);
  const answered = cdrs.find((c) => c.trunkId === trunk.secondary.id);
  t.match(refused, { disposition: 'FAILED', sipStatus: 503, billableSeconds: 0 }, 'the first trunk: failed with 503');
  t.match(answered, { disposition: 'ANSWERED', calledNumber: '+15550000503' }, 'the second trunk: answered');
  within(t, answered.billableSeconds, 2, 'billsec');
});

t.test('carrier to DID to extension: the phone answers; the CDRs of both legs say inbound and answered', async (t) => {
  const since = await settled();
  const callee = await startPhone(t, rs, acme, ext['1002']!);
  t.equal((await carrierCall(t, rs, DID.toExtension, '+15557770001', 2000)).code, 0, 'answered');
  t.equal((await callee.done).code, 0, '1002 answered');
  const cdrs = await cdrsFor(await legsSince(since, 2));
  for (const cdr of cdrs) {
    t.equal(cdr.direction, 'inbound');
    t.equal(cdr.disposition, 'ANSWERED');
    within(t, cdr.billableSeconds, 2, 'billsec');
  }
  t.ok(cdrs.some((c) => c.calledNumber === DID.toExtension || c.calledNumber === '1002'), 'the DID or the extension is the called number');
  t.ok(cdrs.some((c) => c.extensionId === ext['1002']!.id), 'the extension leg');
});

t.test('carrier to a forwarded DID: the call goes back out through the trunks', async (t) => {
  const invites = answering.messages().split('INVITE sip:').length;
  t.equal((await carrierCall(t, rs, DID.forward, '+15557770002', 1000)).code, 0, 'answered by the forward destination');
  t.equal(answering.messages().split('INVITE sip:').length, invites + 1, 'the second trunk got the forwarded call');
});

t.test('an AI number outside business hours goes to its failover extension', async (t) => {
  const callee = await startPhone(t, rs, acme, ext['1002']!);
  t.equal((await carrierCall(t, rs, DID.aiClosed, '+15557770003', 1000)).code, 0, 'answered');
  t.equal((await callee.done).code, 0, 'the failover extension 1002 answered');
});

t.test('outbound: 486 and 603 from the first trunk end the call, no failover', async (t) => {
  for (const code of [486, 603]) {
    const invites = answering.messages().split('INVITE sip:').length;
    t.equal((await placeCall(t, rs, acme, ext['1001']!, `+15550000${code}`, { refusedWith: code })).code, 0, `the caller got ${code}`);
    t.equal(answering.messages().split('INVITE sip:').length, invites, `the second trunk never saw the ${code} call`);
  }
});

t.test("outbound caller ID: the trunk with callerIdInFrom puts that trunk's own number in From", async (t) => {
  const before = answering.messages().length;
  t.equal((await placeCall(t, rs, acme, ext['1001']!, '+15550000503', { holdMs: 500 })).code, 0);
  const invite = answering.messages().slice(before);
  t.match(invite, /From: .*<sip:\+15550100103@/, "From user is the secondary trunk's number, not the primary's");
});

t.test('a trunk at its channel limit: the next call is refused with 503 (no trunk left)', async (t) => {
  const first = placeCall(t, rs, acme, ext['1001']!, '+15550000503', { holdMs: 4000 });
  await until('the first call bridged through the second trunk', async () => /^1 total/m.test(await rs.fs.cli('show calls count')));
  const second = await placeCall(t, rs, acme, ext['1001']!, '+15550000503', { refusedWith: 503 });
  t.equal(second.code, 0, 'refused with 503');
  t.equal((await first).code, 0, 'the first call went on');
});

t.test('every CHANNEL_HANGUP_COMPLETE gave exactly one CDR', async (t) => {
  await until('no channel left', async () => /^0 total/m.test(await rs.fs.cli('show channels count')));
  // A leg's CDR can reach Switchplane before its hangup event reaches the listener: both sides are
  // compared once they name the same legs, or as they stand when the wait runs out.
  let seen = new Set<string>();
  let cdrs: any[] = [];
  await until('a CDR for every hangup and a hangup for every CDR', async () => {
    seen = new Set(hangups.hangups.map((h) => h.uniqueId));
    cdrs = await cdrsOf(rs.sp, acme);
    return cdrs.length === seen.size && cdrs.every((c) => seen.has(c.callId));
  }).catch(() => undefined);
  t.equal(cdrs.length, seen.size, `${cdrs.length} CDRs in the API for the ${seen.size} CHANNEL_HANGUP_COMPLETE events an independent listener saw`);
  t.same(new Set(cdrs.map((c) => c.callId)), seen);
});

assertCleanLog(t, () => rs);
