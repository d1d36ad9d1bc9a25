/**
 * SIP server addresses as a gateway's `proxy`, `realm` and `from-domain` take them: a hostname
 * or an IP literal, optionally with `:port`, in one canonical form (src/domain/trunk-records.ts).
 */
import ipaddr from 'ipaddr.js';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The canonical form of a SIP server address, or null when it is neither a hostname nor an IP:
 * a hostname of RFC 1123 labels (lower-cased, at most 253 characters, its last label starting
 * with a letter as RFC 3261 §25.1 `toplabel` requires, so that neither `999.1.1.1` nor
 * `0x7f000001`, which getaddrinfo reads as 127.0.0.1, is taken for a name), a dotted-quad IPv4 address, or an IPv6
 * address with or without brackets (returned as `[addr]` in RFC 5952 form, so `host:port` stays
 * unambiguous; zone ids are refused). IP literals are checked with ipaddr.js.
 */
export function normaliseHost(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0 || s.length > 253) return null;
  const inner = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  if (inner.includes(':')) {
    if (!ipaddr.IPv6.isValid(inner) || inner.includes('%')) return null;
    return `[${ipaddr.IPv6.parse(inner).toRFC5952String()}]`;
  }
  if (inner !== s) return null;
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s).toString();
  const name = s.toLowerCase();
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l)) || !/^[a-z]/.test(labels[labels.length - 1]!)) return null;
  return name;
}

/** `host` or `host:port` (`[v6]:port`), normalised, or null. */
export function normaliseHostPort(raw: string): string | null {
  const s = raw.trim();
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
  if (m) {
    const host = normaliseHost(m[1]!);
    const port = Number(m[2]);
    return host && port >= 1 && port <= 65535 ? `${host}:${port}` : null;
  }
  return normaliseHost(s);
}