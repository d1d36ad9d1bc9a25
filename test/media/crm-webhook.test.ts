import t, { type Test } from 'tap';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DestinationPolicy } from '../../src/domain/destination-policy.js';
import { CrmWebhookError, postTicket, signatureHeader, type Ticket } from '../../src/media/crm-webhook.js';

const SECRET = 'whsec_0123456789abcdef0123';
/** The CRMs of these tests listen on loopback, which the operator allows here (DESTINATION_ALLOW=127.0.0.0/8). */
const LOOPBACK = new DestinationPolicy(['127.0.0.0/8']);

const ticket: Ticket = {
  subject: 'Router keeps rebooting',
  description: 'The caller says the router reboots every hour since Monday. Città: Bologna.',
  priority: 'high',
  callId: '3c1f2a4e-8f5b-4c0e-9d1a-6b2e7f9a0c11',
  tenantId: '0b7a1c52-3d4e-4f60-8a9b-1c2d3e4f5a6b',
  callerNumber: '+393331112222',
  did: '+390510510510',
};

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The receiver's own check, written from the documented scheme, not from the module's code. */
function verify(secret: string, header: string | undefined, body: string, nowSeconds: number): { ok: boolean; t: number } {
  if (!header) return { ok: false, t: NaN };
  const parts = header.split(',').map((p) => p.split('=') as [string, string]);
  const ts = Number(parts.find(([k]) => k === 't')?.[1]);
  const sigs = parts.filter(([k]) => k === 'v1').map(([, v]) => Buffer.from(v, 'hex'));
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(`${ts}.${body}`, 'utf8')).digest();
  const matches = sigs.some((s) => s.length === expected.length && timingSafeEqual(s, expected));
  return { ok: Number.isInteger(ts) && matches && Math.abs(nowSeconds - ts) <= 300, t: ts };
}

/** A CRM on 127.0.0.1:0 answering each request with `handler`; records what it received. */
async function crm(t: Test, handler: (req: Received, n: number, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      handler(r, received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/tickets`, received };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

t.test('signatureHeader is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', async (t) => {
  const header = signatureHeader('secret', 1_700_000_000, '{"a":1}');
  t.equal(header, `t=1700000000,v1=${createHmac('sha256', 'secret').update('1700000000.{"a":1}').digest('hex')}`);
  t.match(header, /^t=1700000000,v1=[0-9a-f]{64}$/);
  t.ok(verify('secret', header, '{"a":1}', 1_700_000_100).ok);
  t.notOk(verify('secret', header, '{"a":2}', 1_700_000_100).ok, 'another body does not verify');
  t.notOk(verify('other secret', header, '{"a":1}', 1_700_000_100).ok, 'another secret does not verify');
  t.notOk(verify('secret', header, '{"a":1}', 1_700_000_301).ok, 'older than 5 minutes is refused');
});

t.test('a signed JSON POST; the receiver verifies it and its id comes back', async (t) => {
  const server = await crm(t, (_req, _n, res) => json(res, 201, { id: 'TKT-1042', status: 'open' }));
  const result = await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket });
  t.same(result, { ticketId: 'TKT-1042' });
  t.equal(server.received.length, 1);
  const [req] = server.received;
  t.equal(req!.method, 'POST');
  t.match(req!.headers['content-type'], /^application\/json/);
  t.same(JSON.parse(req!.body), ticket, 'the body is the ticket');
  t.match(req!.headers['idempotency-key'], /^[0-9a-f-]{36}$/);
  const check = verify(SECRET, req!.headers['x-switchplane-signature'] as string, req!.body, Math.floor(Date.now() / 1000));
  t.ok(check.ok, 'the receiver verifies the signature with its own HMAC code');
  t.notOk(req!.body.includes(SECRET) || JSON.stringify(req!.headers).includes(SECRET), 'the secret itself is never sent');
});

t.test('the timestamp comes from `now`', async (t) => {
  const server = await crm(t, (_req, _n, res) => json(res, 200, { ticketId: 'A-1' }));
  await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket, now: () => 1_764_620_000_999 });
  const header = server.received[0]!.headers['x-switchplane-signature'] as string;
  t.match(header, /^t=1764620000,v1=[0-9a-f]{64}$/);
  t.ok(verify(SECRET, header, server.received[0]!.body, 1_764_620_010).ok);
});

t.test('a 503 then a 200 is retried once, with the same Idempotency-Key and a fresh signature', async (t) => {
  let clock = 1_764_620_000_000;
  const server = await crm(t, (_req, n, res) => (n === 1 ? json(res, 503, { error: 'busy' }) : json(res, 200, { ticket_id: 'Z-9' })));
  const result = await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket, now: () => (clock += 7000) });
  t.same(result, { ticketId: 'Z-9' });
  t.equal(server.received.length, 2, 'one retry');
  const [first, second] = server.received;
  t.equal(first!.headers['idempotency-key'], second!.headers['idempotency-key'], 'the same Idempotency-Key');
  t.equal(first!.body, second!.body, 'the same body');
  const a = verify(SECRET, first!.headers['x-switchplane-signature'] as string, first!.body, 1_764_620_010);
  const b = verify(SECRET, second!.headers['x-switchplane-signature'] as string, second!.body, 1_764_620_010);
  t.ok(a.ok && b.ok, 'both attempts verify');
  t.not(a.t, b.t, 'each attempt is signed with its own timestamp');
});

t.test('429 and 5xx are retried up to `retries` times, then the last status is the reason', async (t) => {
  const server = await crm(t, (_req, n, res) => json(res, n === 1 ? 429 : 500, {}));
  const err = await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket, retries: 2 }).catch((e: unknown) => e);
  t.type(err, CrmWebhookError);
  t.equal((err as CrmWebhookError).reason, 'http_500');
  t.equal((err as CrmWebhookError).status, 500);
  t.equal((err as CrmWebhookError).attempts, 3);
  t.equal(server.received.length, 3);
  t.notOk((err as Error).message.includes(SECRET));
});

t.test('a 400 is not retried', async (t) => {
  const server = await crm(t, (_req, _n, res) => json(res, 400, { error: 'subject required' }));
  const err = await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket }).catch((e: unknown) => e);
  t.type(err, CrmWebhookError);
  t.equal((err as CrmWebhookError).reason, 'http_400');
  t.equal((err as CrmWebhookError).attempts, 1);
  t.equal(server.received.length, 1);
});

t.test('a redirect is not followed and not retried', async (t) => {
  const server = await crm(t, (_req, _n, res) => {
    res.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' });
    res.end();
  });
  const err = await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket }).catch((e: unknown) => e);
  t.equal((err as CrmWebhookError).reason, 'http_307');
  t.equal(server.received.length, 1);
});

t.test('a server that never answers hits the per-attempt timeout', async (t) => {
  const server = await crm(t, () => {
    // never answers
  });
  const err = await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket, timeoutMs: 100, retries: 1 }).catch((e: unknown) => e);
  t.type(err, CrmWebhookError);
  t.equal((err as CrmWebhookError).reason, 'timeout');
  t.equal(server.received.length, 2, 'a timeout is retried');
  t.equal(server.received[0]!.headers['idempotency-key'], server.received[1]!.headers['idempotency-key']);
});

t.test('an answer whose body stops half-way hits the timeout too', async (t) => {
  const server = await crm(t, (_req, _n, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"id":');
  });
  const err = await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket, timeoutMs: 100, retries: 0 }).catch((e: unknown) => e);
  t.equal((err as CrmWebhookError).reason, 'timeout');
  t.equal(server.received.length, 1);
});

t.test('a refused connection is a network error, and is retried', async (t) => {
  // A port that was just listening and is closed now refuses connections.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const err = await postTicket({ destinations: LOOPBACK, url: `http://127.0.0.1:${port}/x`, secret: SECRET, ticket, retries: 1 }).catch((e: unknown) => e);
  t.type(err, CrmWebhookError);
  t.equal((err as CrmWebhookError).reason, 'network');
  t.equal((err as CrmWebhookError).attempts, 2, 'retried');
});

t.test('a 2xx answer without a ticket id is a bad response, not retried', async (t) => {
  for (const [name, send] of [
    ['no id', (res: ServerResponse) => json(res, 200, { status: 'created' })],
    ['empty id', (res: ServerResponse) => json(res, 200, { id: '' })],
    ['id of another type', (res: ServerResponse) => json(res, 200, { id: { value: 1 } })],
    ['an array', (res: ServerResponse) => json(res, 200, [{ id: 1 }])],
    ['not JSON', (res: ServerResponse) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('OK'); }],
    ['no body', (res: ServerResponse) => { res.writeHead(204); res.end(); }],
  ] as const) {
    const server = await crm(t, (_req, _n, res) => send(res));
    const err = await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket }).catch((e: unknown) => e);
    t.type(err, CrmWebhookError, name);
    t.equal((err as CrmWebhookError).reason, 'bad_response', name);
    t.equal(server.received.length, 1, `${name}: not retried`);
  }
});

t.test('ids as numbers become strings; id, ticketId and ticket_id are all read', async (t) => {
  const answers = [{ id: 4711 }, { ticketId: 12 }, { ticket_id: 0 }, { ticketId: 'CRM-7' }];
  const server = await crm(t, (_req, n, res) => json(res, 200, answers[n - 1]));
  const ids = [];
  for (let i = 0; i < answers.length; i++) ids.push((await postTicket({ destinations: LOOPBACK, url: server.url, secret: SECRET, ticket })).ticketId);
  t.same(ids, ['4711', '12', '0', 'CRM-7']);
  const keys = new Set(server.received.map((r) => r.headers['idempotency-key']));
  t.equal(keys.size, answers.length, 'each ticket has its own Idempotency-Key');
});

t.test('the destination policy holds on every connection: loopback and names resolving to it get nothing', async (t) => {
  const server = await crm(t, (_req, _n, res) => json(res, 201, { id: 'TKT-1' }));
  const port = new URL(server.url).port;
  const strict = new DestinationPolicy([], async () => [{ address: '127.0.0.1', family: 4 }]);
  const urls = [server.url, `http://localhost:${port}/t`, `http://[::1]:${port}/t`, `http://[::ffff:127.0.0.1]:${port}/t`, `http://0x7f000001:${port}/t`, `http://crm.rebind.example:${port}/t`];
  for (const url of urls) {
    const err = await postTicket({ destinations: strict, url, secret: SECRET, ticket, retries: 2 }).catch((e: unknown) => e);
    t.ok(err instanceof CrmWebhookError, url);
    t.match(err, { reason: 'destination_not_allowed', attempts: 1, retryable: false }, `${url}: ${(err as Error).message}`);
  }
  t.equal(server.received.length, 0, `0 of ${urls.length} requests reached the CRM`);

  let answer = '185.12.64.1';
  const rebinding = new DestinationPolicy([], async () => [{ address: answer, family: 4 }]);
  await rebinding.checkSaved('crm.rebind.example');
  answer = '127.0.0.1';
  const err = await postTicket({ destinations: rebinding, url: `http://crm.rebind.example:${port}/t`, secret: SECRET, ticket }).catch((e: unknown) => e);
  t.match(err, { reason: 'destination_not_allowed', message: /crm\.rebind\.example resolves to 127\.0\.0\.1/ }, 'public when saved, loopback when called: refused');
  t.equal(server.received.length, 0);

  const allowed = new DestinationPolicy(['127.0.0.0/8'], async () => [{ address: '127.0.0.1', family: 4 }]);
  t.same(await postTicket({ destinations: allowed, url: `http://crm.rebind.example:${port}/t`, secret: SECRET, ticket }), { ticketId: 'TKT-1' }, 'the connection goes to the address the policy resolved');
  t.equal(server.received.length, 1);
});
