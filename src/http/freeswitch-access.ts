/**
 * Who may query the XML-curl and json_cdr endpoints, closed by default: a source-address
 * allowlist (XMLCURL_ALLOW_FROM, CIDRs matched with ipaddr.js; IPv4-mapped IPv6 addresses count
 * as IPv4) and basic-auth credentials (XMLCURL_USERNAME/PASSWORD). With neither set, loopback
 * only; with credentials and no allowlist, any address that sends them.
 * `guardFreeswitchRoutes` enforces this on a plugin's routes.
 */
import { timingSafeEqual } from 'node:crypto';
import basicAuth from '@fastify/basic-auth';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import ipaddr from 'ipaddr.js';
import { inRanges, parseRanges } from '../address-ranges.js';
import type { AuthFailures } from '../auth-failures.js';
import type { Config } from '../config.js';

/** Compares two secrets in constant time (basic-auth credentials). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type AddressCheck = (address: string) => boolean;

/** Loopback: 127.0.0.0/8 and ::1 (what Switchplane answers with no allowlist and no credentials). */
export const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** Verdicts an `allowlist` keeps (per address), forgotten all at once when full. */
const KEPT_VERDICTS = 1024;

/**
 * Whether a client address is in `cidrs` (IPv4-mapped IPv6 counting as IPv4). The verdict for
 * an address is kept (up to KEPT_VERDICTS addresses), so FreeSWITCH's repeated lookups from the
 * same few addresses do not parse the address each time.
 * @param cidrs addresses or CIDRs; an empty list admits no address
 * @throws Error naming the entry when a CIDR is malformed
 */
export function allowlist(cidrs: string[]): AddressCheck {
  const ranges = parseRanges(cidrs);
  const verdicts = new Map<string, boolean>();
  return (address) => {
    let admitted = verdicts.get(address);
    if (admitted === undefined) {
      admitted = ipaddr.isValid(address) && inRanges(ipaddr.process(address), ranges);
      if (verdicts.size >= KEPT_VERDICTS) verdicts.clear();
      verdicts.set(address, admitted);
    }
    return admitted;
  };
}

/**
 * The addresses that may query: XMLCURL_ALLOW_FROM when set; else any address when credentials
 * are required; else loopback only.
 * @returns null when no address check applies
 */
export function admittedAddresses(access: Pick<Config['xmlcurl'], 'allowFrom' | 'username' | 'password'>): string[] | null {
  if (access.allowFrom.length > 0) return access.allowFrom;
  return access.username && access.password ? null : LOOPBACK;
}

/** Why `guardFreeswitchRoutes` refused a request. */
export type Denial =
  /**
   * The source address is not admitted: outside XMLCURL_ALLOW_FROM, or not loopback when neither
   * an allowlist nor credentials are set. `reason` says which, for the log. Answer 403.
   */
  | { status: 403; reason: string }
  /**
   * No valid basic-auth credentials: answer 401. `error` is @fastify/basic-auth's (statusCode
   * 401), which has already set the `WWW-Authenticate` header.
   */
  | { status: 401; error: Error }
  /**
   * The address failed basic auth AUTH_FAILURES_PER_MINUTE times within a minute
   * (src/auth-failures.ts); its credentials were not checked. `Retry-After` is set. Answer 429.
   */
  | { status: 429; reason: string; retryAfterSeconds: number };

/**
 * Guards every route of `app` (a plugin's scope) that FreeSWITCH calls, as `access`
 * (XMLCURL_ALLOW_FROM, XMLCURL_USERNAME/PASSWORD) says: an onRequest hook refuses a request from
 * an address not admitted (`admittedAddresses`: the allowlist, else loopback only unless
 * credentials are set), then one checks the credentials when they are set (@fastify/basic-auth,
 * realm `switchplane`), refusing an address over the failed-authentication limit before that and
 * counting each failure against its address in `failures` (the HTTP server's one counter, shared
 * with the API); each refusal is answered by `deny`.
 * @param name the endpoint, as the error of bad credentials names it (`bad <name> credentials`)
 * @throws Error naming the entry when a CIDR is malformed (loadConfig refuses those first)
 */
export async function guardFreeswitchRoutes(
  app: FastifyInstance,
  access: Pick<Config['xmlcurl'], 'allowFrom' | 'username' | 'password'>,
  failures: AuthFailures,
  name: string,
  deny: (req: FastifyRequest, reply: FastifyReply, denial: Denial) => FastifyReply,
): Promise<void> {
  const admitted = admittedAddresses(access);
  if (admitted !== null) {
    const allowed = allowlist(admitted);
    const reason = access.allowFrom.length > 0
      ? 'address outside XMLCURL_ALLOW_FROM'
      : 'address not loopback, and neither XMLCURL_ALLOW_FROM nor XMLCURL_USERNAME/PASSWORD is set';
    // Synchronous (no promise per request); a refused request goes no further, `done` is not called.
    app.addHook('onRequest', (req, reply, done) => {
      if (allowed(req.ip)) done();
      else deny(req, reply, { status: 403, reason });
    });
  }
  if (access.username && access.password) {
    const { username, password } = access;
    await app.register(basicAuth, {
      validate: async (user, pass) => {
        if (!(sameSecret(user, username) && sameSecret(pass, password))) throw new Error(`bad ${name} credentials`);
      },
      authenticate: { realm: 'switchplane' },
    });
    const check = app.basicAuth as onRequestHookHandler;
    // On a refusal the request goes no further: `deny` has answered it, so `done` is not called.
    app.addHook('onRequest', (req, reply, done) => {
      void failures.retryAfter(req.ip).then((wait) => {
        if (wait > 0) {
          reply.header('retry-after', wait);
          return deny(req, reply, { status: 429, reason: `more than ${failures.perMinute} failed authentications a minute`, retryAfterSeconds: wait });
        }
        return check.call(app, req, reply, (err?: Error) => {
          if (err) void failures.fail(req.ip).then(() => deny(req, reply, { status: 401, error: err }));
          else done();
        });
      });
    });
  }
}
