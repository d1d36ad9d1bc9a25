/**
 * The signature Switchplane puts on every request it sends to a customer's URL (the AI agent's
 * CRM tickets, event webhooks), Stripe-style:
 *
 *     X-Switchplane-Signature: t=<Unix seconds of the attempt>,v1=<lower-case hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * keyed with the secret's UTF-8 bytes. A receiver takes `t` and every `v1` (`,`-separated
 * `key=value` pairs, other keys ignored), recomputes the HMAC over the body bytes as received,
 * compares in constant time, and refuses a `t` more than SIGNATURE_TOLERANCE_SECONDS from its
 * clock, so a captured request cannot be replayed later.
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Switchplane-Signature';
/** How old a signature timestamp a receiver should still accept, in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * The `X-Switchplane-Signature` value for `body` sent at `timestampSeconds`:
 * `t=<timestampSeconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 */
export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  const t = Math.floor(timestampSeconds);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}
