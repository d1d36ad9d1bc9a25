/**
 * On the real FreeSWITCH 1.10.12: the SIP profiles and trunk gateways Switchplane serves over
 * mod_xml_curl (sofia.conf) are loaded, bound where the SOFIA_* settings say, and a registering
 * trunk reaches REGED against a provider that checks its digest, or FAIL_WAIT when it refuses.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { assertCleanLog, createCustomer, startRealSwitch, until, type Customer, type RealSwitch } from '../helpers/real-switch.js';
import { startSipp } from '../helpers/sipp-scenario.js';

t.setTimeout(300_000); // a file on the real switch: start-up, calls, CDRs
let rs: RealSwitch;
t.before(async () => {
  rs = await startRealSwitch(t, 'profiles');
});

/** A trunk of `c` registering to the SIPp registrar on `port` with `username` / `password`. */
const registeringTrunk = (c: Customer, name: string, port: number, username: string, password: string) =>
  rs.sp.ok('POST', '/api/v1/trunks', { name, host: '127.0.0.1', port, register: true, username, password, realm: 'provider.test', retrySeconds: 30 }, c.key);

t.test('sofia status: internal and external profiles from Switchplane, on their SOFIA_* ports', async (t) => {
  const status = await rs.fs.cli('sofia status');
  t.comment(status);
  t.match(status, new RegExp(`internal\\s+profile\\s+sip:mod_sofia@127\\.0\\.0\\.1:${rs.ports.internal}\\s+RUNNING`));
  t.match(status, new RegExp(`external\\s+profile\\s+sip:mod_sofia@127\\.0\\.0\\.1:${rs.ports.external}\\s+RUNNING`));
  t.match(status, /2 profiles/);
  const internal = await rs.fs.cli('sofia status profile internal');
  t.match(internal, new RegExp(`WSS-BIND-URL\\s+sips:mod_sofia@127\\.0\\.0\\.1:${rs.ports.wss};transport=wss`), 'WebRTC wss-binding on SOFIA_WSS_PORT');
  t.match(internal, new RegExp(`WS-BIND-URL\\s+sip:mod_sofia@127\\.0\\.0\\.1:${rs.ports.ws};transport=ws`), 'plain ws-binding on SOFIA_WS_PORT');
  t.match(internal, /Context\s+public/);
  t.match(internal, /MAX-RECV-RPS\s+4000/, "sofia's request guard at SOFIA_MAX_RECV_RPS (FreeSWITCH's default is 1000)");
  t.match(await rs.fs.cli('sofia status profile external'), /MAX-RECV-RPS\s+1000/, 'the trunks profile keeps the default');
  const db = path.join(rs.fs.dir, 'db');
  t.ok(existsSync(path.join(db, 'sofia_reg_external.db')), `the external profile's database is a file in ${db}`);
  t.notOk(existsSync(path.join(db, 'sofia_reg_internal.db')), "the internal profile's database is in memory (odbc-dsn sqlite://memory://)");
  t.equal(rs.fs.logLines(/deprecated/).length, 0, 'no deprecated setting logged');
});

t.test('every active trunk of every customer is a gateway; a registering one reaches REGED with its digest', async (t) => {
  const registrar = await startSipp(t, { scenario: 'registrar.xml', vars: { USER: 'acct-77', PASSWORD: 'provider-pass-77', REALM: 'provider.test' } });
  const a = await createCustomer(rs.sp, 'alpha');
  const b = await createCustomer(rs.sp, 'beta');
  const plain = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'carrier-a', host: '127.0.0.1', port: 5999 }, a.key);
  const other = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'carrier-b', host: '127.0.0.1', port: 5998 }, b.key);
  const registering = await rs.sp.ok(
    'POST',
    '/api/v1/trunks',
    { name: 'registering', host: '127.0.0.1', port: registrar.port, register: true, username: 'acct-77', password: 'provider-pass-77', realm: 'provider.test', expireSeconds: 60 },
    b.key,
  );
  await until('the three gateways in sofia status, the registering one REGED', async () => {
    const out = await rs.fs.cli('sofia status gateway');
    return [plain, other, registering].every((g) => out.includes(g.gatewayName)) && new RegExp(`${registering.gatewayName}\\s+\\S+\\s+REGED`).test(out);
  });
  t.pass('REGED in sofia status');
  const trunk = await until('the trunk API shows REGED', async () => {
    const read = await rs.sp.ok('GET', `/api/v1/trunks/${registering.id}`, undefined, b.key);
    return read.stats.registrationState === 'REGED' && read;
  });
  t.ok(trunk.stats.lastRegisteredAt, 'last registration time kept');
  t.match(registrar.messages(), /Authorization: Digest username="acct-77", realm="provider.test"/, 'the provider got the digest');
});

t.test('a provider that refuses the digest: the gateway fails (FAIL_WAIT), and the API says so', async (t) => {
  const registrar = await startSipp(t, { scenario: 'registrar.xml', vars: { USER: 'acct-88', PASSWORD: 'the-right-one', REALM: 'provider.test' } });
  const c = await createCustomer(rs.sp, 'gamma');
  const trunk = await registeringTrunk(c, 'refused', registrar.port, 'acct-88', 'a-wrong-one');
  rs.fs.expectLog(new RegExp(`${trunk.gatewayName} Failed Registration with status Forbidden \\[403\\]`));
  const read = await until('the trunk API shows the failure', async () => {
    const r = await rs.sp.ok('GET', `/api/v1/trunks/${trunk.id}`, undefined, c.key);
    return ['FAIL_WAIT', 'FAILED'].includes(r.stats.registrationState) && r;
  });
  t.match(read.stats.lastError, /403/);
  t.match(await rs.fs.cli(`sofia status gateway ${trunk.gatewayName}`), /State\s+(FAILED|FAIL_WAIT)/);
});

t.test('a REGED gateway whose provider starts refusing goes to FAIL_WAIT, and the API follows', async (t) => {
  const vars = { USER: 'acct-99', PASSWORD: 'provider-pass-99', REALM: 'provider.test' };
  const accepting = await startSipp(t, { scenario: 'registrar.xml', vars });
  const c = await createCustomer(rs.sp, 'delta');
  const trunk = await registeringTrunk(c, 'turns', accepting.port, 'acct-99', 'provider-pass-99');
  await until('REGED in the API', async () => (await rs.sp.ok('GET', `/api/v1/trunks/${trunk.id}`, undefined, c.key)).stats.registrationState === 'REGED');
  // The provider changes the account's password: the same address now refuses the digest.
  await accepting.stop();
  await startSipp(t, { scenario: 'registrar.xml', port: accepting.port, vars: { ...vars, PASSWORD: 'changed-by-provider' } });
  rs.fs.expectLog(new RegExp(`${trunk.gatewayName} Failed Registration with status Forbidden \\[403\\]`));
  await rs.fs.cli(`sofia profile external register ${trunk.gatewayName}`);
  const read = await until('FAIL_WAIT in the API', async () => {
    const r = await rs.sp.ok('GET', `/api/v1/trunks/${trunk.id}`, undefined, c.key);
    return ['FAIL_WAIT', 'FAILED'].includes(r.stats.registrationState) && r;
  });
  t.match(read.stats.lastError, /403/);
  t.ok(read.stats.lastRegisteredAt, 'the last good registration is kept');
  t.match(await rs.fs.cli(`sofia status gateway ${trunk.gatewayName}`), /State\s+(FAILED|FAIL_WAIT)/);
});

assertCleanLog(t, () => rs);
