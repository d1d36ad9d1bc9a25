/**
 * People as a customer's admin and an operator manage them (src/api/users.ts): invite → accept →
 * log in, reset links (once, expiring), roles, linked extensions of the same customer only,
 * row-level security between customers, agents refused, operators on any customer and operator
 * logins without a customer.
 */
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { login, loginCall, sessionCall } from '../helpers/sessions.js';
import { ensureOperator, OPERATOR_EMAIL } from '../../src/domain/users.js';
import { hashToken } from '../../src/domain/user-tokens.js';

const tokenOf = (link: string) => new URL(link, 'http://portal').searchParams.get('token')!;

for (const backend of backends) {
  t.test(`${backend.name}: users`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const { app, store } = ctx;
    const keys = await demoKeys(store);
    const admin = await login(app, 'admin@acme.switchplane.test', 'acme-admin-demo');
    const ext1002 = (await call(app, keys.acme, 'GET', '/api/v1/extensions')).body.data.find((e: { extensionNumber: string }) => e.extensionNumber === '1002').id;
    const globexExt = (await call(app, keys.globex, 'GET', '/api/v1/extensions')).body.data[0].id;

    t.test('an admin invites an agent; the link sets the password and logs in; then the agent logs in', async (t) => {
      const invited = await sessionCall(app, admin, 'POST', '/api/v1/users', { email: 'Giulia@Acme.Switchplane.test', name: 'Giulia Bianchi', role: 'agent', extensionId: ext1002 });
      t.equal(invited.status, 201);
      t.match(invited.body.data.user, { email: 'giulia@acme.switchplane.test', role: 'agent', status: 'invited', extensionId: ext1002, customerId: keys.acmeId, lastLoginAt: null });
      t.match(invited.body.data.inviteLink, /^\/accept\?token=[A-Za-z0-9_-]{43}$/);
      t.notOk(JSON.stringify(invited.body).includes('password'), 'no password or hash in the answer');
      t.equal((await loginCall(app, 'giulia@acme.switchplane.test', 'whatever-password', '10.3.0.1')).status, 401, 'an invited person cannot log in yet');
      const token = tokenOf(invited.body.data.inviteLink);
      const short = await call(app, null, 'POST', '/api/v1/auth/accept', { token, password: 'short' });
      t.equal(short.status, 400);
      t.equal(short.body.error.field, 'password');
      const accepted = await call(app, null, 'POST', '/api/v1/auth/accept', { token, password: 'giulia-new-password' });
      t.equal(accepted.status, 200);
      t.match(accepted.body.data.user, { email: 'giulia@acme.switchplane.test', role: 'agent', extension: '1002' });
      const again = await call(app, null, 'POST', '/api/v1/auth/accept', { token, password: 'another-password-1' });
      t.equal(again.status, 400, 'an invite link works once');
      t.equal(again.body.error.field, 'token');
      const s = await login(app, 'giulia@acme.switchplane.test', 'giulia-new-password');
      t.equal(s.user.extension, '1002');
      const audit = await store.withOperator((trx) => trx.selectFrom('audit_log').select(['action', 'actor', 'after']).where('resource_type', '=', 'user').where('resource_id', '=', s.user.id).orderBy('created_at').execute());
      t.match(audit, [{ action: 'create', actor: 'user (admin@acme.switchplane.test)' }, { action: 'update', actor: 'user (giulia@acme.switchplane.test)' }]);
      t.notOk(JSON.stringify(audit).includes('$argon2'), 'no hash in the audit log');
    });

    t.test('a reset link works once and expires; the old password stops working', async (t) => {
      const agent = (await sessionCall(app, admin, 'GET', '/api/v1/users')).body.data.find((u: { email: string }) => u.email === 'agent@acme.switchplane.test');
      const first = await sessionCall(app, admin, 'POST', `/api/v1/users/${agent.id}/reset`);
      t.equal(first.status, 200);
      t.match(first.body.data.link, /^\/accept\?token=/);
      const second = await sessionCall(app, admin, 'POST', `/api/v1/users/${agent.id}/reset`);
      const replaced = await call(app, null, 'POST', '/api/v1/auth/accept', { token: tokenOf(first.body.data.link), password: 'agent-reset-password' });
      t.equal(replaced.status, 400, 'a newer reset link replaces the older one');
      await store.withOperator((trx) => trx.updateTable('user_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('token_hash', '=', hashToken(tokenOf(second.body.data.link))).execute());
      t.equal((await call(app, null, 'POST', '/api/v1/auth/accept', { token: tokenOf(second.body.data.link), password: 'agent-reset-password' })).status, 400, 'an expired link is refused');
      const third = await sessionCall(app, admin, 'POST', `/api/v1/users/${agent.id}/reset`);
      const row = await store.withOperator((trx) => trx.selectFrom('user_tokens').select(['purpose', 'expires_at']).where('token_hash', '=', hashToken(tokenOf(third.body.data.link))).executeTakeFirstOrThrow());
      t.equal(row.purpose, 'reset');
      t.ok(Math.abs(row.expires_at.getTime() - Date.now() - 3600_000) < 60_000, 'a reset link lasts an hour');
      const before = await login(app, 'agent@acme.switchplane.test', 'acme-agent-demo');
      t.equal((await call(app, null, 'POST', '/api/v1/auth/accept', { token: tokenOf(third.body.data.link), password: 'agent-reset-password' })).status, 200);
      t.equal((await sessionCall(app, before, 'GET', '/api/v1/auth/session')).status, 401, 'a reset ends the sessions opened before it');
      t.equal((await loginCall(app, 'agent@acme.switchplane.test', 'acme-agent-demo', '10.3.0.2')).status, 401);
      t.equal((await loginCall(app, 'agent@acme.switchplane.test', 'agent-reset-password', '10.3.0.2')).status, 200);
    });

    t.test('a customer sees only its own people; another customer\'s are 404 (row-level security)', async (t) => {
      const globexAdmin = await login(app, 'admin@globex.switchplane.test', 'globex-admin-demo');
      const list = await sessionCall(app, globexAdmin, 'GET', '/api/v1/users');
      t.equal(list.status, 200);
      t.same(list.body.data.map((u: { email: string }) => u.email).sort(), ['admin@globex.switchplane.test', 'agent@globex.switchplane.test']);
      t.equal((await sessionCall(app, globexAdmin, 'GET', `/api/v1/users/${admin.user.id}`)).status, 404);
      t.equal((await sessionCall(app, globexAdmin, 'PATCH', `/api/v1/users/${admin.user.id}`, { status: 'disabled' })).status, 404);
      t.equal((await sessionCall(app, globexAdmin, 'GET', `/api/v1/customers/${keys.acmeId}/users`)).status, 404);
      const rows = await store.withTenant(keys.globexId, (trx) => trx.selectFrom('users').select('email').execute());
      t.ok(rows.every((r) => r.email.endsWith('@globex.switchplane.test')), 'the database itself hides other customers\' people');
      const tokens = await store.withTenant(keys.globexId, (trx) => trx.selectFrom('user_tokens').select('tenant_id').execute());
      t.ok(tokens.every((r) => r.tenant_id === keys.globexId));
    });

    t.test('an agent\'s extension must be its own customer\'s; roles and fields are checked', async (t) => {
      const other = await sessionCall(app, admin, 'POST', '/api/v1/users', { email: 'x1@acme.switchplane.test', name: 'X', role: 'agent', extensionId: globexExt });
      t.equal(other.status, 404);
      t.equal(other.body.error.field, 'extensionId');
      const op = await sessionCall(app, admin, 'POST', '/api/v1/users', { email: 'x2@acme.switchplane.test', name: 'X', role: 'operator' });
      t.equal(op.status, 400);
      t.equal(op.body.error.field, 'role');
      const email = await sessionCall(app, admin, 'POST', '/api/v1/users', { email: 'not-an-email', name: 'X', role: 'agent' });
      t.equal(email.status, 400);
      t.equal(email.body.error.field, 'email');
      const taken = await sessionCall(app, admin, 'POST', '/api/v1/users', { email: 'ADMIN@globex.switchplane.test', name: 'X', role: 'agent' });
      t.equal(taken.status, 409, 'emails are unique across customers, without case');
      t.equal(taken.body.error.field, 'email');
      const self = await sessionCall(app, admin, 'PATCH', `/api/v1/users/${admin.user.id}`, { status: 'disabled' });
      t.equal(self.status, 409);
      const promote = await sessionCall(app, admin, 'POST', '/api/v1/users', { email: 'x3@acme.switchplane.test', name: 'Second Admin', role: 'agent' });
      const changed = await sessionCall(app, admin, 'PATCH', `/api/v1/users/${promote.body.data.user.id}`, { role: 'admin', name: 'Second Admin!', extensionId: ext1002 });
      t.equal(changed.status, 200);
      t.match(changed.body.data, { role: 'admin', name: 'Second Admin!', extensionId: ext1002 });
      t.equal((await sessionCall(app, admin, 'PATCH', `/api/v1/users/${promote.body.data.user.id}`, { status: 'active' })).status, 409, 'an invited person is activated by its link only');
      t.equal((await sessionCall(app, admin, 'DELETE', `/api/v1/users/${promote.body.data.user.id}`)).status, 204);
      t.equal((await sessionCall(app, admin, 'GET', `/api/v1/users/${promote.body.data.user.id}`)).status, 404);
    });

    t.test('an operator manages any customer\'s people and the operators', async (t) => {
      const password = await ensureOperator(store, undefined);
      t.type(password, 'string');
      t.equal(await ensureOperator(store, undefined), null, 'generated once');
      const op = await login(app, OPERATOR_EMAIL, password!);
      t.match(op.user, { role: 'operator', tenantId: null, tenantName: null });
      const acme = await sessionCall(app, op, 'GET', `/api/v1/customers/${keys.acmeId}/users`);
      t.equal(acme.status, 200);
      t.ok(acme.body.data.some((u: { email: string }) => u.email === 'admin@acme.switchplane.test'));
      const globex = await sessionCall(app, op, 'POST', '/api/v1/users', { email: 'boss@globex.switchplane.test', name: 'Boss', role: 'admin' }, { headers: { 'x-tenant-id': keys.globexId } });
      t.equal(globex.status, 201);
      t.equal(globex.body.data.user.customerId, keys.globexId);
      const trunks = await sessionCall(app, op, 'GET', '/api/v1/trunks', undefined, { headers: { 'x-tenant-id': keys.globexId } });
      t.equal(trunks.status, 200, 'an operator reads any customer\'s resources');
      const operators = await sessionCall(app, op, 'GET', '/api/v1/users');
      t.same(operators.body.data.map((u: { email: string }) => u.email), [OPERATOR_EMAIL]);
      const second = await sessionCall(app, op, 'POST', '/api/v1/users', { email: 'ops2@switchplane.local', name: 'Second Operator', role: 'operator' });
      t.equal(second.status, 201);
      t.match(second.body.data.user, { role: 'operator', customerId: null, status: 'invited' });
      const agentNoCustomer = await sessionCall(app, op, 'POST', '/api/v1/users', { email: 'ops3@switchplane.local', name: 'X', role: 'agent' });
      t.equal(agentNoCustomer.status, 400);
      t.equal((await sessionCall(app, admin, 'GET', `/api/v1/users/${second.body.data.user.id}`)).status, 404, 'a customer admin does not see operators');
      t.equal(await ensureOperator(store, 'configured-operator-pw'), null);
      t.equal((await loginCall(app, OPERATOR_EMAIL, 'configured-operator-pw', '10.4.0.1')).status, 200, 'OPERATOR_PASSWORD sets the password');
    });

    t.test('an admin API key manages people too; a read-only key only reads', async (t) => {
      t.equal((await call(app, keys.acmeRead, 'GET', '/api/v1/users')).status, 200);
      t.equal((await call(app, keys.acmeRead, 'POST', '/api/v1/users', { email: 'r@acme.switchplane.test', name: 'R', role: 'agent' })).status, 403);
      const byKey = await call(app, keys.admin, 'POST', `/api/v1/customers/${keys.acmeId}/users`, { email: 'k@acme.switchplane.test', name: 'K', role: 'agent' });
      t.equal(byKey.status, 201);
    });
  });
}
