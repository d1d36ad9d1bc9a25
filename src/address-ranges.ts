/**
 * Address ranges as operators write them in settings (XMLCURL_ALLOW_FROM, DESTINATION_ALLOW): a
 * CIDR (`10.20.0.0/16`, `fd00::/8`) or a single address (a /32 or /128), parsed with ipaddr.js.
 * IPv4 must be dotted four-part decimal, so `10.1` is an error rather than 10.0.0.1.
 */
import ipaddr from 'ipaddr.js';

export type AddressRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * @returns one `[network, prefix bits]` per entry
 * @throws Error naming the first entry that is not an address or CIDR
 */
export function parseRanges(entries: readonly string[]): AddressRange[] {
  return entries.map((entry) => {
    if (ipaddr.isValidCIDR(entry)) return ipaddr.parseCIDR(entry);
    if (ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry)) {
      const address = ipaddr.parse(entry);
      return [address, address.kind() === 'ipv4' ? 32 : 128];
    }
    throw new Error(`"${entry}" is not an address or CIDR (such as 10.20.0.0/16 or fd00::/8)`);
  });
}

/**
 * Whether `address` lies in one of `ranges`. An IPv4 range holds IPv4 addresses only: give an
 * IPv4-mapped IPv6 address as its IPv4 address (`ipaddr.process`).
 */
export function inRanges(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly AddressRange[]): boolean {
  return ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}
