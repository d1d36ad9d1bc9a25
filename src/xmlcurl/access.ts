/**
 * Who may query the XML-curl and json_cdr endpoints: an optional source-address allowlist (CIDRs,
 * matched with ipaddr.js; IPv4-mapped IPv6 addresses count as IPv4), and basic-auth credentials;
 * `guardFreeswitchRoutes` enforces both on a plugin's routes.
 */
import { timingSafeEqual } from 'node:crypto';
import basicAuth from '@fastify/basic-auth';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import ipaddr from 'ipaddr.js';
import type { Config } from '../config.js';

/** Compares two secrets in constant time (basic-auth credentials). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type AddressCheck = (address: string) => boolean;

/**
 * @throws Error naming the entry when a CIDR is malformed (caught at start-up)
 */
export function allowlist(cidrs: string[]): AddressCheck {
  if (cidrs.length === 0) return () => true;
  const ranges = cidrs.map((c) => {
    try {
      return ipaddr.parseCIDR(c.includes('/') ? c : `${c}/${c.includes(':') ? 128 : 32}`);
    } catch {
      throw new Error(`XMLCURL_ALLOW_FROM: "${c}" is not an address or CIDR`);
    }
  });
  return (address) => {
    if (!ipaddr.isValid(address)) return false;
    let addr = ipaddr.parse(address);
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
    return ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
  };
}

/** Why `guardFreeswitchRoutes` refused a request. */
export type Denial =
  /** The source address is outside XMLCURL_ALLOW_FROM: answer 403. */
  | { status: 403 }
  /**
   * No valid basic-auth credentials: answer 401. `error` is @fastify/basic-auth's (statusCode
   * 401), which has already set the `WWW-Authenticate` header.
   */
  | { status: 401; error: Error };

/**
 * Guards every route of `app` (a plugin's scope) that FreeSWITCH calls, as `access`
 * (XMLCURL_ALLOW_FROM, XMLCURL_USERNAME/PASSWORD) says: an onRequest hook refuses a request from
 * an address outside the allowlist, then one checks the credentials (@fastify/basic-auth, realm
 * `switchplane`); each refusal is answered by `deny`. A hook whose setting is empty is not added.
 * @param name the endpoint, as the error of bad credentials names it (`bad <name> credentials`)
 * @throws Error naming the entry when a CIDR is malformed (caught at start-up)
 */
export async function guardFreeswitchRoutes(
  app: FastifyInstance,
  access: Pick<Config['xmlcurl'], 'allowFrom' | 'username' | 'password'>,
  name: string,
  deny: (req: FastifyRequest, reply: FastifyReply, denial: Denial) => FastifyReply,
): Promise<void> {
  const allowed = allowlist(access.allowFrom);
  if (access.allowFrom.length > 0) {
    app.addHook('onRequest', async (req, reply) => {
      if (!allowed(req.ip)) return deny(req, reply, { status: 403 });
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
      void check.call(app, req, reply, (err?: Error) => {
        if (err) deny(req, reply, { status: 401, error: err });
        else done();
      });
    });
  }
}
