/**
 * On the real FreeSWITCH 1.10.12: outbound caller ID and trunk choice (the W3 Suite guide's
 * example 3) and skipping a trunk whose gateway is down (the Welcomedly guide §4.2, §6.2). Two
 * trunks, each with a number of its own, to two SIPp carriers; carrier A is also trunk A's
 * registrar. What each carrier receives is read from its SIPp message trace.
 */
import t from 'tap';
import {
  assertCleanLog,
  createCustomer,
  createExtension,
  placeCall,
  startRealSwitch,
  until,
  type Customer,
  type Extension,
  type RealSwitch,
} from '../helpers/real-switch.js';
import { freeListenPort } from '../helpers/sipp.js';
import { startSipp, type Sipp } from '../helpers/sipp-scenario.js';

t.setTimeout(300_000); // a file on the real switch: start-up, registrations, calls
const NUMBER = { a: '+15550200001', b: '+15550200002' };
let rs: RealSwitch;
let acme: Customer;
const ext: Record<string, Extension> = {};
let carrierA: Sipp;
let carrierB: Sipp;
let portA: number;
const trunk: Record<string, any> = {};
/** Every SIPp that has been carrier A, in order. */
const carriersA: Sipp[] = [];

/** Carrier A on its fixed port, answering REGISTER with `answer` and taking calls. */
async function startCarrierA(answer: string): Promise<Sipp> {
  const carrier = await startSipp(t, { scenario: 'carrier-registrar-uas.xml', port: portA, vars: { REGISTER_ANSWER: answer } });
  carriersA.push(carrier);
  return carrier;
}

/** How many INVITEs a carrier's trace holds. */
const invites = (carrier: Sipp) => carrier.messages().split('INVITE sip:').length - 1;

/** The headers of the last INVITE in a carrier's trace. */
function lastInvite(carrier: Sipp): string {
  const text = carrier.messages();
  const at = text.lastIndexOf('INVITE sip:');
  if (at < 0) return '';
  const end = text.slice(at).search(/\r?\n\r?\n/);
  return text.slice(at, end < 0 ? undefined : at + end);
}

/** The Call-IDs of the REGISTERs in a carrier's trace. */
const registerCallIds = (carrier: Sipp) => [...carrier.messages().matchAll(/^REGISTER sip:[\s\S]*?^Call-ID: *(\S+)/gm)].map((m) => m[1]);

/** Trunk A's gateway state as Switchplane stored it (the ESL gateway tracker). */
async function stateA(): Promise<{ registrationState: string; pingStatus: string | null; lastRegisteredAt: string | null }> {
  return (await rs.sp.ok('GET', `/api/v1/trunks/${trunk.a.id}`, undefined, acme.key)).stats;
}

t.before(async () => {
  rs = await startRealSwitch(t, 'outbound-trunks');
  acme = await createCustomer(rs.sp, 'acme');
  portA = await freeListenPort();
  carrierA = await startCarrierA('200 OK');
  carrierB = await startSipp(t, { scenario: 'carrier-uas.xml' });
  trunk.a = await rs.sp.ok('POST', '/api/v1/trunks', {
    name: 'carrier-a', host: '127.0.0.1', port: portA, priority: 1, callerIdInFrom: true,
    register: true, username: 'acct-a', password: 'carrier-a-secret', expireSeconds: 10, retrySeconds: 5,
  }, acme.key);
  trunk.b = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'carrier-b', host: '127.0.0.1', port: carrierB.port, priority: 2, callerIdInFrom: true }, acme.key);
  await rs.sp.ok('POST', '/api/v1/phone-numbers', { number: NUMBER.a, trunkId: trunk.a.id, route: 'extension', routeTarget: '1001' }, acme.key);
  await rs.sp.ok('POST', '/api/v1/phone-numbers', { number: NUMBER.b, trunkId: trunk.b.id, route: 'extension', routeTarget: '1002' }, acme.key);
  ext['1001'] = await createExtension(rs.sp, acme, { extensionNumber: '1001', displayName: 'Mario Rossi' });
  ext['1002'] = await createExtension(rs.sp, acme, { extensionNumber: '1002', displayName: 'Giulia Bianchi', callerIdNumber: NUMBER.b });
  await until('trunk A registered, as FreeSWITCH and Switchplane see it', async () =>
    /REGED/.test(await rs.fs.cli(`sofia status gateway ${trunk.a.gatewayName}`)) && (await stateA()).registrationState === 'REGED', 30_000);
});

t.test("an extension whose caller ID is trunk B's number goes out on trunk B first, presenting B's number", async (t) => {
  const [beforeA, beforeB] = [invites(carrierA), invites(carrierB)];
  t.equal((await placeCall(t, rs, acme, ext['1002']!, '+15550009001', { holdMs: 500 })).code, 0, 'answered by carrier B');
  t.equal(invites(carrierB), beforeB + 1, 'carrier B got the INVITE');
  t.equal(invites(carrierA), beforeA, 'carrier A (the first trunk by priority) got none');
  t.match(lastInvite(carrierB), new RegExp(`^From: .*<sip:\\${NUMBER.b}@`, 'm'), "From: trunk B's number");
});

t.test("an extension without a caller ID goes out on trunk A (priority 1), presenting A's number", async (t) => {
  const [beforeA, beforeB] = [invites(carrierA), invites(carrierB)];
  t.equal((await placeCall(t, rs, acme, ext['1001']!, '+15550009002', { holdMs: 500 })).code, 0, 'answered by carrier A');
  t.equal(invites(carrierA), beforeA + 1, 'carrier A got the INVITE');
  t.equal(invites(carrierB), beforeB, 'carrier B got none');
  t.match(lastInvite(carrierA), new RegExp(`^From: .*<sip:\\${NUMBER.a}@`, 'm'), "From: trunk A's number");
});

t.test('carrier A refuses registrations: its gateway goes down and trunk A is skipped, without an INVITE to carrier A', async (t) => {
  await carrierA.stop();
  rs.fs.expectLog(/Failed Registration with status Service Unavailable \[503\]/);
  const refusing = await startCarrierA('503 Service Unavailable');
  // A re-REGISTER sent in the gap between the two SIPps, when nothing listened on carrier A's
  // port, could put the gateway in FAIL_WAIT before carrier A refused anything: the refusal is
  // carrier A's once it has answered a REGISTER.
  await until('carrier A refused a REGISTER', () => registerCallIds(refusing).length > 0, 30_000);
  await until('trunk A down in sofia status gateway', async () => /FAIL_WAIT|FAILED|DOWN/.test(await rs.fs.cli(`sofia status gateway ${trunk.a.gatewayName}`)), 30_000);
  const state = await until('trunk A down as Switchplane stored it', async () => {
    const s = await stateA();
    return s.pingStatus === 'DOWN' && s;
  });
  t.pass(`trunk A stored as ${state.registrationState}, ping status ${state.pingStatus}`);
  const logFrom = rs.fs.log().length;
  const beforeB = invites(carrierB);
  t.equal((await placeCall(t, rs, acme, ext['1001']!, '+15550009003', { holdMs: 500 })).code, 0, 'answered by carrier B');
  t.equal(invites(refusing), 0, 'carrier A got no INVITE');
  t.equal(invites(carrierB), beforeB + 1, 'carrier B got the call');
  t.match(lastInvite(carrierB), new RegExp(`^From: .*<sip:\\${NUMBER.b}@`, 'm'), "presenting trunk B's own number");
  t.same(rs.fs.logLines(new RegExp(`sofia/gateway/${trunk.a.gatewayName}/`), logFrom), [], 'the dialplan did not bridge to trunk A at all');
  await refusing.stop();
});

t.test('carrier A takes registrations again: the gateway registers by itself, Switchplane stores REGED, and trunk A carries the next call', async (t) => {
  // No API call from here to the call: the gateway's own retry (retry-seconds, 5 s for this
  // trunk; sofia_reg.c does not lengthen it after a 503) reaches the carrier, and the state goes
  // FreeSWITCH → gateway tracker → database → state notice → the tenant's cached lookups.
  const answering = Date.now();
  carrierA = await startCarrierA('200 OK');
  const gateway = () => rs.fs.cli(`sofia status gateway ${trunk.a.gatewayName}`);
  await until('trunk A REGED again in sofia status gateway', async () => /State\s+REGED/.test(await gateway()), 20_000).catch(async (err: Error) => {
    t.comment(await gateway());
    t.comment(carrierA.messages().slice(-3000));
    throw err;
  });
  const regedSeen = Date.now();
  const state = await until('trunk A REGED again as Switchplane stored it', async () => {
    const s = await stateA();
    return s.registrationState === 'REGED' && s.pingStatus === 'UP' && s;
  });
  const stored = Date.now();
  const beforeB = invites(carrierB);
  t.equal((await placeCall(t, rs, acme, ext['1001']!, '+15550009004', { holdMs: 500 })).code, 0, 'answered');
  const carried = Date.now();
  t.equal(invites(carrierA), 1, 'carrier A got the call');
  t.equal(invites(carrierB), beforeB, 'carrier B got none');
  t.match(lastInvite(carrierA), new RegExp(`^From: .*<sip:\\${NUMBER.a}@`, 'm'), "From: trunk A's number");
  const callIds = carriersA.map(registerCallIds);
  t.ok(callIds.every((ids) => ids.length > 0), 'each carrier A got REGISTERs');
  t.same(new Set(callIds.flat()).size, 1, 'all of them with one Call-ID: the gateway registered again without being restarted');
  const reged = Date.parse(state.lastRegisteredAt!);
  t.ok(reged > answering, 'registered after carrier A answered again');
  t.comment(`from carrier A answering again: REGED ${reged - answering} ms (FreeSWITCH's event time), seen in sofia status ${regedSeen - answering} ms, ` +
    `stored ${stored - answering} ms, call through A answered ${carried - answering} ms`);
});

assertCleanLog(t, () => rs);
