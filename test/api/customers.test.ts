import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { ensureAdminKey, generateApiKey } from '../../src/domain/api-keys.js';

for (const backend of backends) {
  t.test(`${backend.name}: customers and API keys`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;

    t.test('an admin creates a customer; bad fields are named', async (t) => {
      const created = await call(app, keys.admin, 'POST', '/api/v1/customers', { name: 'Initech S.p.A.', sipDomain: 'Initech.Switchplane.test', timezone: 'Europe/Madrid' });
      t.equal(created.status, 201);
      t.match(created.body.data, { name: 'Initech S.p.A.', slug: 'initech-s-p-a', sipDomain: 'initech.switchplane.test', timezone: 'Europe/Madrid', maxConcurrentCalls: 10, status: 'active' });
      const dup = await call(app, keys.admin, 'POST', '/api/v1/customers', { name: 'Other', sipDomain: 'initech.switchplane.test' });
      t.equal(dup.status, 409);
      t.match(dup.body.error, { code: 'conflict', field: 'sipDomain' });
      const badZone = await call(app, keys.admin, 'POST', '/api/v1/customers', { name: 'X', sipDomain: 'x.switchplane.test', timezone: 'Mars/Olympus' });
      t.equal(badZone.status, 400);
      t.match(badZone.body.error, { code: 'validation_failed', field: 'timezone' });
      const missing = await call(app, keys.admin, 'POST', '/api/v1/customers', { name: 'X' });
      t.equal(missing.status, 400);
      t.match(missing.body.error, { code: 'validation_failed', field: 'sipDomain' });
      const badDomain = await call(app, keys.admin, 'POST', '/api/v1/customers', { name: 'X', sipDomain: 'bad_domain${x}' });
      t.match(badDomain.body.error, { field: 'sipDomain' });
      const audit = await ctx.store.withOperator((trx) => trx.selectFrom('audit_log').selectAll().where('resource_id', '=', created.body.data.id).execute());
      t.equal(audit.length, 1);
      t.match(audit[0], { action: 'create', resource_type: 'customer', actor: /^sp_[0-9a-f]{8} \(/ });
    });

    t.test('a tenant key sees only its own customer; another is a 404; it cannot create or suspend', async (t) => {
      const own = await call(app, keys.acme, 'GET', `/api/v1/customers/${keys.acmeId}`);
      t.equal(own.status, 200);
      t.equal(own.body.data.sipDomain, 'acme.switchplane.test');
      const other = await call(app, keys.acme, 'GET', `/api/v1/customers/${keys.globexId}`);
      t.equal(other.status, 404);
      t.equal(other.body.error.code, 'not_found');
      const list = await call(app, keys.acme, 'GET', '/api/v1/customers');
      t.same(list.body.data.map((c: { id: string }) => c.id), [keys.acmeId]);
      t.equal((await call(app, keys.acme, 'POST', '/api/v1/customers', { name: 'X', sipDomain: 'y.switchplane.test' })).status, 403);
      t.equal((await call(app, keys.acme, 'POST', `/api/v1/customers/${keys.globexId}/suspend`)).status, 403);
      const all = await call(app, keys.admin, 'GET', '/api/v1/customers');
      t.ok(all.body.data.length >= 2);
    });

    t.test('an admin updates and suspends; FreeSWITCH stops finding the suspended tenant', async (t) => {
      const res = await call(app, keys.admin, 'PATCH', `/api/v1/customers/${keys.globexId}`, { maxConcurrentCalls: 7 });
      t.equal(res.status, 200);
      t.equal(res.body.data.maxConcurrentCalls, 7);
      const suspended = await call(app, keys.admin, 'POST', `/api/v1/customers/${keys.globexId}/suspend`);
      t.equal(suspended.body.data.status, 'suspended');
      t.equal((await call(app, keys.admin, 'PATCH', `/api/v1/customers/${keys.globexId}`, {})).status, 400);
      t.equal((await call(app, keys.admin, 'PATCH', '/api/v1/customers/00000000-0000-4000-8000-000000000000', { name: 'n' })).status, 404);
    });

    t.test('keys: unknown, malformed and revoked keys get 401; the key is shown once and never its hash', async (t) => {
      t.equal((await call(app, null, 'GET', '/api/v1/customers')).status, 401);
      t.equal((await call(app, 'sp_00000000_' + 'A'.repeat(43), 'GET', '/api/v1/customers')).status, 401);
      t.equal((await call(app, 'nonsense', 'GET', '/api/v1/customers')).status, 401);
      const made = await call(app, keys.admin, 'POST', '/api/v1/api-keys', { name: 'CRM', customerId: keys.acmeId, scopes: ['tenant:read'] });
      t.equal(made.status, 201);
      const key: string = made.body.data.key;
      t.match(key, /^sp_[0-9a-f]{8}_/);
      t.equal((await call(app, key, 'GET', `/api/v1/customers/${keys.acmeId}`)).status, 200);
      const listed = await call(app, keys.admin, 'GET', `/api/v1/api-keys?customerId=${keys.acmeId}`);
      const text = JSON.stringify(listed.body);
      t.notOk(text.includes(key.slice(12)), 'no key in listings');
      t.notOk(/key_?hash/i.test(text), 'no hash in listings');
      const row = listed.body.data.find((k: { id: string }) => k.id === made.body.data.id);
      t.ok(row.lastUsedAt, 'last_used_at is kept');
      t.equal((await call(app, keys.admin, 'DELETE', `/api/v1/api-keys/${made.body.data.id}`)).status, 200);
      const revoked = await call(app, key, 'GET', `/api/v1/customers/${keys.acmeId}`);
      t.equal(revoked.status, 401);
      t.equal((await call(app, keys.admin, 'POST', '/api/v1/api-keys', { name: 'x', scopes: ['tenant'] })).body.error.field, 'customerId');
      t.equal((await call(app, keys.acme, 'POST', '/api/v1/api-keys', { name: 'x', customerId: keys.acmeId, scopes: ['tenant'] })).status, 403);
    });

    t.test('the first start makes one admin key; ADMIN_API_KEY is registered as given', async (t) => {
      const first = await ensureAdminKey(ctx.store, undefined);
      t.ok(first === null, 'an admin key exists already (demoKeys), so none is generated');
      await ctx.store.withOperator((trx) => trx.updateTable('api_keys').set({ revoked_at: new Date() }).where('tenant_id', 'is', null).execute());
      const generated = await ensureAdminKey(ctx.store, undefined);
      t.match(generated, /^sp_[0-9a-f]{8}_/);
      t.equal((await call(app, generated, 'GET', '/api/v1/customers')).status, 200);
      t.equal(await ensureAdminKey(ctx.store, undefined), null, 'only once');
      const { key } = generateApiKey();
      t.equal(await ensureAdminKey(ctx.store, key), null);
      t.equal((await call(app, key, 'GET', '/api/v1/customers')).status, 200);
      await t.rejects(ensureAdminKey(ctx.store, 'short'), { name: 'ConfigError', message: /ADMIN_API_KEY/ }, 'a malformed ADMIN_API_KEY is a start-up error, printed without a stack');
    });

    t.test('the OpenAPI document lists the routes', async (t) => {
      const doc = await app.inject({ method: 'GET', url: '/docs/json' });
      t.equal(doc.statusCode, 200);
      const paths = Object.keys(JSON.parse(doc.body).paths);
      t.ok(paths.includes('/api/v1/customers/{customerId}'));
      t.ok(paths.includes('/api/v1/api-keys'));
      const page = await app.inject({ method: 'GET', url: '/docs' });
      t.ok([200, 302].includes(page.statusCode));
    });
  });
}

t.test('rate limiting per key: 429 with Retry-After; keys never reach the logs', async (t) => {
  const lines: string[] = [];
  const { Writable } = await import('node:stream');
  const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const ctx = await demoApp(backends[0]!, { API_RATE_LIMIT_PER_MINUTE: '3' }, { level: 'trace', stream });
  t.teardown(ctx.close);
  const keys = await demoKeys(ctx.store);
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await call(ctx.app, keys.acme, 'GET', `/api/v1/customers/${keys.acmeId}`)).status);
  t.same(statuses, [200, 200, 200, 429]);
  const limited = await call(ctx.app, keys.acme, 'GET', `/api/v1/customers/${keys.acmeId}`);
  t.equal(limited.body.error.code, 'rate_limited');
  t.match(limited.headers['retry-after'], /^\d+$/);
  t.equal((await call(ctx.app, keys.globex, 'GET', `/api/v1/customers/${keys.globexId}`)).status, 200, 'another key has its own budget');
  const revoked = await call(ctx.app, keys.admin, 'POST', '/api/v1/api-keys', { name: 'gone', customerId: keys.acmeId, scopes: ['tenant'] });
  await call(ctx.app, keys.admin, 'DELETE', `/api/v1/api-keys/${revoked.body.data.id}`);
  t.equal((await call(ctx.app, revoked.body.data.key, 'GET', '/api/v1/customers')).status, 401);
  t.match(lines.join(''), revoked.body.data.prefix, 'the refused key is logged by its prefix');
  const logged = lines.join('');
  for (const key of [...Object.values(keys), revoked.body.data.key as string].filter((k) => k.startsWith('sp_'))) t.notOk(logged.includes(key.slice(12)), 'no key in the logs');
});
