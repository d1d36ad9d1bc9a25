/**
 * A customer tests a SIP trunk before going live: the OPTIONS probe against real peers on loopback.
 * SIPp (sip-tester, installed by scripts/test-setup.sh) answers over UDP and TCP; small node peers
 * play what SIPp does not (silence, garbage, 100 then 404, a retransmission, TLS with a self-signed
 * certificate made by openssl).
 */
import t from 'tap';
import type { Test } from 'tap';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { DestinationPolicy } from '../../src/domain/destination-policy.js';
import { probeOptions } from '../../src/sip/options-probe.js';
import { freePort, startSipp } from '../helpers/sipp.js';
import { frameStreamMessage, parseSipMessage, type SipMessage } from '../../src/sip/message.js';

const LOOPBACK = '127.0.0.1';

/** A UDP peer on loopback handing each datagram to `answer` with a way to reply to its sender. */
async function udpPeer(t: Test, answer: (text: string, reply: (text: string) => void) => void, address = LOOPBACK): Promise<number> {
  const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  socket.on('message', (datagram, from) => answer(datagram.toString('utf8'), (text) => socket.send(text, from.port, from.address)));
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  t.teardown(() => new Promise<void>((resolve) => socket.close(resolve)));
  return socket.address().port;
}

/** A TCP (or, with `tlsOptions`, TLS) peer on loopback handing each framed message to `answer`. */
async function streamPeer(
  t: Test,
  answer: (text: string, socket: net.Socket) => void,
  tlsOptions?: tls.TlsOptions,
): Promise<number> {
  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // the probe hangs up (or rejects our certificate) as it pleases
    let buffer: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let framed = frameStreamMessage(buffer); typeof framed === 'object'; framed = frameStreamMessage(buffer)) {
        buffer = framed.rest;
        answer(framed.message, socket);
      }
    });
  };
  const server = tlsOptions ? tls.createServer(tlsOptions, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

/** The response a UAS builds for `request` (RFC 3261 §8.2.6.2): Via, From, Call-ID and CSeq copied, To tagged. */
function respond(request: SipMessage, status: string): string {
  const headers = [`Via: ${request.getHeader('via')}`, `From: ${request.getHeader('from')}`, `To: ${request.getHeader('to')};tag=peer`];
  headers.push(`Call-ID: ${request.call_id}`, `CSeq: ${request.getHeader('cseq')}`, 'Content-Length: 0');
  return `SIP/2.0 ${status}\r\n${headers.join('\r\n')}\r\n\r\n`;
}

t.test('SIPp answers 200 OK over UDP: the trunk is reachable', async (t) => {
  const port = await startSipp(t, 'udp');
  const result = await probeOptions({ host: LOOPBACK, port, transport: 'udp' }, { localAddress: LOOPBACK });
  t.match(result, { reachable: true, statusCode: 200, reasonPhrase: 'OK', transport: 'udp', error: null });
  t.equal(result.resolvedAddress, `127.0.0.1:${port}`);
  t.type(result.roundTripMs, 'number');
  t.ok(result.roundTripMs! >= 0, 'round trip in milliseconds');
});

t.test('SIPp answers 200 OK over TCP: the trunk is reachable', async (t) => {
  const port = await startSipp(t, 'tcp');
  const result = await probeOptions({ host: LOOPBACK, port, transport: 'tcp' });
  t.match(result, { reachable: true, statusCode: 200, reasonPhrase: 'OK', transport: 'tcp', error: null });
  t.equal(result.resolvedAddress, `127.0.0.1:${port}`);
  t.type(result.roundTripMs, 'number');
  t.ok(result.roundTripMs! >= 0, 'round trip in milliseconds');
});

t.test('a well-formed OPTIONS goes out; 100 Trying is skipped and a 404 still means reachable', async (t) => {
  const received: SipMessage[] = [];
  const port = await udpPeer(t, (text, reply) => {
    const request = parseSipMessage(text);
    if (!request) throw new Error(`peer got an unparseable request: ${text}`);
    received.push(request);
    reply(respond(request, '100 Trying'));
    reply(respond(request, '404 Not Found'));
  });
  const result = await probeOptions({ host: LOOPBACK, port, transport: 'udp', domain: 'trunk.example.com', username: 'alice' });
  t.match(result, { reachable: true, statusCode: 404, reasonPhrase: 'Not Found', resolvedAddress: `127.0.0.1:${port}`, error: null });

  const request = received[0]!;
  t.equal(request.method, 'OPTIONS');
  t.equal(String(request.ruri), 'sip:trunk.example.com');
  t.equal(request.getHeader('max-forwards'), '70');
  t.match(request.getHeader('via'), /^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK\w+;rport$/);
  t.match(request.via_branch, /^z9hG4bK./, 'RFC 3261 magic cookie');
  t.match(request.call_id, /\S/);
  t.equal(request.getHeader('cseq'), '1 OPTIONS');
  t.match(request.getHeader('from'), /^<sip:alice@trunk\.example\.com>;tag=\w+$/);
  t.equal(request.getHeader('to'), '<sip:trunk.example.com>', 'no To tag outside a dialog');
  t.match(request.getHeader('contact'), /^<sip:alice@127\.0\.0\.1:\d+>$/);
  t.equal(request.getHeader('accept'), 'application/sdp');
  t.equal(request.getHeader('user-agent'), 'Switchplane');
  t.equal(request.getHeader('content-length'), '0');
  t.equal(request.body, '');
});

t.test('over UDP a lost request is retransmitted (Timer E) unchanged', async (t) => {
  const received: string[] = [];
  const port = await udpPeer(t, (text, reply) => {
    received.push(text);
    if (received.length === 2) reply(respond(parseSipMessage(text)!, '200 OK'));
  });
  const result = await probeOptions({ host: LOOPBACK, port, transport: 'udp' });
  t.match(result, { reachable: true, statusCode: 200, error: null });
  t.ok(received.length >= 2, 'answered the retransmission');
  t.equal(new Set(received).size, 1, 'every copy identical: same branch, Call-ID and CSeq');
});

t.test('an IPv6 literal host', async (t) => {
  const received: SipMessage[] = [];
  const port = await udpPeer(t, (text, reply) => {
    const request = parseSipMessage(text)!;
    received.push(request);
    reply(respond(request, '200 OK'));
  }, '::1');
  const result = await probeOptions({ host: '[::1]', port, transport: 'udp' });
  t.match(result, { reachable: true, statusCode: 200, resolvedAddress: `[::1]:${port}`, error: null });
  t.equal(String(received[0]?.ruri), `sip:[::1]:${port}`);
  t.match(received[0]?.getHeader('via'), /^SIP\/2\.0\/UDP \[::1\]:\d+;branch=z9hG4bK\w+;rport$/);
});

t.test('a peer that never answers: timeout', async (t) => {
  const port = await udpPeer(t, () => {});
  const result = await probeOptions({ host: LOOPBACK, port, transport: 'udp' }, { timeoutMs: 300 });
  t.match(result, { reachable: false, statusCode: null, reasonPhrase: null, roundTripMs: null, resolvedAddress: `127.0.0.1:${port}` });
  t.equal(result.error?.code, 'timeout');
  t.match(result.error?.message, /after 300 ms waiting for a final response/);
});

t.test('UDP to a closed port: Linux reports the ICMP port unreachable as ECONNREFUSED', async (t) => {
  const port = await freePort('udp');
  const result = await probeOptions({ host: LOOPBACK, port, transport: 'udp' });
  t.match(result, { reachable: false, statusCode: null, resolvedAddress: `127.0.0.1:${port}` });
  t.equal(result.error?.code, 'connection_refused');
  t.match(result.error?.message, /ICMP port unreachable/);
});

t.test('TCP to a closed port: connection_refused', async (t) => {
  const port = await freePort('tcp');
  const result = await probeOptions({ host: LOOPBACK, port, transport: 'tcp' });
  t.match(result, { reachable: false, resolvedAddress: `127.0.0.1:${port}` });
  t.equal(result.error?.code, 'connection_refused');
  t.match(result.error?.message, /ECONNREFUSED/);
});

t.test('an unknown host: dns_failure, nothing contacted', async (t) => {
  // a generous budget, so that a slow resolver still ends in its own error rather than our timeout
  const result = await probeOptions({ host: 'no-such-host.invalid', port: 5060, transport: 'udp' }, { timeoutMs: 30_000 });
  t.match(result, { reachable: false, resolvedAddress: null });
  t.equal(result.error?.code, 'dns_failure');
  t.match(result.error?.message, /no-such-host\.invalid.*(ENOTFOUND|EAI_AGAIN)/);
});

t.test('with a destination policy, a name resolving to loopback is refused before anything is sent', async (t) => {
  let datagrams = 0;
  const port = await udpPeer(t, (_text, reply) => {
    datagrams++;
    reply('SIP/2.0 200 OK\r\n\r\n');
  });
  const resolveToLoopback = async () => [{ address: LOOPBACK, family: 4 }];
  for (const transport of ['udp', 'tcp', 'tls'] as const) {
    const refused = await probeOptions({ host: 'sip.rebind.example', port, transport }, { destinations: new DestinationPolicy([], resolveToLoopback) });
    t.match(refused, { reachable: false, resolvedAddress: null, error: { code: 'destination_not_allowed', message: /sip\.rebind\.example resolves to 127\.0\.0\.1, which is in the loopback range/ } }, transport);
  }
  for (const host of [LOOPBACK, '[::1]', '::ffff:127.0.0.1', 'localhost']) {
    t.match(await probeOptions({ host, port, transport: 'udp' }, { destinations: new DestinationPolicy() }), { error: { code: 'destination_not_allowed' } }, host);
  }
  t.equal(datagrams, 0, 'no datagram reached the peer');

  const allowed = await probeOptions({ host: 'sip.rebind.example', port, transport: 'udp' }, { timeoutMs: 500, destinations: new DestinationPolicy(['127.0.0.0/8'], resolveToLoopback) });
  t.match(allowed, { resolvedAddress: `127.0.0.1:${port}` }, 'with 127.0.0.0/8 allowed the probe goes to the address the policy resolved');
  t.ok(datagrams > 0);
});

t.test('a peer that replies with garbage: bad_response', async (t) => {
  const garbage = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n';
  const udp = await udpPeer(t, (_text, reply) => reply(garbage));
  const overUdp = await probeOptions({ host: LOOPBACK, port: udp, transport: 'udp' });
  t.match(overUdp, { reachable: false, statusCode: null });
  t.equal(overUdp.error?.code, 'bad_response');
  t.match(overUdp.error?.message, /HTTP\/1\.1 400/);

  const tcp = await streamPeer(t, (_text, socket) => socket.write(garbage));
  const overTcp = await probeOptions({ host: LOOPBACK, port: tcp, transport: 'tcp' });
  t.equal(overTcp.error?.code, 'bad_response');
});

t.test('a TCP peer that hangs up without answering: network_error', async (t) => {
  const port = await streamPeer(t, (_text, socket) => socket.end());
  const result = await probeOptions({ host: LOOPBACK, port, transport: 'tcp' });
  t.match(result, { reachable: false, resolvedAddress: `127.0.0.1:${port}` });
  t.equal(result.error?.code, 'network_error');
  t.match(result.error?.message, /closed the connection before a final response/);
});

t.test('TLS with a self-signed certificate', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchplane-tls-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const openssl = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'];
  await promisify(execFile)('openssl', openssl);
  const received: SipMessage[] = [];
  const port = await streamPeer(
    t,
    (text, socket) => {
      const request = parseSipMessage(text)!;
      received.push(request);
      const answer = Buffer.from(respond(request, '100 Trying') + respond(request, '200 OK'));
      socket.write(answer.subarray(0, answer.length - 20)); // split inside the 200's headers: framing by Content-Length
      socket.write(answer.subarray(answer.length - 20));
    },
    { key: await readFile(key), cert: await readFile(cert) },
  );

  t.test('accepted when verification is off', async (t) => {
    const result = await probeOptions({ host: LOOPBACK, port, transport: 'tls' }, { tlsRejectUnauthorized: false });
    t.match(result, { reachable: true, statusCode: 200, reasonPhrase: 'OK', transport: 'tls', resolvedAddress: `127.0.0.1:${port}`, error: null });
    t.match(received[0]?.getHeader('via'), /^SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;branch=z9hG4bK\w+;rport$/);
    t.equal(String(received[0]?.ruri), `sip:127.0.0.1:${port};transport=tls`);
  });

  t.test('tls_error when verification is on', async (t) => {
    const result = await probeOptions({ host: LOOPBACK, port, transport: 'tls' }, { tlsRejectUnauthorized: true });
    t.match(result, { reachable: false, statusCode: null, resolvedAddress: `127.0.0.1:${port}` });
    t.equal(result.error?.code, 'tls_error');
    t.match(result.error?.message, /self.signed certificate/);
  });
});
