/**
 * The event webhook delivery worker: every instance runs one. It claims due deliveries from the
 * PostgreSQL queue (src/domain/webhook-queue.ts), POSTs each, signed (src/http/webhook-sender.ts),
 * and records the outcome in the delivery log:
 * - a 2xx answer: `delivered`;
 * - any other answer, no answer within `timeoutMs`, or a network error: retried, `pending`
 *   until the next attempt, after the answer's `Retry-After` when it has one (at most
 *   `maxRetryAfterMs`), else after an exponential backoff (`backoff.minMs` doubling per attempt up
 *   to `backoff.maxMs`, each delay drawn between its half and its whole, "equal jitter", so that
 *   deliveries failing together do not come back together); after `maxAttempts` attempts, `failed`;
 * - a destination the policy refuses, or a signing secret the secrets key does not open:
 *   `failed` at once (nothing was sent).
 * Up to `concurrency` deliveries are in flight at once, each bounded by `timeoutMs`, so a slow
 * endpoint holds one slot for at most that long and never delays the emitters, which only queue.
 * A claim lasts `timeoutMs` + CLAIM_MARGIN_MS: a delivery claimed by an instance that stops is
 * taken over by any instance afterwards (nothing is lost across restarts; a delivery may then
 * arrive twice, with the same `X-Switchplane-Event-Id`).
 *
 * The retries are scheduled in the queue rather than by an in-process retry library (p-retry,
 * used by the CRM webhook), since a delivery must outlive the process and its slot is freed
 * between attempts; the backoff is the one formula below.
 */
import type { Store } from '../db/store.js';
import type { DestinationPolicy } from '../domain/destination-policy.js';
import type { SecretBox } from '../domain/secrets.js';
import { claimDeliveries, finishDelivery, type AttemptOutcome, type ClaimedDelivery } from '../domain/webhook-queue.js';
import { WebhookSender, type AttemptResult } from './webhook-sender.js';

/** How much longer than an attempt's timeout a claim lasts, ms. */
export const CLAIM_MARGIN_MS = 30_000;

export interface WebhookWorkerOptions {
  store: Store;
  secrets: SecretBox;
  destinations: DestinationPolicy;
  /** Per attempt, ms (default 10 000). */
  timeoutMs?: number;
  /** Attempts before a delivery is `failed` (default 10). */
  maxAttempts?: number;
  /** Deliveries in flight at once (default 8). */
  concurrency?: number;
  /** How often the queue is looked at when idle, ms (default 1000). */
  pollMs?: number;
  /** Backoff of the first retry and the longest, ms (default 10 s and 1 h). */
  backoff?: { minMs: number; maxMs: number };
  /** The longest `Retry-After` honoured, ms (default 1 h); a longer one waits this long. */
  maxRetryAfterMs?: number;
  /** A failure of the queue itself (the database); deliveries' own failures go to the log. */
  onError: (err: unknown) => void;
}

/** The delay before retry `attempts` (1 = after the first attempt): equal jitter over min·2^(n−1), capped. */
export function backoffMs(attempts: number, backoff: { minMs: number; maxMs: number }, random: () => number = Math.random): number {
  const full = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(full / 2 + random() * (full / 2));
}

/** The body POSTed for a delivery. */
export function eventBody(d: Pick<ClaimedDelivery, 'eventId' | 'eventType' | 'eventCreatedAt' | 'tenantId' | 'data'>): string {
  return JSON.stringify({ id: d.eventId, type: d.eventType, createdAt: d.eventCreatedAt.toISOString(), tenantId: d.tenantId, data: d.data });
}

export class WebhookWorker {
  private readonly sender: WebhookSender;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly opts: WebhookWorkerOptions) {
    this.sender = new WebhookSender(opts.destinations, this.timeoutMs);
  }

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? 10_000;
  }

  start(): void {
    this.stopped = false;
    this.poll();
  }

  /** Stops claiming and waits for the attempts in flight (each ends within `timeoutMs`). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    await Promise.all(this.inFlight);
    await this.sender.close();
  }

  /** Claims what is due and free slots allow, and starts sending it; the next look is after `pollMs` or when a slot frees. */
  private poll(): void {
    if (this.stopped || this.polling) return;
    clearTimeout(this.timer);
    this.polling = this.claim()
      .catch((err: unknown) => this.opts.onError(err))
      .finally(() => {
        this.polling = null;
        if (!this.stopped) this.timer = setTimeout(() => this.poll(), this.opts.pollMs ?? 1000);
      });
  }

  private async claim(): Promise<void> {
    const free = (this.opts.concurrency ?? 8) - this.inFlight.size;
    if (free <= 0) return;
    for (const delivery of await claimDeliveries(this.opts.store, free, this.timeoutMs + CLAIM_MARGIN_MS)) {
      const attempt = this.deliver(delivery)
        .catch((err: unknown) => this.opts.onError(err))
        .finally(() => {
          this.inFlight.delete(attempt);
          this.poll();
        });
      this.inFlight.add(attempt);
    }
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    let secret: string;
    try {
      secret = this.opts.secrets.open(d.secretSealed);
    } catch {
      // Sealed with another key: no attempt could be signed. The message names no secret.
      await finishDelivery(this.opts.store, d, { kind: 'failed', responseStatus: null, error: 'the signing secret cannot be opened with the secrets key in use' });
      return;
    }
    const result = await this.sender.send({ url: d.url, secret, body: eventBody(d), eventId: d.eventId, eventType: d.eventType, deliveryId: d.id });
    await finishDelivery(this.opts.store, d, this.outcome(result, d.attempts));
  }

  private outcome(r: AttemptResult, attempts: number): AttemptOutcome {
    if (r.status !== null && r.status >= 200 && r.status <= 299) return { kind: 'delivered', responseStatus: r.status };
    const error = r.error ?? 'failed';
    if (r.refused || attempts >= (this.opts.maxAttempts ?? 10)) return { kind: 'failed', responseStatus: r.status, error };
    const delayMs = r.retryAfterMs !== null ? Math.min(r.retryAfterMs, this.opts.maxRetryAfterMs ?? 3_600_000) : backoffMs(attempts, this.opts.backoff ?? { minMs: 10_000, maxMs: 3_600_000 });
    return { kind: 'retry', delayMs, responseStatus: r.status, error };
  }
}
