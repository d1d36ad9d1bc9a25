import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { maskSecrets } from '../../src/domain/audit-queries.js';
import { ensureOperator, OPERATOR_EMAIL } from '../../src/domain/users.js';
import { login, sessionCall } from '../helpers/sessions.js';

const PASSWORD = 'trunk-secret-Pa55word';

t.test('maskSecrets: values under secret-naming keys are ***, at any depth; the rest stays', async (t) => {
  t.same(
    maskSecrets({
      name: 'x', password_enc: '[set]', voicemail_pin_enc: null, ping_status: 'UP', ping_seconds: 30, key_prefix: 'sp_1234abcd',
      nested: { crm_webhook_secret_sealed: 'v1:abc', sipPassword: 'p', list: [{ token_hash: 'h' }, { secrets: { a: 1 } }] }, pin: '1234',
    }),
    {
      name: 'x', password_enc: '***', voicemail_pin_enc: null, ping_status: 'UP', ping_seconds: 30, key_prefix: 'sp_1234abcd',
      nested: { crm_webhook_secret_sealed: '***', sipPassword: '***', list: [{ token_hash: '***' }, { secrets: '***' }] }, pin: '***',
    },
  );
});

for (const backend of backends) {
  t.test(`${backend.name}: audit log API`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;

    const trunk = await call(app, keys.acme, 'POST', '/api/v1/trunks', { name: 'audited', host: 'sip.example.com', username: 'acme', password: PASSWORD });
    t.equal(trunk.status, 201);
    t.equal((await call(app, keys.acme, 'PATCH', `/api/v1/trunks/${trunk.body.data.id}`, { password: `${PASSWORD}-2`, port: 5080 })).status, 200);
    const ext = await call(app, keys.acme, 'POST', '/api/v1/extensions', { extensionNumber: '1777', voicemailEnabled: true, voicemailPin: '4321' });
    t.equal(ext.status, 201);
    t.equal((await call(app, keys.globex, 'POST', '/api/v1/trunks', { name: 'globex-audited', host: 'sip.example.com' })).status, 201);
    // A row as an older writer might have left it, with a secret the writer's list does not mask.
    await ctx.store.withTenant(keys.acmeId, (db) =>
      db.insertInto('audit_log').values({
        tenant_id: keys.acmeId, actor: 'scheduler node-a', action: 'recurring_call_executed', resource_type: 'recurring_call', resource_id: 'r1',
        after: JSON.stringify({ webhook: { url: 'https://crm.example/hook', secret: 'whsec_plain' }, status: 'done' }), created_at: new Date('2026-11-20T10:00:00Z'),
      }).execute());

    const list = (key: string, query = '', headers: Record<string, string> = {}, prefix = '/api/v1') => call(app, key, 'GET', `${prefix}/audit-log?${query}`, undefined, headers);

    t.test('a customer reads its own changes newest first; secrets answer ***', async (t) => {
      const res = await list(keys.acme);
      t.equal(res.status, 200);
      t.same(res.body.data.map((e: { action: string; resourceType: string }) => `${e.action} ${e.resourceType}`), ['create extension', 'update trunk', 'create trunk', 'recurring_call_executed recurring_call']);
      t.same(res.body.pagination, { page: 1, limit: 50, total: 4, pages: 1 });
      const [created, updated] = [res.body.data[2], res.body.data[1]];
      t.match(created, { actor: /^sp_[0-9a-f]{8} \(test tenant\)$/, resourceId: trunk.body.data.id, before: null, after: { name: 'audited', password_enc: '***' } });
      t.match(updated, { before: { port: 5060, password_enc: '***' }, after: { port: 5080, password_enc: '***' } });
      t.match(res.body.data[0].after, { extension: '1777', password_enc: '***', voicemail_pin_enc: '***' });
      t.same(res.body.data[3].after, { webhook: { url: 'https://crm.example/hook', secret: '***' }, status: 'done' });
      t.notOk(JSON.stringify(res.body).includes(PASSWORD), 'no password anywhere');
      t.notOk(JSON.stringify(res.body).includes('whsec_plain'), 'no webhook secret');
      t.notOk(JSON.stringify(res.body).includes('4321'), 'no voicemail PIN');
    });

    t.test('filters: actor, resourceType, action, from/to; pagination', async (t) => {
      const ids = async (query: string) => (await list(keys.acme, query)).body.data.map((e: { action: string }) => e.action);
      t.same(await ids('resourceType=trunk'), ['update', 'create']);
      t.same(await ids('action=create'), ['create', 'create']);
      t.same(await ids('actor=SCHEDULER'), ['recurring_call_executed']);
      t.same(await ids('actor=test%20tenant&resourceType=extension'), ['create']);
      t.same(await ids('from=2026-11-20T00:00:00Z&to=2026-11-21'), ['recurring_call_executed']);
      t.same(await ids('to=2026-11-20T10:00:00Z'), [], 'to is exclusive');
      const page2 = await list(keys.acme, 'limit=3&page=2');
      t.same(page2.body.pagination, { page: 2, limit: 3, total: 4, pages: 2 });
      t.equal(page2.body.data.length, 1);
      for (const [query, field] of <Array<[string, string]>>[['startDate=2026-11-01', 'startDate'], ['limit=201', 'limit'], ['from=yesterday', 'from'], ['from=2026-11-24&to=2026-11-23', 'from']]) {
        const bad = await list(keys.acme, query);
        t.equal(bad.status, 400, query);
        t.match(bad.body.error, { code: 'validation_failed', field }, query);
      }
    });

    t.test('tenancy: a read-only key reads; an admin key names the customer; another customer sees only its own', async (t) => {
      t.equal((await list(keys.acmeRead)).body.pagination.total, 4);
      const globex = await list(keys.globex);
      t.same(globex.body.data.map((e: { after: { name: string } }) => e.after.name), ['globex-audited']);
      t.equal((await list(keys.admin, '', { 'x-tenant-id': keys.acmeId })).body.pagination.total, 4);
      t.equal((await list(keys.admin, '', {}, `/api/v1/customers/${keys.globexId}`)).body.pagination.total, 1);
      t.match((await list(keys.admin)).body.error, { code: 'tenant_required' });
      t.equal((await list(keys.acme, '', {}, `/api/v1/customers/${keys.globexId}`)).status, 404);
      t.equal((await call(app, null, 'GET', '/api/v1/audit-log')).status, 401);
    });

    t.test('people: a customer admin reads its own, an operator the chosen customer\'s, an agent none', async (t) => {
      const admin = await login(app, 'admin@acme.switchplane.test', 'acme-admin-demo');
      t.equal((await sessionCall(app, admin, 'GET', '/api/v1/audit-log')).body.pagination.total, 4);
      await ensureOperator(ctx.store, 'operator-test-password');
      const operator = await login(app, OPERATOR_EMAIL, 'operator-test-password');
      const chosen = await sessionCall(app, operator, 'GET', '/api/v1/audit-log?resourceType=trunk', undefined, { headers: { 'x-tenant-id': keys.globexId } });
      t.same(chosen.body.data.map((e: { after: { name: string } }) => e.after.name), ['globex-audited']);
      const agent = await login(app, 'agent@acme.switchplane.test', 'acme-agent-demo');
      t.equal((await sessionCall(app, agent, 'GET', '/api/v1/audit-log')).status, 403);
    });
  });
}
