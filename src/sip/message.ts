/**
 * SIP message building and parsing (RFC 3261 §7, §8.1.1, §20) through JsSIP's own message classes
 * (`jssip/lib/SIPMessage.js` OutgoingRequest, `jssip/lib/Parser.js` with JsSIP's RFC 3261 ABNF
 * grammar), plus Content-Length framing of a byte stream (§18.3) for TCP and TLS. JsSIP's public
 * API is a WebSocket user agent, so these two CommonJS modules are loaded by path and typed here;
 * package.json pins jssip to ~3.13 for that reason. Lengths are in bytes.
 */
import { createRequire } from 'node:module';

/** What the probe reads from a parsed request or response (JsSIP IncomingRequest/IncomingResponse). */
export interface SipMessage {
  /** Request method, or for a response the method of its CSeq. */
  method: string;
  /** Request-URI of a request; undefined on a response. */
  ruri?: { toString(): string };
  /** Status code of a response; undefined on a request. */
  status_code?: number;
  reason_phrase?: string;
  call_id: string;
  cseq: number;
  /** `branch` parameter of the topmost Via (§8.1.1.7). */
  via_branch: string | undefined;
  from_tag: string | undefined;
  /** Raw value of the first header of that name (case-insensitive, compact forms included). */
  getHeader(name: string): string | undefined;
  body: string;
}

/** Header values of an out-of-dialog OPTIONS (§11.1) known before the transport is; URIs as strings. */
export interface OptionsRequest {
  requestUri: string;
  fromUri: string;
  fromTag: string;
  toUri: string;
  callId: string;
  cseq: number;
  userAgent: string;
}

/** The request once the transport has given its local address. */
export interface PendingOptionsRequest {
  /**
   * @param via full Via value, `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport` (§8.1.1.7, RFC 3581)
   * @param contactUri SIP URI for the Contact header (§8.1.1.8)
   */
  render(via: string, contactUri: string): string;
}

interface JssipUri { toString(): string }
interface JssipModules {
  URI: { parse(uri: string): JssipUri | undefined };
  OutgoingRequest: new (
    method: string,
    ruri: JssipUri,
    ua: { configuration: { user_agent: string } },
    params: { from_uri: JssipUri; from_tag: string; from_display_name: null; to_uri: JssipUri; call_id: string; cseq: number },
    extraHeaders: string[],
  ) => { setHeader(name: string, value: string): void; toString(): string };
  parseMessage(data: string, ua?: undefined): SipMessage | undefined;
}

const require = createRequire(import.meta.url);
const jssip: JssipModules = {
  URI: require('jssip/lib/URI.js'),
  OutgoingRequest: require('jssip/lib/SIPMessage.js').OutgoingRequest,
  parseMessage: require('jssip/lib/Parser.js').parseMessage,
};

/** Headers every request and response carries (§8.1.1, §8.2.6.2). */
const MANDATORY = ['via', 'from', 'to', 'call-id', 'cseq'];
const CRLF2 = Buffer.from('\r\n\r\n');
/** Largest header section accepted on a stream before giving up on framing, in bytes. */
const MAX_HEADER_BYTES = 65_536;

function uri(value: string): JssipUri {
  const parsed = jssip.URI.parse(value);
  if (!parsed) throw new TypeError(`invalid SIP URI ${value}`);
  return parsed;
}

/**
 * The OPTIONS request, checked now and rendered once Via and Contact are known. JsSIP adds To,
 * From (with the tag), Call-ID, CSeq, `Supported: outbound`, its `Allow` list, User-Agent and
 * `Content-Length: 0`; Max-Forwards is set to 70 (§8.1.1.6; JsSIP's default is 69).
 * @throws TypeError when a URI is not a valid SIP URI
 */
export function buildOptionsRequest(r: OptionsRequest): PendingOptionsRequest {
  const request = new jssip.OutgoingRequest(
    'OPTIONS',
    uri(r.requestUri),
    { configuration: { user_agent: r.userAgent } },
    { from_uri: uri(r.fromUri), from_tag: r.fromTag, from_display_name: null, to_uri: uri(r.toUri), call_id: r.callId, cseq: r.cseq },
    ['Accept: application/sdp'],
  );
  request.setHeader('max-forwards', '70');
  return {
    render(via, contactUri) {
      request.setHeader('via', via);
      request.setHeader('contact', `<${uri(contactUri).toString()}>`);
      return request.toString();
    },
  };
}

function jssipParse(text: string): SipMessage | undefined {
  try {
    return jssip.parseMessage(text);
  } catch {
    return undefined; // JsSIP throws on some malformed headers (e.g. a CSeq without a method)
  }
}

/** A request or response, or null when JsSIP's grammar rejects it or a mandatory header is missing. */
export function parseSipMessage(text: string): SipMessage | null {
  const message = jssipParse(text);
  if (!message || MANDATORY.some((name) => message.getHeader(name) === undefined)) return null;
  return message;
}

/**
 * Cut the first message off a stream buffer (§18.3: the header section ends at the first empty
 * line and Content-Length, in bytes, gives the body; CRLF keep-alives before it are skipped,
 * RFC 5626 §3.5.1). `incomplete` asks for more bytes; `malformed` means the stream cannot be framed.
 */
export function frameStreamMessage(buffer: Buffer): { message: string; rest: Buffer } | 'incomplete' | 'malformed' {
  let start = 0;
  while (buffer[start] === 0x0d || buffer[start] === 0x0a) start++;
  const headerEnd = buffer.indexOf(CRLF2, start);
  if (headerEnd < 0) return buffer.length - start > MAX_HEADER_BYTES ? 'malformed' : 'incomplete';
  const head = parseSipMessage(buffer.toString('utf8', start, headerEnd + CRLF2.length));
  const length = Number(head?.getHeader('content-length') ?? 0);
  if (!head || !Number.isSafeInteger(length) || length < 0) return 'malformed';
  const end = headerEnd + CRLF2.length + length;
  if (buffer.length < end) return 'incomplete';
  return { message: buffer.toString('utf8', start, end), rest: buffer.subarray(end) };
}
