/**
 * One attempt at delivering an event to a customer's webhook URL:
 *
 *     POST <url>
 *     Content-Type: application/json
 *     User-Agent: Switchplane-Webhooks/1
 *     X-Switchplane-Event: call.ended
 *     X-Switchplane-Event-Id: <event uuid>      (the same in every attempt and replay: deduplicate on it)
 *     X-Switchplane-Delivery: <delivery uuid>
 *     X-Switchplane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>   (src/http/webhook-signature.ts)
 *
 * The URL is a tenant's, so the connection is held to the destination policy
 * (src/domain/destination-policy.ts): an IP literal is checked before connecting, a name by the
 * policy's `lookup` on the connection itself (undici `connect.lookup`), so the address checked is
 * the address connected to. Redirects are not followed (the signed body never goes elsewhere).
 * The answer's body is not read.
 */
import { Agent, fetch } from 'undici';
import { DestinationRefused, type DestinationPolicy } from '../domain/destination-policy.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js';

export interface WebhookRequest {
  url: string;
  secret: string;
  /** The raw JSON body, signed as sent. */
  body: string;
  eventId: string;
  eventType: string;
  deliveryId: string;
}

/**
 * What the attempt got: `status` the HTTP status (null without an answer), `retryAfterMs` the
 * answer's `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) in milliseconds from
 * `now`, `refused` when the destination policy refused the address (nothing was sent).
 */
export interface AttemptResult {
  status: number | null;
  error: string | null;
  retryAfterMs: number | null;
  refused: boolean;
}

/** `Retry-After` as milliseconds from `nowMs`; null when absent or unreadable. */
export function retryAfterMs(value: string | null, nowMs: number): number | null {
  if (value === null || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export class WebhookSender {
  private readonly dispatcher: Agent;

  /**
   * @param destinations the policy every connection is held to (`DESTINATION_ALLOW`)
   * @param timeoutMs per attempt, from sending the request to having its answer's status and headers
   * @param now the clock of signature timestamps, milliseconds as `Date.now`
   */
  constructor(
    private readonly destinations: DestinationPolicy,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.dispatcher = new Agent({ connect: { lookup: destinations.lookup } });
  }

  /** Makes one attempt; never throws. */
  async send(req: WebhookRequest): Promise<AttemptResult> {
    const none = { status: null, retryAfterMs: null };
    let url: URL;
    try {
      url = new URL(req.url);
      this.destinations.checkName(url.hostname);
    } catch (err) {
      return { ...none, error: (err as Error).message, refused: err instanceof DestinationRefused };
    }
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Switchplane-Webhooks/1',
          'x-switchplane-event': req.eventType,
          'x-switchplane-event-id': req.eventId,
          'x-switchplane-delivery': req.deliveryId,
          [SIGNATURE_HEADER]: signatureHeader(req.secret, Math.floor(this.now() / 1000), req.body),
        },
        body: req.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
        dispatcher: this.dispatcher,
      });
      await res.body?.cancel().catch(() => {});
      const ok = res.status >= 200 && res.status <= 299;
      return { status: res.status, error: ok ? null : `HTTP ${res.status}`, retryAfterMs: ok ? null : retryAfterMs(res.headers.get('retry-after'), this.now()), refused: false };
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      if (cause instanceof DestinationRefused) return { ...none, error: cause.message, refused: true };
      if ((err as { name?: string }).name === 'TimeoutError') return { ...none, error: `no answer within ${this.timeoutMs} ms`, refused: false };
      const code = (cause as { code?: string } | undefined)?.code;
      return { ...none, error: `unreachable: ${code ?? (err as Error).message}`, refused: false };
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.destroy().catch(() => {});
  }
}
