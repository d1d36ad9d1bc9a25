/**
 * Failed authentications per client address: an API key that is missing, malformed, unknown or
 * revoked, or wrong basic-auth credentials on `/freeswitch/*`. Once an address has failed
 * `perMinute` times within a minute (a fixed window from its first failure,
 * rate-limiter-flexible's RateLimiterMemory), every request from it is refused with 429 and
 * `Retry-After` until the window ends, before any key or password is checked: guessing runs at
 * `perMinute` tries a minute at most. Successful requests are not counted.
 *
 * The app (src/app.ts) makes one and gives it to the API and the FreeSWITCH routes, so failures on
 * both add up. IPv6 clients are counted per /64 (one subscriber's prefix, RFC 6177),
 * IPv4-mapped IPv6 addresses as their IPv4 address.
 */
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';

const WINDOW_SECONDS = 60;

/** The address a client's failures are counted under: IPv4 as is, IPv6 as its /64. */
export function clientKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  let addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

/** Addresses with a recent failure kept before the expired ones are swept out. */
const SWEEP_AT = 10_000;

export class AuthFailures {
  private readonly limiter: RateLimiterMemory;
  /** clientKey → epoch ms until which it counts as having failed recently (a window from its last failure). */
  private readonly recent = new Map<string, number>();

  /** @param perMinute failures an address may make within a minute (AUTH_FAILURES_PER_MINUTE) */
  constructor(readonly perMinute: number) {
    this.limiter = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS });
  }

  /**
   * Whole seconds until `address` may try again (the `Retry-After` value), or 0 when it is not
   * over the limit.
   */
  async retryAfter(address: string): Promise<number> {
    const res = await this.limiter.get(clientKey(address));
    if (!res || res.consumedPoints < this.perMinute || res.msBeforeNext <= 0) return 0;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }

  /** Counts one failed authentication of `address`. */
  async fail(address: string): Promise<void> {
    const key = clientKey(address);
    const now = Date.now();
    if (this.recent.size >= SWEEP_AT) for (const [k, until] of this.recent) if (until <= now) this.recent.delete(k);
    this.recent.set(key, now + WINDOW_SECONDS * 1000);
    await this.limiter.penalty(key, 1);
  }

  /**
   * Whether `address` failed within the last minute, synchronously: an address that did not can be
   * over no limit, so its well-authenticated requests may be answered without `retryAfter`
   * (src/xmlcurl/lane.ts). No address is parsed while none has failed.
   */
  failedRecently(address: string): boolean {
    if (this.recent.size === 0) return false;
    const until = this.recent.get(clientKey(address));
    return until !== undefined && until > Date.now();
  }
}
