/**
 * Who may query the XML-curl and json_cdr endpoints: an optional source-address allowlist (CIDRs,
 * matched with ipaddr.js; IPv4-mapped IPv6 addresses count as IPv4), and basic-auth credentials.
 */
import { timingSafeEqual } from 'node:crypto';
import ipaddr from 'ipaddr.js';

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
