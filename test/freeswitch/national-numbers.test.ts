/**
 * On the real FreeSWITCH 1.10.12, the W3 Suite guide's example 1 with its numbers in Italian
 * national format: a customer in Italy (country IT) whose DID was given as 0510510510. An
 * extension dials 0510510512 and the carrier's gateway receives the INVITE for +390510510512; a
 * carrier presents the DID as 0510510510 and the call reaches the extension the DID routes to.
 */
import t from 'tap';
import {
  assertCleanLog,
  carrierAdmitted,
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

t.setTimeout(240_000); // a file on the real switch: start-up and two calls
let rs: RealSwitch;
let bologna: Customer;
let carrier: Sipp;
let trunk: { id: string; gatewayName: string };
const ext: Record<string, Extension> = {};

t.before(async () => {
  rs = await startRealSwitch(t, 'national');
  bologna = await createCustomer(rs.sp, 'bologna', { timezone: 'Europe/Rome', country: 'IT' });
  ext['1001'] = await createExtension(rs.sp, bologna, { extensionNumber: '1001', displayName: 'Mario Rossi' });
  ext['1002'] = await createExtension(rs.sp, bologna, { extensionNumber: '1002', displayName: 'Giulia Bianchi' });
  carrier = await startSipp(t, { scenario: 'carrier-uas.xml' });
  trunk = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'messagenet-bologna', host: '127.0.0.1', port: carrier.port, callerIdInFrom: true }, bologna.key);
  await until('the gateway loaded', async () => (await rs.fs.cli('sofia status gateway')).includes(trunk.gatewayName));
  await carrierAdmitted(rs);
});

t.test('the DID given as 0510510510 is stored as +390510510510', async (t) => {
  const did = await rs.sp.ok('POST', '/api/v1/phone-numbers', { number: '0510510510', trunkId: trunk.id, route: 'extension', routeTarget: '1002' }, bologna.key);
  t.equal(did.number, '+390510510510');
});

t.test('an extension dials 0510510512: the carrier receives the INVITE for +390510510512', async (t) => {
  const before = carrier.messages().length;
  const call = await placeCall(t, rs, bologna, ext['1001']!, '0510510512', { holdMs: 1000 });
  t.equal(call.code, 0, 'answered by the carrier and hung up by the caller');
  const invite = carrier.messages().slice(before);
  t.match(invite, /INVITE sip:\+390510510512@127\.0\.0\.1/, 'the Request-URI holds the E.164 number');
  t.match(invite, /From: .*<sip:\+390510510510@/, 'presenting the customer\'s number');
});

t.test('a carrier sends 0510510510: the call reaches 1002, the extension the DID routes to', async (t) => {
  const callee = await startPhone(t, rs, bologna, ext['1002']!);
  t.equal((await carrierCall(t, rs, '0510510510', '3297626144', 1500)).code, 0, 'answered');
  t.equal((await callee.done).code, 0, '1002 rang, answered and got the BYE');
  const cdrs = await until('the CDR of the leg to 1002', async () => {
    const all = await cdrsOf(rs.sp, bologna);
    return all.some((c) => c.extensionId === ext['1002']!.id && c.direction === 'inbound') && all;
  });
  t.ok(cdrs.some((c) => c.direction === 'inbound' && c.disposition === 'ANSWERED' && c.callerNumber === '3297626144'), 'an answered inbound call from the caller');
});

assertCleanLog(t, () => rs);
