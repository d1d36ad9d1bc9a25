/**
 * On the real FreeSWITCH 1.10.12: phones register against the directory Switchplane serves
 * (digest with the a1-hash, RFC 3261 §22), and the registration tracker follows what the switch
 * reports on its event socket.
 */
import t, { type Test } from 'tap';
import { assertCleanLog, createCustomer, createExtension, startRealSwitch, until, type Customer, type Extension, type RealSwitch } from '../helpers/real-switch.js';
import { runSipp } from '../helpers/sipp-scenario.js';

t.setTimeout(300_000); // a file on the real switch: start-up, calls, CDRs
let rs: RealSwitch;
let alpha: Customer;
let beta: Customer;
let a1001: Extension;
let suspended: Extension;
t.before(async () => {
  rs = await startRealSwitch(t, 'registration');
  alpha = await createCustomer(rs.sp, 'alpha');
  beta = await createCustomer(rs.sp, 'beta');
  a1001 = await createExtension(rs.sp, alpha, { extensionNumber: '1001', displayName: 'Alpha 1001' });
  await createExtension(rs.sp, beta, { extensionNumber: '1001', displayName: 'Beta 1001' });
  suspended = await createExtension(rs.sp, alpha, { extensionNumber: '1003', status: 'suspended' });
});

const register = (t: Test, domain: string, user: string, password: string, expect: 200 | 403) =>
  runSipp(t, {
    scenario: 'register.xml',
    remote: rs.registrar,
    auth: { user, password },
    vars: { USER: user, DOMAIN: domain, EXPECT: expect, EXPIRES: 300, USER_AGENT: `SIPp-${user}` },
    timeoutMs: 15_000,
  });

t.test('the right password registers (200), and the API shows what the switch holds', async (t) => {
  const res = await register(t, alpha.sipDomain, '1001', a1001.password, 200);
  t.equal(res.code, 0, 'REGISTER answered 200');
  const sofia = await rs.fs.cli('sofia status profile internal reg');
  t.match(sofia, `User:       \t1001@${alpha.sipDomain}`);
  const port = /Port:\s+(\d+)/.exec(sofia)![1];
  const ext = await until('the registration in the API', async () => {
    const e = await rs.sp.ok('GET', `/api/v1/extensions/${a1001.id}`, undefined, alpha.key);
    return e.registration.registered && e;
  });
  t.equal(ext.registration.userAgent, 'SIPp-1001');
  t.equal(ext.registration.ip, '127.0.0.1');
  t.equal(String(ext.registration.port), port);
  t.match(ext.registration.contact, `sip:1001@127.0.0.1:${port}`);
  const expSecs = Number(/EXPSECS\((\d+)\)/.exec(sofia)![1]);
  const expires = Date.parse(ext.registration.expiresAt);
  // sofia keeps a binding 60 s past the expiry it grants (sofia_reg.c, sip-expires-late-margin).
  // EXPSECS is what remains when `sofia status` runs: a second boundary may pass after the REGISTER.
  const granted = Number(/;expires=(\d+)/.exec(res.messages.slice(res.messages.lastIndexOf('SIP/2.0 200 OK')))![1]);
  t.ok(expSecs <= granted + 60 && expSecs >= granted + 58, `FreeSWITCH holds the binding for the granted ${granted} s plus its 60 s margin (EXPSECS ${expSecs})`);
  t.ok(Math.abs(expires - (Date.now() + granted * 1000)) < 5000, `expiresAt ${ext.registration.expiresAt} is the granted expiry`);
});

t.test('a wrong password is refused (403)', async (t) => {
  const res = await register(t, alpha.sipDomain, '1001', 'not-the-password-at-all', 403);
  t.equal(res.code, 0, 'REGISTER answered 403');
});

t.test('a suspended extension is refused (403)', async (t) => {
  const res = await register(t, alpha.sipDomain, '1003', suspended.password, 403);
  t.equal(res.code, 0, 'REGISTER answered 403');
});

t.test("another customer's domain with this customer's password is refused (403)", async (t) => {
  const res = await register(t, beta.sipDomain, '1001', a1001.password, 403);
  t.equal(res.code, 0, 'REGISTER answered 403');
  const sofia = await rs.fs.cli('sofia status profile internal reg');
  t.notMatch(sofia, `1001@${beta.sipDomain}`, 'nothing registered in the other domain');
});

assertCleanLog(t, () => rs);
