import t, { type Test } from 'tap';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import FakeTimers from '@sinonjs/fake-timers';
import { loadConfig } from '../../src/config.js';
import { EslConnection, type EslConnectionOptions, type EslEvent, type EslHealth } from '../../src/esl/connection.js';
import { FakeEslServer, recordedEventStream, recordedEvents } from '../helpers/esl-server.js';
import { eventually } from '../helpers/eventually.js';

const EVENTS = ['CHANNEL_CREATE', 'CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB', 'HEARTBEAT', 'CUSTOM sofia::register sofia::unregister sofia::expire sofia::gateway_state'];
const SUBSCRIBE = 'event json CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB HEARTBEAT CUSTOM sofia::register sofia::unregister sofia::expire sofia::gateway_state';
/** Small enough that reconnects happen many times within a test. */
const BACKOFF = { initialMs: 5, maxMs: 40 };

/** A fake FreeSWITCH and a (not yet started) connection to it, both closed after the test. */
async function setup(t: Test, opts: Partial<EslConnectionOptions> = {}, serverPassword = 'ClueCon') {
  const server = await FakeEslServer.start({ password: serverPassword });
  const esl = new EslConnection({ name: 'fs1', host: server.host, port: server.port, password: 'ClueCon', events: EVENTS, backoff: BACKOFF, ...opts });
  t.teardown(async () => {
    await esl.close();
    await server.stop();
  });
  return { server, esl };
}

async function connected(esl: EslConnection): Promise<void> {
  const up = once(esl, 'connected');
  esl.start();
  await up;
}

/** The next `n` events the connection emits. */
function nextEvents(esl: EslConnection, n: number): Promise<EslEvent[]> {
  const got: EslEvent[] = [];
  return new Promise((resolve) => {
    const onEvent = (e: EslEvent) => {
      got.push(e);
      if (got.length < n) return;
      esl.off('event', onEvent);
      resolve(got);
    };
    esl.on('event', onEvent);
  });
}

/**
 * Fake setTimeout/clearTimeout (the backoff, the stable-link and handshake timers) that still
 * advance with real time, so that a test can ask what is left scheduled.
 */
function fakeTimers(t: Test): ReturnType<typeof FakeTimers.install> {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true, advanceTimeDelta: 5 });
  t.teardown(() => clock.uninstall());
  return clock;
}

t.test('connects, authenticates and subscribes to exactly the requested events', async (t) => {
  const { server, esl } = await setup(t);
  t.equal(esl.health().since, null, 'no state before start');
  await connected(esl);
  t.same(server.commands, [
    'auth ClueCon',
    'event json BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE', // modesl's own, right after auth
    SUBSCRIBE,
    'nixevent CHANNEL_EXECUTE_COMPLETE',
  ]);
  const health = esl.health();
  t.match(health, { name: 'fs1', host: '127.0.0.1', port: server.port, connected: true, eventsReceived: 0, lastError: null });
  t.ok(health.since && !Number.isNaN(Date.parse(health.since)), 'connected-since is an ISO time');
  t.equal(server.pushEvent(server.event('CHANNEL_EXECUTE_COMPLETE')), 0, 'one event per dialplan application is not subscribed');
  t.equal(server.pushEvent(server.event('CUSTOM', { 'Event-Subclass': 'sofia::pre_register' })), 0, 'nor other sofia subclasses');
  const [heartbeat] = await Promise.all([nextEvents(esl, 1), server.pushEvent(server.event('HEARTBEAT', { 'Up-Time': '0 years, 0 days' }))]);
  t.equal(heartbeat[0]?.['Up-Time'], '0 years, 0 days');

  esl.once('event', () => {
    throw new Error('handler bug');
  });
  const next = nextEvents(esl, 1);
  server.pushEvent(server.event('HEARTBEAT', { 'Up-Time': 'first' }));
  server.pushEvent(server.event('HEARTBEAT', { 'Up-Time': 'second' }));
  t.equal((await next)[0]?.['Up-Time'], 'second', 'listeners after a throwing one miss only that event');
  t.match(esl.health(), { connected: true, eventsReceived: 3, lastError: 'event handler failed: handler bug' }, 'the read loop goes on');
});

t.test('events of a recorded real call arrive with every header intact', async (t) => {
  const { server, esl } = await setup(t);
  await connected(esl);
  const recorded = recordedEvents();

  const raw = nextEvents(esl, recorded.length);
  server.pushRaw(recordedEventStream());
  t.same(await raw, recorded, 'the exact bytes FreeSWITCH sent, JSON bodies with no newline between frames');

  const subscribed = recorded.filter((e) => e['Event-Name'] === 'CHANNEL_CREATE' || e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE');
  const filtered = nextEvents(esl, subscribed.length);
  const sent = recorded.reduce((n, e) => n + server.pushEvent(e), 0);
  t.equal(sent, 2, 'of the whole call only CHANNEL_CREATE and CHANNEL_HANGUP_COMPLETE are subscribed');
  const [create, hangup] = await filtered;
  t.same([create, hangup], subscribed);
  t.equal(create?.['Unique-ID'], 'b1c6c29f-fd6a-4f7a-bc35-49cac6eb65fa');
  t.equal(hangup?.['Unique-ID'], create?.['Unique-ID']);
  t.equal(hangup?.['Event-Name'], 'CHANNEL_HANGUP_COMPLETE');

  const body = 'Zoë rang 東京\n';
  const [utf8] = await Promise.all([
    nextEvents(esl, 1),
    server.pushEvent(server.event('CUSTOM', { 'Event-Subclass': 'sofia::register', 'from-user': 'zoë', 'user-agent': 'Ñandú/1.0' }, body)),
  ]);
  t.match(utf8[0], { 'Event-Subclass': 'sofia::register', 'from-user': 'zoë', 'user-agent': 'Ñandú/1.0', _body: body, 'Content-Length': String(Buffer.byteLength(body)) });
  t.equal(esl.health().eventsReceived, recorded.length + 3);
});

t.test('api: a round trip, FreeSWITCH errors, and commands that are not one line', async (t) => {
  const { server, esl } = await setup(t);
  await t.rejects(esl.api('status'), /ESL node fs1 is not connected/);
  await connected(esl);
  server.api = (cmd) => {
    if (cmd === 'status') return 'UP 0 years, 0 days, 0 hours\n';
    if (cmd.startsWith('xml_flush_cache ')) return '+OK\n';
    if (cmd === 'uuid_kill') return '-USAGE: <uuid> [cause]\n';
    return undefined;
  };
  t.equal(await esl.api('status'), 'UP 0 years, 0 days, 0 hours\n');
  t.equal(await esl.api('xml_flush_cache id 1001 acme.test'), '+OK\n');
  t.ok(server.commands.includes('api xml_flush_cache id 1001 acme.test'), 'FreeSWITCH saw the flush');
  await t.rejects(esl.api('no_such_command now'), /api no_such_command now failed on fs1: -ERR no_such_command Command not found!/);
  await t.rejects(esl.api('uuid_kill'), /-USAGE/);
  await t.rejects(esl.api('status\n\nexit'), /one non-empty line/);
  t.notOk(server.commands.includes('exit'), 'nothing was smuggled onto the socket');

  server.api = async (cmd) => {
    if (cmd === 'first') await sleep(20);
    return `${cmd}\n`;
  };
  t.same(await Promise.all(['first', 'second', 'third'].map((c) => esl.api(c))), ['first\n', 'second\n', 'third\n'], 'concurrent calls get their own replies');

  server.api = () => new Promise(() => undefined);
  await t.rejects(esl.api('hang', { timeoutMs: 30 }), /api hang: no answer from fs1 within 30 ms/);
  t.ok(esl.health().connected, 'a slow command does not drop the link');
});

t.test('execute: sendmsg queues the application with its argument; a refusal or a second line is an error', async (t) => {
  const { server, esl } = await setup(t);
  await t.rejects(esl.execute('abc', 'playback', '/tmp/a.r8'), /ESL node fs1 is not connected/);
  await connected(esl);
  await esl.execute('5f0c-uuid', 'playback', '/tmp/5f0c-uuid_0.tmp.r8');
  const sent = await server.waitForCommand('sendmsg 5f0c-uuid');
  t.same(sent.headers, { 'call-command': 'execute', 'execute-app-name': 'playback', 'execute-app-arg': '/tmp/5f0c-uuid_0.tmp.r8' });
  server.sendmsg = (uuid) => `-ERR invalid session id [${uuid}]`;
  await t.rejects(esl.execute('gone', 'playback', '/tmp/x.r8'), /sendmsg gone execute playback refused by fs1: -ERR invalid session id \[gone\]/);
  await t.rejects(esl.execute('5f0c-uuid', 'playback', '/tmp/x.r8\nexit'), /one line/);
  t.notOk(server.commands.includes('exit'), 'nothing was smuggled onto the socket');
});

t.test('bgapi: the job UUID at once, the result from the BACKGROUND_JOB event', async (t) => {
  const { server, esl } = await setup(t);
  await connected(esl);
  const events: EslEvent[] = [];
  esl.on('event', (e) => events.push(e));
  let finish!: (output: string) => void;
  server.api = (cmd) => (cmd.startsWith('originate ') ? new Promise<string>((resolve) => (finish = resolve)) : undefined);

  const originate = 'originate {origination_uuid=11111111-2222-3333-4444-555555555555}loopback/9999/default &park()';
  const job = await esl.bgapi(originate);
  t.match(job.jobUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const sent = await server.waitForCommand(`bgapi ${originate}`);
  t.equal(sent.headers['Job-UUID'], job.jobUuid, 'our own Job-UUID went with the command');
  t.equal(events.length, 0, 'the job is still running');

  const output = '+OK 11111111-2222-3333-4444-555555555555\n';
  finish(output);
  t.equal(await job.result, output);
  const done = events.find((e) => e['Event-Name'] === 'BACKGROUND_JOB');
  t.match(done, { 'Job-UUID': job.jobUuid, 'Job-Command': 'originate', 'Content-Length': '41', _body: output }, 'also emitted as an event');

  const missing = await esl.bgapi('no_such_command');
  await t.rejects(missing.result, /-ERR no_such_command Command not found!/);

  server.api = () => new Promise(() => undefined);
  const slow = await esl.bgapi('originate loopback/9999/default &park()', { timeoutMs: 30 });
  await t.rejects(slow.result, /no answer from fs1 within 30 ms/);
});

t.test('a wrong password: attempts go on with backoff, health tells why, and it recovers', async (t) => {
  const { server, esl } = await setup(t, {}, 'not-ClueCon');
  esl.start();
  while (server.connectionsAccepted < 3) await once(server, 'connection');
  t.match(esl.health(), { connected: false, eventsReceived: 0, lastError: /authentication to 127\.0\.0\.1:\d+ failed/ });
  t.ok(server.commands.filter((c) => c === 'auth ClueCon').length >= 2, 'tried again');
  t.notOk(server.commands.some((c) => c.startsWith('event')), 'never subscribed');

  server.password = 'ClueCon';
  await once(esl, 'connected');
  t.match(esl.health(), { connected: true, lastError: /authentication/ });
});

t.test('a FreeSWITCH that accepts but never speaks: each attempt times out and another follows', async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const { port } = silent.address() as AddressInfo;
  const esl = new EslConnection({ name: 'fs1', host: '127.0.0.1', port, password: 'ClueCon', events: EVENTS, backoff: BACKOFF, connectTimeoutMs: 50 });
  t.teardown(async () => {
    await esl.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
  esl.start();
  while (sockets.size < 2) await once(silent, 'connection');
  t.match(esl.health(), { connected: false, lastError: `no ESL handshake from 127.0.0.1:${port} within 50 ms` });
});

t.test('FreeSWITCH drops the connection: pending calls fail, the client reconnects and subscribes again', async (t) => {
  const { server, esl } = await setup(t);
  await connected(esl);
  await Promise.all([nextEvents(esl, 1), server.pushEvent(server.event('HEARTBEAT'))]);

  server.api = () => new Promise(() => undefined);
  const pending = esl.api('status');
  await server.waitForCommand('api status');
  let atDrop: EslHealth | undefined;
  esl.once('disconnected', () => (atDrop = esl.health()));
  const back = once(esl, 'connected');
  server.dropAll();
  await t.rejects(pending, /ESL connection to fs1 lost/);
  await back;
  t.match(atDrop, { connected: false, eventsReceived: 1 });
  await server.waitForCommand(SUBSCRIBE, 2);
  t.equal(server.commands.filter((c) => c === 'auth ClueCon').length, 2);

  await Promise.all([nextEvents(esl, 1), server.pushEvent(server.event('HEARTBEAT'))]);
  const health = esl.health();
  t.match(health, { connected: true, eventsReceived: 2 });
  t.not(health.lastError, null, 'the drop is remembered');

  const again = once(esl, 'connected');
  server.dropAll({ graceful: true });
  await again;
  await server.waitForCommand(SUBSCRIBE, 3);
});

t.test('FreeSWITCH restarts: refused while down, connected and subscribed when back', async (t) => {
  const { server, esl } = await setup(t);
  await connected(esl);
  const down = once(esl, 'disconnected');
  await server.stop();
  await down;
  // a refused connect is announced by no event: checked every 5 ms
  await eventually('the refused connect in health()', () => /ECONNREFUSED/.test(esl.health().lastError ?? ''), { timeoutMs: 10_000, intervalMs: 5 });
  t.equal(esl.health().connected, false);

  const restarted = await FakeEslServer.start({ port: server.port });
  t.teardown(() => restarted.stop());
  await once(esl, 'connected');
  await restarted.waitForCommand(SUBSCRIBE);
  t.equal(esl.health().connected, true);
});

t.test('close() stops reconnecting and leaves nothing running', async (t) => {
  t.test('while connected', async (t) => {
    const clock = fakeTimers(t);
    const { server, esl } = await setup(t);
    await connected(esl);
    await esl.close();
    t.equal(esl.health().connected, false);
    await t.rejects(esl.api('status'), /not connected/);
    const accepted = server.connectionsAccepted;
    // close() resolves once the socket is closed; the attempt it ended clears its timers right after.
    await eventually('no timer left that could start another attempt', () => clock.countTimers() === 0, { timeoutMs: 2000, intervalMs: 5 });
    t.equal(server.connectionsAccepted, accepted, 'no new attempt');
    t.equal(server.authedClients, 0);
  });

  t.test('while retrying', async (t) => {
    const clock = fakeTimers(t);
    const { server, esl } = await setup(t, {}, 'not-ClueCon');
    esl.start();
    while (server.connectionsAccepted < 2) await once(server, 'connection');
    await esl.close();
    const accepted = server.connectionsAccepted;
    // close() resolves once the socket is closed; the attempt it ended clears its timers right after.
    await eventually('no timer left that could start another attempt', () => clock.countTimers() === 0, { timeoutMs: 2000, intervalMs: 5 });
    t.equal(server.connectionsAccepted, accepted, 'no new attempt');
  });
});

t.test('ESL_NODES, ESL_PASSWORD, ESL_RECONNECT_MAX_MS and ESL_LEASE_MS', async (t) => {
  t.same(loadConfig({}).esl, { nodes: [], password: 'ClueCon', reconnectMaxMs: 30000, leaseMs: 6000 });
  t.equal(loadConfig({ ESL_LEASE_MS: '1500' }).esl.leaseMs, 1500);
  t.throws(() => loadConfig({ ESL_LEASE_MS: '100' }), /ESL_LEASE_MS/);
  t.equal(loadConfig({ ESL_RECONNECT_MAX_MS: '2000' }).esl.reconnectMaxMs, 2000);
  t.throws(() => loadConfig({ ESL_RECONNECT_MAX_MS: '10' }), /ESL_RECONNECT_MAX_MS/);
  t.same(loadConfig({ ESL_NODES: 'fs1@10.0.0.5:8021, 10.0.0.6:8022,lab@[::1]:8021', ESL_PASSWORD: 's3cret' }).esl, {
    nodes: [
      { name: 'fs1', host: '10.0.0.5', port: 8021 },
      { name: '10.0.0.6', host: '10.0.0.6', port: 8022 },
      { name: 'lab', host: '::1', port: 8021 },
    ],
    password: 's3cret',
    reconnectMaxMs: 30000,
    leaseMs: 6000,
  });
  for (const bad of ['fs1', 'fs1@10.0.0.5', '10.0.0.5:0', '10.0.0.5:70000', 'a b@h:1', '::1:8021', 'x@h:1,x@h:2']) {
    t.throws(() => loadConfig({ ESL_NODES: bad }), /ESL_NODES/, bad);
  }
});
