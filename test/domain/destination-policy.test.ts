/**
 * The destination policy on its own: which addresses and names a tenant may send Switchplane and
 * FreeSWITCH to, the operator's DESTINATION_ALLOW ranges, and the check of the addresses a name
 * resolves to at the moment of connecting (so a name that changes its answer is still caught).
 */
import t from 'tap';
import net from 'node:net';
import type { LookupAddress } from 'node:dns';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DestinationPolicy, DestinationRefused, SAVE_RESOLVE_MS, type Resolver } from '../../src/domain/destination-policy.js';

const strict = new DestinationPolicy();

/** A resolver answering from a table; a name not in it is ENOTFOUND. Counts the questions. */
function table(entries: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (name: string): Promise<LookupAddress[]> => {
    asked.push(name);
    const found = entries[name];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: net.isIP(address) }));
  };
  return Object.assign(resolve, { asked });
}

t.test('refused addresses, each with its range', async (t) => {
  const cases: Array<[string, string]> = [
    ['169.254.169.254', 'linkLocal'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['192.0.2.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:a00:1', 'private'],
    ['::a00:1', 'ipv4Compatible'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
  ];
  for (const [address, range] of cases) t.equal(strict.refusal(address), range, address);
  for (const address of ['8.8.8.8', '185.12.64.1', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8']) t.equal(strict.refusal(address), null, `${address} is public`);
});

t.test('IP forms getaddrinfo reads as IPv4 are judged as the address they name', async (t) => {
  for (const [host, address] of [['0x7f000001', '127.0.0.1'], ['2130706433', '127.0.0.1'], ['0177.0.0.1', '127.0.0.1'], ['127.1', '127.0.0.1'], ['0xa9fea9fe', '169.254.169.254'], ['[::1]', '::1'], ['[::ffff:127.0.0.1]', '127.0.0.1']]) {
    const err = t.throws(() => strict.checkName(host!)) as DestinationRefused;
    t.ok(err instanceof DestinationRefused, `${host} refused`);
    t.equal(err.address, address, `${host} is ${address}`);
  }
});

t.test('internal names are refused without asking DNS', async (t) => {
  const resolve = table({});
  const policy = new DestinationPolicy([], resolve);
  for (const host of ['localhost', 'LOCALHOST', 'db.localhost', 'metadata.google.internal', 'metadata.internal', 'printer.local', 'localhost.']) {
    await t.rejects(policy.checkSaved(host), { name: 'DestinationRefused', range: 'internal name' }, host);
  }
  t.same(resolve.asked, [], 'no name was resolved');
  for (const host of ['sip.carrier.example', 'internal.example.com', 'local.example', 'localhost.example.com']) t.doesNotThrow(() => policy.checkName(host), `${host} is an ordinary name`);
});

t.test('DESTINATION_ALLOW ranges let refused addresses through, and only those', async (t) => {
  const policy = new DestinationPolicy(['10.20.0.0/16', '127.0.0.0/8', 'fd00::/8', '169.254.169.254']);
  t.equal(policy.refusal('10.20.3.4'), null);
  t.equal(policy.refusal('10.21.0.1'), 'private', 'outside the allowed /16');
  t.equal(policy.refusal('127.0.0.1'), null);
  t.equal(policy.refusal('::ffff:127.0.0.1'), null, 'an IPv4-mapped address is judged as IPv4');
  t.equal(policy.refusal('::1'), 'loopback', 'IPv6 loopback is not in 127.0.0.0/8');
  t.equal(policy.refusal('fd12::1'), null);
  t.equal(policy.refusal('169.254.169.254'), null, 'a single address is a /32');
  t.equal(policy.refusal('169.254.169.253'), 'linkLocal');
  t.doesNotThrow(() => policy.checkName('127.0.0.1'), 'an allowed literal passes');
  t.throws(() => policy.checkName('localhost'), DestinationRefused, 'an internal name stays refused whatever the ranges');
});

t.test('DESTINATION_ALLOW is parsed by the configuration', async (t) => {
  t.same(loadConfig({ DESTINATION_ALLOW: ' 10.20.0.0/16, fd00::/8 ,192.0.2.7' }).destinationAllow, ['10.20.0.0/16', 'fd00::/8', '192.0.2.7']);
  t.same(loadConfig({}).destinationAllow, [], 'none by default');
  t.same(loadConfig({ DESTINATION_ALLOW: '127.0.0.0/8' }).ai.crm.destinationAllow, ['127.0.0.0/8'], 'the CRM webhook gets the same ranges');
  for (const bad of ['10.0.0.0/33', 'intranet', '10.1', '10.0.0.0/8,nope']) {
    const err = t.throws(() => loadConfig({ DESTINATION_ALLOW: bad })) as ConfigError;
    t.ok(err instanceof ConfigError && err.variable === 'DESTINATION_ALLOW', `${bad} names the variable`);
  }
});

t.test('a name is refused when any address it resolves to is refused', async (t) => {
  const policy = new DestinationPolicy([], table({
    'sip.carrier.example': ['185.12.64.1', '2a00:1450:4001:80b::200e'],
    'mixed.example': ['185.12.64.1', '10.0.0.1'],
    'loop.example': ['127.0.0.1'],
  }));
  t.same((await policy.addresses('sip.carrier.example')).map((a) => a.address), ['185.12.64.1', '2a00:1450:4001:80b::200e']);
  await t.rejects(policy.addresses('mixed.example'), { name: 'DestinationRefused', address: '10.0.0.1', range: 'private' });
  await t.rejects(policy.addresses('loop.example'), { name: 'DestinationRefused', address: '127.0.0.1', range: 'loopback', message: /loop\.example resolves to 127\.0\.0\.1/ });
  await t.rejects(policy.addresses('nowhere.example'), { code: 'ENOTFOUND' }, 'a name that does not resolve is a resolver error, not a refusal');
  t.same(await policy.addresses('[2a00:1450:4001:80b::200e]'), [{ address: '2a00:1450:4001:80b::200e', family: 6 }], 'a literal is its own address');
});

t.test('on saving, a name that does not resolve (or not in time) is accepted; one resolving to a refused address is not', async (t) => {
  const policy = new DestinationPolicy([], table({ 'loop.example': ['127.0.0.1'] }));
  await t.resolves(policy.checkSaved('not-yet.example'));
  await t.rejects(policy.checkSaved('loop.example'), DestinationRefused);
  const slow = new DestinationPolicy([], () => new Promise<LookupAddress[]>(() => {}));
  const started = Date.now();
  await t.resolves(slow.checkSaved('slow.example'));
  t.ok(Date.now() - started >= SAVE_RESOLVE_MS - 50, `waited about ${SAVE_RESOLVE_MS} ms`);
});

t.test('the socket lookup refuses at connect time: a name that turns to loopback after the save is caught', async (t) => {
  let answer = '185.12.64.1';
  const policy = new DestinationPolicy([], async () => [{ address: answer, family: 4 }]);
  await t.resolves(policy.checkSaved('rebind.example'), 'public when saved');
  answer = '127.0.0.1';

  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  let accepted = 0;
  server.on('connection', () => accepted++);
  const port = (server.address() as net.AddressInfo).port;

  const err = await new Promise<Error>((resolve) => {
    const socket = net.connect({ host: 'rebind.example', port, lookup: policy.lookup });
    socket.on('error', resolve);
    socket.on('connect', () => resolve(new Error('connected')));
  });
  t.ok(err instanceof DestinationRefused, `refused: ${err.message}`);
  t.equal(accepted, 0, 'no connection reached the loopback server');

  const allowed = new DestinationPolicy(['127.0.0.0/8'], async () => [{ address: '127.0.0.1', family: 4 }]);
  const connected = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: 'rebind.example', port, lookup: allowed.lookup });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
  t.ok(connected, 'with 127.0.0.0/8 allowed the same name connects');
});
