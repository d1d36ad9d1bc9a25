/**
 * On the real FreeSWITCH 1.10.12, without restarting it: changes made through the API reach the
 * switch (xml_flush_cache for users it caches, rescan / killgw for gateways), and nothing else
 * is disturbed.
 */
import t from 'tap';
import { assertCleanLog, createCustomer, createExtension, startRealSwitch, until, type Customer, type RealSwitch } from '../helpers/real-switch.js';
import { runSipp, startSipp } from '../helpers/sipp-scenario.js';

t.setTimeout(300_000); // a file on the real switch: start-up, registrations, gateway restarts
let rs: RealSwitch;
let acme: Customer;
t.before(async () => {
  rs = await startRealSwitch(t, 'live-change');
  acme = await createCustomer(rs.sp, 'acme');
});

const register = (user: string, password: string, expect: 200 | 403) =>
  runSipp(t, {
    scenario: 'register.xml',
    remote: rs.registrar,
    auth: { user, password },
    vars: { USER: user, DOMAIN: acme.sipDomain, EXPECT: expect, EXPIRES: 300, USER_AGENT: 'SIPp-live-change' },
    timeoutMs: 15_000,
  });

/** A gateway's line in `sofia status gateway`, or undefined. */
async function gatewayLine(name: string): Promise<string | undefined> {
  return (await rs.fs.cli('sofia status gateway')).split('\n').find((l) => l.includes(name));
}

t.test("a password changed through the API: the old one gets 403, the new one 200, with FreeSWITCH's user cache on", async (t) => {
  const ext = await createExtension(rs.sp, acme, { extensionNumber: '1001', password: 'first-password-1001' });
  t.equal((await register('1001', 'first-password-1001', 200)).code, 0, 'the first password registers');
  await rs.sp.ok('PATCH', `/api/v1/extensions/${ext.id}`, { password: 'second-password-1001' }, acme.key);
  await until('the old password refused', async () => (await register('1001', 'first-password-1001', 403)).code === 0);
  t.pass('the old password gets 403');
  t.equal((await register('1001', 'second-password-1001', 200)).code, 0, 'the new password registers');
});

t.test('gateways follow trunks: added, host changed (restarted, registers to the new host), priority changed (untouched), deleted', async (t) => {
  const vars = { USER: 'acct-1', PASSWORD: 'provider-secret-1', REALM: 'provider.test' };
  const first = await startSipp(t, { scenario: 'registrar.xml', vars });
  const second = await startSipp(t, { scenario: 'registrar.xml', vars });
  const trunk = await rs.sp.ok(
    'POST',
    '/api/v1/trunks',
    { name: 'carrier', host: '127.0.0.1', port: first.port, register: true, username: 'acct-1', password: 'provider-secret-1', realm: 'provider.test', expireSeconds: 300 },
    acme.key,
  );
  const gw = trunk.gatewayName as string;
  await until('the new gateway REGED with the first host', async () => /REGED/.test((await gatewayLine(gw)) ?? ''));
  t.match(await gatewayLine(gw), `127.0.0.1:${first.port}`, 'added and registered to the first host');

  await rs.sp.ok('PATCH', `/api/v1/trunks/${trunk.id}`, { port: second.port }, acme.key);
  await until('the gateway REGED with the second host', async () => {
    const line = (await gatewayLine(gw)) ?? '';
    return line.includes(`127.0.0.1:${second.port}`) && /REGED/.test(line);
  });
  t.pass('restarted and registered to the second host');

  const touched = new RegExp(`(Deleted gateway|Registering|Added gateway '?)${gw}`);
  const logFrom = rs.fs.log().length;
  await rs.sp.ok('PATCH', `/api/v1/trunks/${trunk.id}`, { priority: 5 }, acme.key);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const status = await rs.fs.cli(`sofia status gateway ${gw}`);
  t.match(status, /State\s+REGED/, 'still registered after a priority change');
  t.same(rs.fs.logLines(touched, logFrom), [], 'not deleted, added or registered again (sofia_reg.c)');

  await rs.sp.ok('DELETE', `/api/v1/trunks/${trunk.id}`, undefined, acme.key);
  await until('the gateway gone', async () => (await gatewayLine(gw)) === undefined);
  t.pass('deleted: the gateway is gone');
});

assertCleanLog(t, () => rs);
