/**
 * The AI voice agent's `create_ticket` tool: POSTs a ticket to the CRM webhook of the called
 * number (`phone_numbers.crm_webhook_url`, sql/008) and answers the CRM's ticket id.
 *
 * The request:
 *
 *     POST <crmWebhookUrl>
 *     Content-Type: application/json
 *     Idempotency-Key: 6f1c…            (one per ticket, the same on every retry)
 *     X-Switchplane-Signature: t=1764620000,v1=5257a8…
 *
 *     {"subject":…,"description":…,"priority":"high","callId":…,"tenantId":…,"callerNumber":…,"did":…}
 *
 * Signature (Stripe-style, src/http/webhook-signature.ts): `t` is the Unix time in seconds of the attempt, `v1` the lower-case
 * hex HMAC-SHA256, keyed with the number's `crmWebhookSecret` (its UTF-8 bytes), of the string
 * `<t>.<raw body>`. Every attempt is signed anew with its own timestamp. A receiver verifies it:
 *   1. take `t` and every `v1` from the header (`,`-separated `key=value` pairs; ignore other keys);
 *   2. compute HMAC-SHA256(secret, `${t}.${rawBody}`) over the body bytes exactly as received
 *      (before any JSON parsing) and compare it with each `v1` in constant time
 *      (e.g. `crypto.timingSafeEqual`); refuse the request unless one matches;
 *   3. refuse it when `t` is more than 5 minutes (300 s) from its own clock, so that a captured
 *      request cannot be replayed later;
 *   4. open at most one ticket per `Idempotency-Key`: a retry after a timeout carries the same key
 *      and must answer the ticket already opened.
 *
 * The answer must be 2xx JSON with the ticket id as `id`, `ticketId` or `ticket_id` (a string, or
 * a number that is answered as a string). Network errors, timeouts, 429 and 5xx are retried with a
 * short backoff; any other status (3xx included: redirects are not followed, so the signed body
 * never goes elsewhere) fails at once, as does a 2xx without a ticket id.
 *
 * The URL is set by the tenant, so every connection is held to the destination policy
 * (src/domain/destination-policy.ts): an IP literal is checked before the request, and a name is
 * resolved by the policy's `lookup` on the connection itself (undici `connect.lookup`), so the
 * address checked is the address connected to and DNS rebinding cannot get around the check. A
 * refused destination fails at once with `destination_not_allowed`; nothing is sent.
 */
import { randomUUID } from 'node:crypto';
import pRetry, { AbortError } from 'p-retry';
import { Agent, fetch, type Response } from 'undici';
import { DestinationRefused, type DestinationPolicy } from '../domain/destination-policy.js';
import { SIGNATURE_HEADER, signatureHeader } from '../http/webhook-signature.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export { SIGNATURE_HEADER, signatureHeader };

export const TICKET_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

/** The JSON body POSTed to the CRM. */
export interface Ticket {
  subject: string;
  description: string;
  priority: TicketPriority;
  /** The call's FreeSWITCH Unique-ID. */
  callId: string;
  tenantId: string;
  /** The caller's number as presented, null when withheld. */
  callerNumber: string | null;
  /** The number called (E.164), whose webhook this is. */
  did: string;
}

export interface PostTicketOptions {
  url: string;
  secret: string;
  ticket: Ticket;
  /** Per attempt, from sending the request to having read the answer; default 5000. */
  timeoutMs?: number;
  /** Attempts after the first; default 2. */
  retries?: number;
  /** The clock the signature timestamps are taken from, milliseconds as `Date.now`. */
  now?: () => number;
  /** The policy the webhook's addresses are held to (DESTINATION_ALLOW: `AiSettings.crm.destinationAllow`). */
  destinations: DestinationPolicy;
}

/**
 * Why the ticket could not be posted: `timeout` (an attempt took longer than `timeoutMs`),
 * `network` (no HTTP answer: refused, reset, DNS, bad URL), `http_<status>` (a non-2xx answer),
 * `bad_response` (a 2xx answer without a ticket id, or not JSON), `destination_not_allowed` (the
 * destination policy refuses the host or an address it resolves to).
 */
export type CrmWebhookReason = 'timeout' | 'network' | `http_${number}` | 'bad_response' | 'destination_not_allowed';

export class CrmWebhookError extends Error {
  /** The attempts made, the last one included. */
  attempts = 1;

  constructor(
    readonly reason: CrmWebhookReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CrmWebhookError';
  }

  /** The HTTP status of an `http_<status>` failure, else null. */
  get status(): number | null {
    return this.reason.startsWith('http_') ? Number(this.reason.slice(5)) : null;
  }

  /** Network errors, timeouts, 429 and 5xx may pass on a later attempt. */
  get retryable(): boolean {
    const s = this.status;
    return this.reason === 'timeout' || this.reason === 'network' || s === 429 || (s !== null && s >= 500);
  }
}

/** The largest answer read, in bytes; a ticket id needs far less. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The answer's body as text, at most MAX_ANSWER_BYTES (more is a bad response). */
async function readAnswer(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => {});
      throw new CrmWebhookError('bad_response', `CRM webhook answer larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The ticket id of a 2xx answer's body. */
function ticketIdOf(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CrmWebhookError('bad_response', 'CRM webhook answer is not JSON');
  }
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const answer = json as Record<string, unknown>;
    for (const key of ['id', 'ticketId', 'ticket_id']) {
      const v = answer[key];
      if (typeof v === 'string' && v.trim() !== '') return v;
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    }
  }
  throw new CrmWebhookError('bad_response', 'CRM webhook answer has no ticket id (id, ticketId or ticket_id)');
}

/** A failure of fetch or of reading the answer, as a CrmWebhookError. */
function asWebhookError(err: unknown, timeoutMs: number): CrmWebhookError {
  if (err instanceof CrmWebhookError) return err;
  const refused = err instanceof DestinationRefused ? err : (err as { cause?: unknown })?.cause;
  if (refused instanceof DestinationRefused) return new CrmWebhookError('destination_not_allowed', `CRM webhook not called: ${refused.message}`, { cause: refused });
  if ((err as { name?: string })?.name === 'TimeoutError') {
    return new CrmWebhookError('timeout', `CRM webhook did not answer within ${timeoutMs} ms`, { cause: err });
  }
  const detail = (err as { cause?: { code?: string } })?.cause?.code ?? (err as Error)?.message ?? String(err);
  return new CrmWebhookError('network', `CRM webhook unreachable: ${detail}`, { cause: err });
}

/**
 * Posts `ticket` to the CRM webhook `url`, signed with `secret`, and answers the CRM's ticket id.
 * @throws CrmWebhookError after the last attempt (or the first that cannot pass on a retry)
 */
export async function postTicket(opts: PostTicketOptions): Promise<{ ticketId: string }> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const retries = opts.retries ?? 2;
  const now = opts.now ?? Date.now;
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch (err) {
    throw new CrmWebhookError('network', 'CRM webhook URL is not a URL', { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CrmWebhookError('network', 'CRM webhook URL is not http(s)');
  try {
    opts.destinations.checkName(url.hostname);
  } catch (err) {
    throw asWebhookError(err, timeoutMs);
  }

  const body = JSON.stringify(opts.ticket);
  const idempotencyKey = randomUUID();

  let attempts = 0;
  const attempt = async (attemptNumber: number): Promise<{ ticketId: string }> => {
    attempts = attemptNumber;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': 'Switchplane-CRM-Webhook/1',
          [IDEMPOTENCY_HEADER]: idempotencyKey,
          [SIGNATURE_HEADER]: signatureHeader(opts.secret, Math.floor(now() / 1000), body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher,
      });
      if (res.status < 200 || res.status > 299) {
        await res.body?.cancel().catch(() => {});
        throw new CrmWebhookError(`http_${res.status}`, `CRM webhook answered HTTP ${res.status}`);
      }
      return { ticketId: ticketIdOf(await readAnswer(res)) };
    } catch (err) {
      const e = asWebhookError(err, timeoutMs);
      // p-retry would also give up on a TypeError that is not a network error; ours are never TypeErrors.
      throw e.retryable ? e : new AbortError(e);
    }
  };

  const dispatcher = new Agent({ connect: { lookup: opts.destinations.lookup } });
  try {
    return await pRetry(attempt, { retries, factor: 2, minTimeout: 200, maxTimeout: 1000, randomize: true });
  } catch (err) {
    const e = asWebhookError(err, timeoutMs);
    e.attempts = Math.max(attempts, 1);
    throw e;
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
}
