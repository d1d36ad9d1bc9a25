/**
 * On the real FreeSWITCH 1.10.12, the AI receptionist guide's "Configure SIP Trunk for Phone
 * Number" on one of two numbers that share a trunk: mod_sofia loads the number's own trunk as a
 * gateway of its own (`sofia status gateway`), with the new proxy, username and realm, while the
 * shared trunk's gateway keeps its settings for the other number.
 */
import t from 'tap';
import { assertCleanLog, createCustomer, createExtension, startRealSwitch, until, type RealSwitch } from '../helpers/real-switch.js';

t.setTimeout(120_000);
let rs: RealSwitch;
t.before(async () => {
  rs = await startRealSwitch(t, 'number-trunks');
});

/** The `Name value` lines of `sofia status gateway <name>` (mod_sofia sofia.c `cmd_status`), as a record. */
const gatewayStatus = async (name: string): Promise<Record<string, string>> => {
  const out = await rs.fs.cli(`sofia status gateway ${name}`);
  return Object.fromEntries(out.split('\n').map((l) => /^(\w+)\s+(.*?)\s*$/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));
};

t.test("configure_sip_trunk on one of two numbers sharing a trunk: its own gateway, the shared one unchanged", async (t) => {
  const c = await createCustomer(rs.sp, 'receptionist');
  await createExtension(rs.sp, c, { extensionNumber: '1001' });
  const shared = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'provider-main', host: '127.0.0.1', port: 5999, username: 'main_acct', realm: 'main.provider.test' }, c.key);
  const numbers = [];
  for (const number of ['+390510510610', '+390510510611']) {
    numbers.push(await rs.sp.ok('POST', '/api/v1/phone-numbers', { number, trunkId: shared.id, route: 'extension', routeTarget: '1001' }, c.key));
  }
  await until('the shared gateway in sofia status', async () => (await rs.fs.cli('sofia status gateway')).includes(shared.gatewayName));

  const started = Date.now();
  const configured = await rs.sp.ok('POST', `/api/v1/customers/${c.id}/phone_numbers/${numbers[1].id}/configure_sip_trunk`, {
    phone_number: { sip_trunk_host: '127.0.0.1', sip_trunk_port: 5997, sip_trunk_username: 'line_611', sip_trunk_password: 'line-611-secret', sip_trunk_domain: 'line.provider.test' },
  }, c.key);
  const own: string = configured.sip_trunk_id;
  t.not(own, shared.id, 'the number got a trunk of its own');

  const list = await until('both gateways in sofia status', async () => {
    const out = await rs.fs.cli('sofia status gateway');
    return out.includes(own) && out.includes(shared.gatewayName) && out;
  });
  t.comment(`the own gateway in sofia status ${Date.now() - started} ms after the configure_sip_trunk request\n${list}`);
  t.match(await gatewayStatus(own), { Profile: 'external', Username: 'line_611', Realm: 'line.provider.test', Proxy: /^sip:127\.0\.0\.1:5997(;|$)/, Context: 'public' }, "+390510510611's own gateway");
  t.match(await gatewayStatus(shared.gatewayName), { Username: 'main_acct', Realm: 'main.provider.test', Proxy: /^sip:127\.0\.0\.1:5999(;|$)/ }, 'the shared gateway as it was');

  const config = await rs.sp.ok('GET', `/api/v1/customers/${c.id}/sip_configuration`, undefined, c.key);
  const byNumber = Object.fromEntries(config.phone_numbers.map((n: { number: string }) => [n.number, n]));
  t.match(byNumber['+390510510610'], { sip_trunk_id: shared.id, sip_trunk_port: 5999, sip_trunk_username: 'main_acct', sip_trunk_shared: true });
  t.match(byNumber['+390510510611'], { sip_trunk_id: own, sip_trunk_port: 5997, sip_trunk_username: 'line_611', sip_trunk_shared: false });
});

assertCleanLog(t, () => rs);
