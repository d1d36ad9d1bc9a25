/**
 * On the real FreeSWITCH 1.10.12, through the customer API: click-to-call rings the extension,
 * then the destination; active calls are listed; a call is transferred and hung up; a recurring
 * call that falls due is originated once and its execution reads `answered`.
 */
import t from 'tap';
import { assertCleanLog, bridgedCall, cdrsOf, createCustomer, createExtension, startPhone, startRealSwitch, until, type Customer, type Extension, type RealSwitch } from '../helpers/real-switch.js';
import { startSipp, type Sipp } from '../helpers/sipp-scenario.js';

t.setTimeout(300_000); // a file on the real switch: start-up, calls, a recurring call's minute
let rs: RealSwitch;
let acme: Customer;
let carrier: Sipp;
const ext: Record<string, Extension> = {};

t.before(async () => {
  rs = await startRealSwitch(t, 'call-control', { SCHEDULER_INTERVAL_MS: '1000' });
  acme = await createCustomer(rs.sp, 'acme');
  ext['1001'] = await createExtension(rs.sp, acme, { extensionNumber: '1001' });
  ext['1002'] = await createExtension(rs.sp, acme, { extensionNumber: '1002' });
  carrier = await startSipp(t, { scenario: 'carrier-uas.xml' });
  const trunk = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'carrier', host: '127.0.0.1', port: carrier.port }, acme.key);
  await rs.sp.ok('POST', '/api/v1/phone-numbers', { number: '+15550100100', trunkId: trunk.id, route: 'extension', routeTarget: '1001' }, acme.key);
  await until('the gateway loaded', async () => (await rs.fs.cli('sofia status gateway')).includes(trunk.gatewayName));
});

const callOf = async (id: string) => rs.sp.ok('GET', `/api/v1/calls/${id}`, undefined, acme.key);

t.test('click-to-call: the extension rings and answers, then the destination; listed while up; hung up through the API', async (t) => {
  const phone = await startPhone(t, rs, acme, ext['1001']!);
  const invites = carrier.messages().split('INVITE sip:').length;
  const placed = await rs.sp.api('POST', '/api/v1/calls', { extension: '1001', destination: '+15550300001' }, acme.key);
  t.equal(placed.status, 202);
  const id = placed.body.data.callId as string;
  await until('the call bridged to the destination', async () => ['answered', 'bridged'].includes((await callOf(id)).state) && carrier.messages().split('INVITE sip:').length > invites);
  t.match(carrier.messages(), /INVITE sip:\+15550300001@/, 'the destination was called through the trunk');
  const active = await rs.sp.ok('GET', '/api/v1/calls/active', undefined, acme.key);
  t.ok(active.some((c: { callId: string }) => c.callId === id), 'listed among the active calls');
  t.equal((await rs.sp.api('POST', `/api/v1/calls/${id}/hangup`, undefined, acme.key)).status, 202);
  t.equal((await phone.done).code, 0, 'the phone got the BYE');
  const ended = await until('the call ended', async () => ((await callOf(id)).state === 'ended' ? callOf(id) : undefined));
  t.equal(ended.hangupCause, 'NORMAL_CLEARING');
  const cdrs = await until('the A leg CDR', async () => (await cdrsOf(rs.sp, acme)).find((c) => c.callId === id));
  t.equal(cdrs.disposition, 'ANSWERED');
});

t.test('transfer: the far party of a click-to-call moves to another extension', async (t) => {
  const first = await startPhone(t, rs, acme, ext['1001']!);
  const second = await startPhone(t, rs, acme, ext['1002']!);
  const placed = await rs.sp.ok('POST', '/api/v1/calls', { extension: '1001', destination: '+15550300002' }, acme.key);
  // A click-to-call is transferred once it is bridged (CHANNEL_BRIDGE seen): before that the API answers 409.
  await until('the call bridged', async () => (await callOf(placed.callId)).state === 'bridged' && /^2 total/m.test(await rs.fs.cli('show channels count')));
  t.equal((await rs.sp.api('POST', `/api/v1/calls/${placed.callId}/transfer`, { extension: '1002' }, acme.key)).status, 202);
  t.equal((await first.done).code, 0, '1001 is released (BYE)');
  await bridgedCall(rs, 'sofia/internal/1002@');
  t.pass('1002 rang and answered');
  await rs.fs.cli('hupall NORMAL_CLEARING');
  t.equal((await second.done).code, 0, '1002 got the BYE');
});

t.test('a recurring call that falls due is originated once; its execution reads answered', async (t) => {
  const phone = await startPhone(t, rs, acme, ext['1001']!);
  // The next whole minute (UTC) that is at least 5 s away.
  const due = new Date(Math.ceil((Date.now() + 5000) / 60_000) * 60_000);
  const time = due.toISOString().slice(11, 16);
  const rc = await rs.sp.ok(
    'POST',
    `/api/v1/extensions/${ext['1001']!.id}/recurring-calls`,
    { destinationNumber: '+15550300003', schedule: { frequency: 'daily', time, timezone: 'UTC' } },
    acme.key,
  );
  t.equal(rc.nextExecution, due.toISOString(), `due at ${time} UTC`);
  await bridgedCall(rs, 'sofia/internal/1001@', 90_000);
  t.match(await rs.fs.cli('show calls'), /\+15550300003/, 'the phone answered and the destination was called');
  await rs.fs.cli('hupall NORMAL_CLEARING');
  t.equal((await phone.done).code, 0);
  const executions = await until('the execution answered', async () => {
    const list = await rs.sp.ok('GET', `/api/v1/recurring-calls/${rc.id}/executions`, undefined, acme.key);
    return list[0]?.outcome === 'answered' && list;
  });
  t.equal(executions.length, 1, 'one execution');
  t.equal(carrier.messages().split('INVITE sip:+15550300003@').length - 1, 1, 'one call to the destination');
  const after = await rs.sp.ok('GET', `/api/v1/recurring-calls/${rc.id}`, undefined, acme.key);
  t.equal(after.nextExecution, new Date(due.getTime() + 86_400_000).toISOString(), 'next due a day later');
});

assertCleanLog(t, () => rs);
