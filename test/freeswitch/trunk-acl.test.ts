/**
 * On the real FreeSWITCH 1.10.12: the external profile takes calls only from the tenants' trunks
 * (apply-inbound-acl with the `trunks` list of the acl.conf Switchplane serves). Loopback has all
 * of 127.0.0.0/8, so the carrier sends from 127.0.0.2 (its trunk's host), an intruder from
 * 127.0.0.3, and a trunk added later from 127.0.0.4. Also: FreeSWITCH asks Switchplane with the
 * basic-auth credentials of its drop-ins, and Switchplane refuses a request without them.
 */
import t from 'tap';
import {
  assertCleanLog,
  carrierAdmitted,
  carrierCall,
  createCustomer,
  createExtension,
  startPhone,
  startRealSwitch,
  trunkAdmitted,
  until,
  type Customer,
  type Extension,
  type RealSwitch,
} from '../helpers/real-switch.js';

t.setTimeout(240_000);
let rs: RealSwitch;
let acme: Customer;
let callee: Extension;
const DID = '+15550100200';
const CARRIER = '127.0.0.2';
const INTRUDER = '127.0.0.3';
const NEW_CARRIER = '127.0.0.4';

const admitted = (address: string) => trunkAdmitted(rs, address);

t.before(async () => {
  rs = await startRealSwitch(t, 'trunk-acl');
  acme = await createCustomer(rs.sp, 'acme');
  callee = await createExtension(rs.sp, acme, { extensionNumber: '1002' });
  const trunk = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'carrier', host: CARRIER, port: 5999 }, acme.key);
  await rs.sp.ok('POST', '/api/v1/phone-numbers', { trunkId: trunk.id, number: DID, route: 'extension', routeTarget: '1002' }, acme.key);
  await carrierAdmitted(rs, CARRIER);
});

t.test('a call from the trunk\'s address is routed to the extension', async (t) => {
  const phone = await startPhone(t, rs, acme, callee);
  t.equal((await carrierCall(t, rs, DID, '+15557770001', 1000, { address: CARRIER })).code, 0, 'answered');
  t.equal((await phone.done).code, 0, '1002 answered');
});

t.test('a call from an address that is no trunk is refused with 403 by FreeSWITCH', async (t) => {
  t.notOk(await admitted(INTRUDER));
  const logFrom = rs.fs.log().length;
  const refused = await carrierCall(t, rs, DID, '+15557770002', 1000, { address: INTRUDER, refusedWith: 403 });
  t.equal(refused.code, 0, `403 Forbidden:\n${refused.messages.slice(-1500)}`);
  t.ok(rs.fs.logLines(new RegExp(`IP ${INTRUDER.replace(/\./g, '\\.')} Rejected by acl "trunks"`), logFrom).length > 0, 'FreeSWITCH logged the ACL refusal');
});

t.test('a trunk added through the API admits its address without restarting FreeSWITCH; deleted, it is refused again', async (t) => {
  const coreUuid = (await rs.fs.cli('global_getvar core_uuid')).trim();
  const trunk = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'second-carrier', host: NEW_CARRIER, port: 5998, priority: 2 }, acme.key);
  await carrierAdmitted(rs, NEW_CARRIER);
  const phone = await startPhone(t, rs, acme, callee);
  t.equal((await carrierCall(t, rs, DID, '+15557770003', 1000, { address: NEW_CARRIER })).code, 0, 'answered');
  t.equal((await phone.done).code, 0, '1002 answered');
  t.equal((await rs.fs.cli('global_getvar core_uuid')).trim(), coreUuid, 'the same FreeSWITCH run');
  await rs.sp.ok('DELETE', `/api/v1/trunks/${trunk.id}`, undefined, acme.key);
  await until('the deleted carrier out of the trunks list', async () => !(await admitted(NEW_CARRIER)));
  t.equal((await carrierCall(t, rs, DID, '+15557770004', 1000, { address: NEW_CARRIER, refusedWith: 403 })).code, 0, '403 Forbidden');
  t.ok(await admitted(CARRIER), 'the first carrier still admitted');
});

t.test('FreeSWITCH asks with the credentials of its drop-ins; a request without them is refused', async (t) => {
  const metrics = await (await fetch(`${rs.sp.url}/metrics`)).text();
  t.match(metrics, /switchplane_xmlcurl_lookups_total\{section="directory",result="found"\} [1-9]/, 'FreeSWITCH\'s lookups were answered');
  t.notMatch(metrics, /result="denied"/, 'none of FreeSWITCH\'s lookups was refused');
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = 'section=configuration&key_value=acl.conf';
  const without = await fetch(`${rs.sp.url}/freeswitch/xml`, { method: 'POST', headers: form, body });
  t.equal(without.status, 401, 'no credentials: 401, even from loopback');
  const basic = Buffer.from(`${rs.credentials.username}:${rs.credentials.password}`).toString('base64');
  const withCredentials = await fetch(`${rs.sp.url}/freeswitch/xml`, { method: 'POST', headers: { ...form, authorization: `Basic ${basic}` }, body });
  t.equal(withCredentials.status, 200);
  t.match(await withCredentials.text(), `<node type="allow" cidr="${CARRIER}/32"/>`);
});

assertCleanLog(t, () => rs);
