/**
 * SIP OPTIONS probe for the trunk connectivity test: one out-of-dialog OPTIONS (RFC 3261 §11) to a
 * trunk's proxy over UDP, TCP or TLS, reporting whether any SIP final response came back, its status
 * and the round trip in milliseconds, or a stable error code saying why not. The host goes through
 * the system resolver (`dns.lookup`: A/AAAA and /etc/hosts; no RFC 3263 NAPTR/SRV). Messages are
 * built and parsed by ./message.ts (JsSIP); the transport is node:dgram, node:net and node:tls.
 * Over UDP the socket is connected, so an ICMP port unreachable comes back as ECONNREFUSED, and the
 * request is retransmitted as by a non-INVITE client transaction (§17.1.2.2, Timer E: T1 = 500 ms
 * doubling up to T2 = 4000 ms).
 * With a destination policy (src/domain/destination-policy.ts) every address the host resolves to
 * is checked first, and a refused one ends the probe with `destination_not_allowed` before any
 * socket is opened; the probe then connects to the address that was checked.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { DestinationRefused, type DestinationPolicy } from '../domain/destination-policy.js';
import { buildOptionsRequest, frameStreamMessage, parseSipMessage } from './message.js';

export type SipTransport = 'udp' | 'tcp' | 'tls';

export interface ProbeTarget {
  /** Host name, or IPv4 or IPv6 literal (brackets optional), of the trunk's proxy. */
  host: string;
  port: number;
  transport: SipTransport;
  /** From/To domain (trunk realm or from_domain); the host when absent. */
  domain?: string;
  /** From user; `switchplane` when absent. */
  username?: string;
}

export type ProbeErrorCode = 'dns_failure' | 'destination_not_allowed' | 'timeout' | 'connection_refused' | 'tls_error' | 'bad_response' | 'network_error';

export interface ProbeResult {
  /** True when any SIP final response came back, whatever its status (a 404 or 405 still speaks SIP). */
  reachable: boolean;
  /** Status code of the final response (§7.2). */
  statusCode: number | null;
  reasonPhrase: string | null;
  /** Milliseconds from the first transmission of the request to the final response. */
  roundTripMs: number | null;
  /** `ip:port` (`[ip]:port` for IPv6) actually contacted; null when the host did not resolve. */
  resolvedAddress: string | null;
  transport: SipTransport;
  error: null | { code: ProbeErrorCode; message: string };
}

export interface ProbeOptions {
  /** Budget for the whole probe (resolution, connection, TLS handshake, response), in milliseconds; default 3000. */
  timeoutMs?: number;
  /** Verify the TLS peer's certificate chain and name; default true. */
  tlsRejectUnauthorized?: boolean;
  /** Local IP address to send from; the host is then resolved in its address family. */
  localAddress?: string;
  /** The policy the host's addresses are held to; absent or null = any address (an admin's test). */
  destinations?: DestinationPolicy | null;
}

const DEFAULT_TIMEOUT_MS = 3000;
/** RTT estimate and largest retransmit interval for non-INVITE requests over UDP (§17.1.2.2), in milliseconds. */
const T1_MS = 500;
const T2_MS = 4000;
const CSEQ = 1;

/** A transport towards the peer, opened by `openUdp` or `openStream`. */
interface Link {
  /** Local address and port, for Via sent-by (§18.1.1) and Contact; valid once `ready` has fired. */
  local(): { address: string; port: number };
  send(data: Buffer): void;
  close(): void;
}

interface LinkEvents {
  ready(): void;
  message(text: string): void;
  fail(code: ProbeErrorCode, message: string): void;
}

function hostPort(ip: string, port: number): string {
  return net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function uriHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

function describe(err: NodeJS.ErrnoException): string {
  return err.code ? `${err.message} (${err.code})` : err.message;
}

function openUdp(ip: string, port: number, localAddress: string | undefined, on: LinkEvents): Link {
  const socket = dgram.createSocket(net.isIPv6(ip) ? 'udp6' : 'udp4');
  const failWith = (err: NodeJS.ErrnoException) =>
    err.code === 'ECONNREFUSED'
      ? on.fail('connection_refused', `ICMP port unreachable from ${hostPort(ip, port)} (ECONNREFUSED)`)
      : on.fail('network_error', describe(err));
  socket.on('error', failWith);
  socket.on('message', (datagram) => on.message(datagram.toString('utf8')));
  socket.bind({ port: 0, address: localAddress }, () => socket.connect(port, ip, () => on.ready()));
  return {
    local: () => socket.address(),
    send: (data) => socket.send(data, (err) => err && failWith(err)),
    close: () => socket.close(),
  };
}

function openStream(transport: 'tcp' | 'tls', ip: string, host: string, port: number, opts: ProbeOptions, on: LinkEvents): Link {
  const tcp: net.TcpNetConnectOpts = { host: ip, port, localAddress: opts.localAddress };
  const socket =
    transport === 'tls'
      ? tls.connect({
          ...tcp, // tls.connect takes any socket.connect() option
          servername: net.isIP(host) ? undefined : host, // SNI and the certificate name check (RFC 6066 §3)
          rejectUnauthorized: opts.tlsRejectUnauthorized ?? true,
        })
      : net.connect(tcp);
  let connected = false;
  let secured = false;
  let buffer: Buffer = Buffer.alloc(0);
  socket.once('connect', () => {
    connected = true;
    if (transport === 'tcp') on.ready();
  });
  socket.once('secureConnect', () => {
    secured = true;
    on.ready();
  });
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let framed = frameStreamMessage(buffer); framed !== 'incomplete'; framed = frameStreamMessage(buffer)) {
      if (framed === 'malformed') return on.fail('bad_response', `cannot frame a SIP message from ${hostPort(ip, port)} (RFC 3261 §18.3)`);
      buffer = framed.rest;
      on.message(framed.message);
    }
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNREFUSED') on.fail('connection_refused', describe(err));
    else if (transport === 'tls' && connected && !secured) on.fail('tls_error', describe(err));
    else on.fail('network_error', describe(err));
  });
  socket.on('close', () => on.fail('network_error', `${hostPort(ip, port)} closed the connection before a final response`));
  return {
    local: () => ({ address: socket.localAddress ?? '', port: socket.localPort ?? 0 }),
    send: (data) => socket.write(data),
    close: () => socket.destroy(),
  };
}

/**
 * Send one OPTIONS to `target` and wait for its final response (≥ 200, matched on Call-ID and
 * CSeq, §17.1.3); provisional responses are ignored. Never rejects for network outcomes: those are
 * in `error`. Sockets and timers are released before the promise settles.
 * @throws RangeError (as a rejection) when the port is not 1–65535
 * @throws TypeError (as a rejection) when the host or domain does not make a valid SIP URI
 */
export function probeOptions(target: ProbeTarget, opts: ProbeOptions = {}): Promise<ProbeResult> {
  return new Promise((resolve) => {
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new RangeError(`invalid port ${target.port}`);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const host = target.host.replace(/^\[(.*)\]$/, '$1');
    const domain = uriHost(target.domain ?? host);
    const user = encodeURIComponent(target.username ?? 'switchplane'); // escaped user part, §19.1.2
    const uriTransport = target.transport === 'udp' ? '' : `;transport=${target.transport}`; // §19.1.1
    const callId = randomBytes(16).toString('hex');
    const branch = `z9hG4bK${randomBytes(12).toString('hex')}`; // magic cookie, §8.1.1.7
    const request = buildOptionsRequest({
      requestUri: `sip:${domain}${target.domain ? '' : `:${target.port}`}${uriTransport}`,
      fromUri: `sip:${user}@${domain}`,
      fromTag: randomBytes(8).toString('hex'),
      toUri: `sip:${domain}`,
      callId,
      cseq: CSEQ,
      userAgent: 'Switchplane',
    });

    let phase = 'resolving the host';
    let resolvedAddress: string | null = null;
    let link: Link | undefined;
    let retransmit: NodeJS.Timeout | undefined;
    let settled = false;
    let sentAt = 0;
    let proceeding = false;

    const finish = (outcome: Partial<ProbeResult>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(retransmit);
      link?.close();
      const unanswered = { reachable: false, statusCode: null, reasonPhrase: null, roundTripMs: null };
      resolve({ ...unanswered, resolvedAddress, transport: target.transport, error: null, ...outcome });
    };
    const fail = (code: ProbeErrorCode, message: string) => finish({ error: { code, message } });
    const deadline = setTimeout(() => fail('timeout', `timed out after ${timeoutMs} ms ${phase}`), timeoutMs);

    const send = (data: Buffer, interval: number) => {
      link?.send(data);
      if (target.transport !== 'udp') return;
      // Timer E (§17.1.2.2): doubles up to T2, and fires every T2 once a provisional response came.
      retransmit = setTimeout(() => send(data, proceeding ? T2_MS : Math.min(interval * 2, T2_MS)), interval);
    };

    const events: LinkEvents = {
      fail,
      ready() {
        const local = link!.local();
        const sentBy = hostPort(local.address, local.port);
        const via = `SIP/2.0/${target.transport.toUpperCase()} ${sentBy};branch=${branch};rport`; // rport: RFC 3581
        const data = Buffer.from(request.render(via, `sip:${user}@${sentBy}${uriTransport}`), 'utf8');
        phase = `waiting for a final response from ${resolvedAddress}`;
        sentAt = performance.now();
        send(data, T1_MS);
      },
      message(text) {
        const response = parseSipMessage(text);
        if (!response) return fail('bad_response', `unparseable SIP message from ${resolvedAddress}: ${JSON.stringify(text.slice(0, 80))}`);
        const ours = response.call_id === callId && response.cseq === CSEQ && response.method === 'OPTIONS';
        if (response.status_code === undefined || !ours) return; // a request, or another transaction's response
        if (response.status_code < 200) {
          proceeding = true;
          return;
        }
        finish({
          reachable: true,
          statusCode: response.status_code,
          reasonPhrase: response.reason_phrase ?? null,
          roundTripMs: Math.round(performance.now() - sentAt),
        });
      },
    };

    const family = (opts.localAddress ? net.isIP(opts.localAddress) : 0) as 0 | 4 | 6;
    const resolved = opts.destinations ? opts.destinations.addresses(host, family).then((found) => found[0]!) : lookup(host, { family });
    resolved.then(
      ({ address }) => {
        if (settled) return;
        resolvedAddress = hostPort(address, target.port);
        phase = `connecting to ${resolvedAddress}`;
        link =
          target.transport === 'udp'
            ? openUdp(address, target.port, opts.localAddress, events)
            : openStream(target.transport, address, host, target.port, opts, events);
      },
      (err: NodeJS.ErrnoException) =>
        err instanceof DestinationRefused ? fail('destination_not_allowed', err.message) : fail('dns_failure', `cannot resolve ${host}: ${describe(err)}`),
    );
  });
}
