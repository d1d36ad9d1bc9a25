/**
 * A customer's admin, logged in, manages its own customer's API keys (the portal's API keys page):
 * it lists, creates and revokes them; it cannot see or revoke another customer's keys, nor create a
 * platform-wide or admin key; an agent cannot manage keys at all.
 */
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { login, sessionCall } from '../helpers/sessions.js';

for (const backend of backends) {
  t.test(`${backend.name}: a customer admin's own API keys`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(() => ctx.close());
    const keys = await demoKeys(ctx.store);
    const admin = await login(ctx.app, 'admin@acme.switchplane.test', 'acme-admin-demo');
    const agent = await login(ctx.app, 'agent@acme.switchplane.test', 'acme-agent-demo');
    const globexKey = await call(ctx.app, keys.admin, 'POST', '/api/v1/api-keys', { name: 'globex crm', customerId: keys.globexId, scopes: ['tenant'] });
    t.equal(globexKey.status, 201);

    const created = await sessionCall(ctx.app, admin, 'POST', '/api/v1/api-keys', { name: 'acme crm', scopes: ['tenant:read'] });
    t.equal(created.status, 201, 'created without naming the customer');
    t.equal(created.body.data.customerId, keys.acmeId, 'held to its own customer');
    t.match(created.body.data.key, /^sp_[0-9a-f]{8}_/, 'the key is shown once');
    t.equal((await call(ctx.app, created.body.data.key, 'GET', '/api/v1/trunks')).status, 200, 'the new key works on its customer');

    const listed = await sessionCall(ctx.app, admin, 'GET', '/api/v1/api-keys');
    t.equal(listed.status, 200);
    t.ok(listed.body.data.length >= 1);
    t.ok(listed.body.data.every((k: { customerId: string }) => k.customerId === keys.acmeId), 'only its own customer\'s keys are listed');
    t.notOk(listed.body.data.some((k: { id: string }) => k.id === globexKey.body.data.id), 'another customer\'s key is not listed');
    t.equal((await sessionCall(ctx.app, admin, 'GET', `/api/v1/api-keys?customerId=${keys.globexId}`)).status, 404, 'naming another customer is 404');

    t.equal((await sessionCall(ctx.app, admin, 'POST', '/api/v1/api-keys', { name: 'x', customerId: keys.globexId, scopes: ['tenant'] })).status, 404, 'no key for another customer');
    const adminScope = await sessionCall(ctx.app, admin, 'POST', '/api/v1/api-keys', { name: 'x', scopes: ['admin'] });
    t.equal(adminScope.status, 400, 'no admin key');
    t.equal(adminScope.body.error.field, 'scopes');

    t.equal((await sessionCall(ctx.app, admin, 'DELETE', `/api/v1/api-keys/${globexKey.body.data.id}`)).status, 404, 'another customer\'s key cannot be revoked');
    t.equal((await call(ctx.app, globexKey.body.data.key, 'GET', '/api/v1/trunks')).status, 200, 'and still works');
    const revoked = await sessionCall(ctx.app, admin, 'DELETE', `/api/v1/api-keys/${created.body.data.id}`);
    t.equal(revoked.status, 200);
    t.ok(revoked.body.data.revokedAt);
    t.equal((await call(ctx.app, created.body.data.key, 'GET', '/api/v1/trunks')).status, 401, 'a revoked key stops at once');

    for (const [method, url] of [['GET', '/api/v1/api-keys'], ['POST', '/api/v1/api-keys'], ['DELETE', `/api/v1/api-keys/${globexKey.body.data.id}`]] as const) {
      const res = await sessionCall(ctx.app, agent, method, url, method === 'POST' ? { name: 'x', scopes: ['tenant'] } : undefined);
      t.equal(res.status, 403, `an agent: ${method} ${url.replace(/[0-9a-f-]{36}/, '{id}')} is 403`);
    }
    const tenantKey = await call(ctx.app, keys.acme, 'GET', '/api/v1/api-keys');
    t.equal(tenantKey.status, 403, 'a tenant API key does not manage keys');
  });
}
