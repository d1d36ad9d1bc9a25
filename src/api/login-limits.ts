/**
 * Failed logins (`POST /api/v1/auth/login`), counted per account (the email as typed,
 * lower-case) and per client address (src/auth-failures.ts `clientKey`: IPv4, or the IPv6 /64),
 * with rate-limiter-flexible's RateLimiterMemory over a fixed window of WINDOW_SECONDS from the
 * first failure. Once either is over its limit, logins for that account or from that address
 * answer 429 with `Retry-After` before the password is checked, until the window ends. A
 * successful login clears its account's count. Counts are kept per instance.
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { clientKey } from '../auth-failures.js';

/** Failed logins an account may have within the window. */
export const ACCOUNT_FAILURES = 5;
/** Failed logins an address may make within the window (several people behind one NAT). */
export const ADDRESS_FAILURES = 20;
export const WINDOW_SECONDS = 15 * 60;

export class LoginLimits {
  private readonly accounts = new RateLimiterMemory({ keyPrefix: 'account', points: ACCOUNT_FAILURES, duration: WINDOW_SECONDS });
  private readonly addresses = new RateLimiterMemory({ keyPrefix: 'address', points: ADDRESS_FAILURES, duration: WINDOW_SECONDS });

  /** Whole seconds until a login for `email` from `address` may be tried (the `Retry-After`), or 0. */
  async retryAfter(email: string, address: string): Promise<number> {
    const [account, from] = await Promise.all([this.accounts.get(email), this.addresses.get(clientKey(address))]);
    let wait = 0;
    for (const [res, limit] of [[account, ACCOUNT_FAILURES], [from, ADDRESS_FAILURES]] as const) {
      if (res && res.consumedPoints >= limit && res.msBeforeNext > 0) wait = Math.max(wait, Math.ceil(res.msBeforeNext / 1000));
    }
    return wait;
  }

  /** Counts a failed login for `email` from `address`. */
  async fail(email: string, address: string): Promise<void> {
    await Promise.all([this.accounts.penalty(email, 1), this.addresses.penalty(clientKey(address), 1)]);
  }

  /** Clears the account's count after a successful login. */
  async succeed(email: string): Promise<void> {
    await this.accounts.delete(email);
  }
}
