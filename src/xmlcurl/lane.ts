/**
 * The mod_xml_curl lane: FreeSWITCH's usual lookup, `POST /freeswitch/xml` with a form body
 * (mod_xml_curl.c `xml_url_fetch`, `application/x-www-form-urlencoded`), answered straight from
 * node:http ahead of Fastify. Fastify's per-request work (its request and reply objects, router,
 * hook runner, content-type parser) costs about as much as the lookup itself, and FreeSWITCH
 * asks hundreds of times a second on its sofia threads.
 *
 * The lane takes a request only when nothing about it needs Fastify: no TRUST_PROXY (the client
 * address is the socket's), an address admitted as src/http/freeswitch-access.ts admits it, a form
 * body within the body limit, and, when XMLCURL_USERNAME/PASSWORD are set, the `Authorization`
 * header mod_xml_curl sends for them (`Basic` and base64 of `user:password`, RFC 7617, as curl
 * builds it from the binding's `gateway-credentials`) from an address with no failed
 * authentication in the last minute (src/auth-failures.ts `failedRecently`). Everything else
 * (missing or other credentials, an address over the failure limit, refusals, GET, other paths
 * and bodies) goes to Fastify as before, which checks, counts and refuses; the answer itself comes
 * from the xml_curl plugin's own `respond`, so both paths answer, count and log alike.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AuthFailures } from '../auth-failures.js';
import type { Config } from '../config.js';
import { admittedAddresses, allowlist, sameSecret, type AddressCheck } from '../http/freeswitch-access.js';

/** What a lookup answers (always HTTP 200, text/xml): the XML, or a promise of it. */
export type LaneRespond = (form: string) => string | Buffer | Promise<string | Buffer>;

const FORM_TYPE = 'application/x-www-form-urlencoded';
const XML_TYPE = 'text/xml; charset=utf-8';

/** Fastify's server options the lane's server applies as Fastify's own server would (fastify/lib/server.js). */
export interface ServerTimeouts {
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

export class XmlCurlLane {
  /** Set by the xml_curl plugin once registered; until then every request goes to Fastify. */
  respond: LaneRespond | undefined;
  /** null: the lane takes nothing (trusted proxies configured). */
  private readonly admitted: AddressCheck | null;
  /** The `Authorization` header that XMLCURL_USERNAME/PASSWORD make; null when they are not set. */
  private readonly authorization: string | null;

  /**
   * @param bodyLimit bytes; a longer body goes to Fastify (which answers it `not found`)
   * @param failures the HTTP server's failed-authentication counter (src/auth-failures.ts)
   * @returns a lane that takes no request when trusted proxies are configured
   */
  constructor(config: Pick<Config, 'xmlcurl' | 'trustProxy'>, private readonly bodyLimit: number, private readonly failures: AuthFailures) {
    const { username, password } = config.xmlcurl;
    this.authorization = username && password ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` : null;
    const addresses = admittedAddresses(config.xmlcurl);
    this.admitted = config.trustProxy.length > 0 ? null : addresses === null ? () => true : allowlist(addresses);
  }

  /**
   * Fastify's `serverFactory`: a node:http server whose requests go through the lane first.
   * @param fastify Fastify's request handler, for every request the lane does not take
   */
  server(fastify: RequestListener, options: ServerTimeouts): Server {
    const server = createServer((req, res) => {
      if (!this.take(req, res)) fastify(req, res);
    });
    if (options.keepAliveTimeout) server.keepAliveTimeout = options.keepAliveTimeout;
    if (options.requestTimeout) server.requestTimeout = options.requestTimeout;
    if (options.connectionTimeout) server.setTimeout(options.connectionTimeout);
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  }

  /** Answers `req` when it is a plain form lookup from an admitted address; else false (untouched). */
  private take(req: IncomingMessage, res: ServerResponse): boolean {
    const respond = this.respond;
    if (respond === undefined || this.admitted === null || req.method !== 'POST' || req.url !== '/freeswitch/xml') return false;
    const type = req.headers['content-type'];
    if (type === undefined || !type.toLowerCase().startsWith(FORM_TYPE)) return false;
    const length = req.headers['content-length'];
    if (length === undefined || !(Number(length) <= this.bodyLimit)) return false;
    const address = req.socket.remoteAddress ?? '';
    if (!this.admitted(address)) return false;
    if (this.authorization !== null) {
      const sent = req.headers.authorization;
      if (sent === undefined || !sameSecret(sent, this.authorization) || this.failures.failedRecently(address)) return false;
    }
    let form = '';
    req.on('error', () => res.destroy());
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (form += chunk));
    req.on('end', () => {
      const xml = respond(form);
      if (xml instanceof Promise) void xml.then((x) => send(res, x));
      else send(res, xml);
    });
    return true;
  }
}

function send(res: ServerResponse, xml: string | Buffer): void {
  res.writeHead(200, { 'content-type': XML_TYPE, 'content-length': Buffer.byteLength(xml) }).end(xml);
}
