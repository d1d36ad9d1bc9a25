/**
 * A customer's webhook endpoint on loopback for tests: records every request (headers, raw body,
 * arrival time) and answers what `answer` says (default 200), optionally after a delay. Verifies
 * X-Switchplane-Signature as a receiver should (src/http/webhook-signature.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_TOLERANCE_SECONDS } from '../../src/http/webhook-signature.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Wait before answering, ms. */
  delayMs?: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  base: string;
  received: Received[];
  /** What the next requests are answered; called per request with the requests so far. */
  answer: (req: Received, index: number) => Answer;
  close(): Promise<void>;
}

export async function webhookReceiver(): Promise<WebhookReceiver> {
  const timers = new Set<NodeJS.Timeout>();
  const receiver: WebhookReceiver = { base: '', received: [], answer: () => ({ status: 200 }), close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got: Received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      receiver.received.push(got);
      const a = receiver.answer(got, receiver.received.length - 1);
      const send = () => {
        if (!res.destroyed) res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end('{}');
      };
      if (a.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, a.delayMs);
        timers.add(timer);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = async () => {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}

/**
 * Whether `r` carries a valid X-Switchplane-Signature for `secret`: one `v1` equal (in constant
 * time) to HMAC-SHA256(secret, "<t>.<raw body>"), `t` within the tolerance of `nowSeconds`.
 */
export function signatureVerifies(r: Received, secret: string, nowSeconds = Date.now() / 1000): boolean {
  const header = String(r.headers['x-switchplane-signature'] ?? '');
  const pairs = header.split(',').map((p) => p.split('=') as [string, string]);
  const t = Number(pairs.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${r.body}`, 'utf8').digest();
  return pairs.some(([k, v]) => k === 'v1' && v.length === 64 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}
