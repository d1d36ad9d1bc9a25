/**
 * Where Switchplane and FreeSWITCH may be sent on a tenant's word: the destination policy for
 * hosts and URLs a tenant key sets (trunk host, realm and from-domain, which mod_sofia sends
 * REGISTER, OPTIONS and INVITE towards; the number's CRM webhook) and for the connections made to
 * them (trunk test, CRM webhook). An address is allowed when ipaddr.js `range()` calls it
 * `unicast` (public), or when an operator range of `DESTINATION_ALLOW` holds it; everything else
 * is refused: loopback, link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10),
 * private (RFC 1918), unique-local (fc00::/7), unspecified (0.0.0.0/8, ::), multicast,
 * broadcast, carrier-grade NAT (100.64.0.0/10), reserved and documentation ranges, and the IPv6
 * forms that carry an IPv4 address to elsewhere (6to4, Teredo, NAT64, IPv4-compatible).
 * An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is judged as its IPv4 address. A host name is
 * refused when it is internal by definition (`localhost`, `*.localhost`, `*.internal` such as
 * `metadata.google.internal`, `*.local`: RFC 6761 §6.3, RFC 6762) or when any address it resolves
 * to is refused; IPv4 written as inet_aton(3) reads it (`0x7f000001`, `2130706433`, `127.1`) is
 * judged as that address, since getaddrinfo(3) would connect there.
 * Admin (operator) keys are not subject to the policy (`policyFor`).
 * Switchplane's own connections are checked at connect time (`addresses`, `lookup`); mod_sofia
 * resolves a gateway's proxy itself, so for FreeSWITCH a trunk name is checked when it is saved.
 */
import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { inRanges, parseRanges } from '../address-ranges.js';
import type { Principal } from './api-keys.js';
import { FieldError } from './errors.js';

/** Resolves a name to all its addresses, as `dns.promises.lookup(name, { all: true, family })`. */
export type Resolver = (hostname: string, family: 0 | 4 | 6) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname, family) => dnsLookupAsync(hostname, { all: true, family, verbatim: true });

/** Names that never lead outside the host or its network: RFC 6761 §6.3, RFC 6762 (`.local`), `.internal` (ICANN, 2024). */
const INTERNAL_NAME = /(^|\.)(localhost|internal|local)$/;

/** The deprecated IPv4-compatible IPv6 addresses ::a.b.c.d (RFC 4291 §2.5.5.1), which ipaddr.js calls unicast. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** Longest a save waits for a name to resolve, in milliseconds; a name not resolved by then is saved. */
export const SAVE_RESOLVE_MS = 2000;

function refusalMessage(host: string, address: string | null, range: string): string {
  if (address === null) return `${host} is an internal name; this service does not connect to internal names for customers`;
  const what = host === address ? address : `${host} resolves to ${address}, which`;
  return `${what} is in the ${range} range; this service does not connect there for customers (an operator may allow a range with DESTINATION_ALLOW)`;
}

/** A destination the policy refuses; `range` is the ipaddr.js range name or `internal name`, `address` null for a name. */
export class DestinationRefused extends Error {
  constructor(
    readonly host: string,
    readonly address: string | null,
    readonly range: string,
  ) {
    super(refusalMessage(host, address, range));
    this.name = 'DestinationRefused';
  }
}

/** `address` as IPv4 when it is IPv4-mapped IPv6. */
function unmapped(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

/** The host of a URL or `host[:port]` without IPv6 brackets. */
const bare = (host: string) => host.replace(/^\[(.*)\]$/, '$1');

export class DestinationPolicy {
  private readonly allowed: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

  /**
   * @param allow CIDRs the operator allows although the policy would refuse them (`DESTINATION_ALLOW`)
   * @param resolve name resolution; default the system resolver (getaddrinfo: /etc/hosts, DNS)
   * @throws Error for an entry of `allow` that is not a CIDR
   */
  constructor(allow: readonly string[] = [], private readonly resolve: Resolver = systemResolver) {
    this.allowed = parseRanges(allow);
  }

  /**
   * Why an IP address is refused: its ipaddr.js range name (`loopback`, `linkLocal`, `private`,
   * `uniqueLocal`, `unspecified`, `multicast`, `carrierGradeNat`, `reserved`, ...), or null when
   * it is allowed (public unicast, or inside an allowed range).
   * @throws Error when `address` is not an IP address
   */
  refusal(address: string): string | null {
    const ip = unmapped(ipaddr.parse(bare(address)));
    if (inRanges(ip, this.allowed)) return null;
    const range = ip.range();
    if (range !== 'unicast') return range;
    return ip.kind() === 'ipv6' && ip.match(IPV4_COMPATIBLE) ? 'ipv4Compatible' : null;
  }

  /**
   * Checks a host without resolving it: an internal name, or an IP address (any form
   * getaddrinfo reads as one) that `refusal` refuses, is refused.
   * @throws DestinationRefused
   */
  checkName(host: string): void {
    const name = bare(host).toLowerCase();
    if (ipaddr.isValid(name)) {
      const range = this.refusal(name);
      if (range) throw new DestinationRefused(host, unmapped(ipaddr.parse(name)).toString(), range);
      return;
    }
    if (INTERNAL_NAME.test(name.replace(/\.$/, ''))) throw new DestinationRefused(host, null, 'internal name');
  }

  /**
   * The addresses to connect to for `host` (an IP literal is its own address), after `checkName`;
   * refused when any address is refused, so that a name with one public and one private address
   * cannot be used to reach the private one.
   * @param family 4 or 6 to resolve in one address family; 0 (default) both
   * @throws DestinationRefused; the resolver's error (e.g. ENOTFOUND) when the name does not resolve
   */
  async addresses(host: string, family: 0 | 4 | 6 = 0): Promise<LookupAddress[]> {
    this.checkName(host);
    const name = bare(host);
    const literal = ipaddr.isValid(name) ? ipaddr.parse(name) : null;
    const found = literal ? [literal.kind() === 'ipv4' ? { address: literal.toString(), family: 4 } : { address: name, family: 6 }] : await this.resolve(name, family);
    for (const { address } of found) {
      const range = this.refusal(address);
      if (range) throw new DestinationRefused(host, address, range);
    }
    return found;
  }

  /**
   * The check on saving a host: `checkName`, then the name is resolved and refused when it
   * resolves to a refused address now. A name that does not resolve within SAVE_RESOLVE_MS is
   * saved (it is checked again when Switchplane connects to it).
   * @throws DestinationRefused
   */
  async checkSaved(host: string): Promise<void> {
    this.checkName(host);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SAVE_RESOLVE_MS);
    });
    const resolved = this.addresses(host).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof DestinationRefused) throw err;
      },
    );
    try {
      await Promise.race([resolved, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A `lookup` for node:net and undici connections (`connect: { lookup }`): resolves as
   * `dns.lookup` does and fails with DestinationRefused when any address is refused, so the
   * address checked is the address connected to (no DNS rebinding between check and connect).
   * node:net does not call it for an IP literal: check those with `checkName` first.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : 0;
    this.addresses(hostname, family).then(
      (found) => (options.all ? callback(null, found) : callback(null, found[0]!.address, found[0]!.family)),
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/** The policy a request of `principal` is held to: none for an admin (operator) key. */
export function policyFor(principal: Principal, policy: DestinationPolicy): DestinationPolicy | null {
  return principal.scopes.has('admin') ? null : policy;
}

/**
 * Holds `host` (a hostname or IP, or `host:port`, as normalised) to `destinations` for `field`.
 * @throws FieldError `destination_not_allowed` when the policy refuses it
 */
export async function checkDestination(field: string, host: string, destinations: DestinationPolicy | null): Promise<void> {
  try {
    await destinations?.checkSaved(host.replace(/:\d+$/, ''));
  } catch (err) {
    if (err instanceof DestinationRefused) throw new FieldError(field, `${field}: ${err.message}`, 'destination_not_allowed');
    throw err;
  }
}
