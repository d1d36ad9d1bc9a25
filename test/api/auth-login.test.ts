/**
 * Logging in and out with the session cookie (src/api/auth-routes.ts, src/api/session.ts): the
 * demo logins, wrong and unknown credentials answered alike, disabled logins, the cookie's
 * attributes, logout, the session as API authentication beside Bearer keys, and CSRF.
 */
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { login, loginCall, sessionCall, sessionCookie } from '../helpers/sessions.js';

for (const backend of backends) {
  t.test(`${backend.name}: login, logout and the session cookie`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const { app } = ctx;
    const keys = await demoKeys(ctx.store);

    t.test('a demo admin logs in: SessionUser, CSRF token and an HttpOnly SameSite=Lax cookie', async (t) => {
      const res = await loginCall(app, 'Admin@Acme.Switchplane.test', 'acme-admin-demo');
      t.equal(res.status, 200);
      t.match(res.body.data.user, { email: 'admin@acme.switchplane.test', name: 'Acme Admin', role: 'admin', tenantId: keys.acmeId, tenantName: 'Acme Corp', extensionId: null, extension: null });
      t.type(res.body.data.csrfToken, 'string');
      const setCookie = String(res.headers['set-cookie']);
      t.match(setCookie, /^sp_session=[^;]+;/);
      t.match(setCookie, /HttpOnly/);
      t.match(setCookie, /SameSite=Lax/);
      t.match(setCookie, /Path=\//);
      t.notMatch(setCookie, /Secure/, 'plain HTTP: not Secure');
      const stored = await ctx.store.withOperator((trx) => trx.selectFrom('user_sessions').select(['id_hash', 'data']).execute());
      const sessionId = decodeURIComponent(sessionCookie(res.headers)!.split('=')[1]!).split('.')[0]!;
      t.ok(stored.length >= 1);
      t.notOk(stored.some((s) => s.id_hash.includes(sessionId) || JSON.stringify(s.data).includes(sessionId)), 'the session id itself is not stored');
      const lastLogin = await ctx.store.withOperator((trx) => trx.selectFrom('users').select('last_login_at').where('email', '=', 'admin@acme.switchplane.test').executeTakeFirstOrThrow());
      t.ok(lastLogin.last_login_at);
    });

    t.test('X-Forwarded-Proto alone does not make the cookie Secure (no proxy is trusted)', async (t) => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'admin@globex.switchplane.test', password: 'globex-admin-demo' }, headers: { 'x-forwarded-proto': 'https' } });
      t.equal(res.statusCode, 200);
      t.notMatch(String(res.headers['set-cookie']), /Secure/, 'a forwarded header alone does not make the cookie Secure');
    });

    t.test('behind a proxy TRUST_PROXY names, X-Forwarded-Proto: https makes the cookie Secure', async (t) => {
      const proxied = await demoApp(backend, { TRUST_PROXY: '127.0.0.1' });
      t.teardown(proxied.close);
      const res = await proxied.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'admin@globex.switchplane.test', password: 'globex-admin-demo' }, headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' } });
      t.equal(res.statusCode, 200);
      t.match(String(res.headers['set-cookie']), /; Secure/);
      t.match(String(res.headers['set-cookie']), /SameSite=Lax/);
    });

    t.test('an agent logs in with its linked extension', async (t) => {
      const s = await login(app, 'agent@acme.switchplane.test', 'acme-agent-demo');
      t.match(s.user, { role: 'agent', extension: '1001', tenantName: 'Acme Corp' });
      t.type(s.user.extensionId, 'string');
    });

    t.test('a wrong password and an unknown email get the same 401', async (t) => {
      const wrong = await loginCall(app, 'admin@acme.switchplane.test', 'not-the-password', '10.1.0.1');
      const unknown = await loginCall(app, 'nobody@acme.switchplane.test', 'not-the-password', '10.1.0.2');
      t.equal(wrong.status, 401);
      t.equal(unknown.status, 401);
      t.same(wrong.body, unknown.body);
      t.same(wrong.body.error, { code: 'invalid_credentials', message: 'the email or the password is wrong' });
      t.notOk(sessionCookie(wrong.headers), 'no cookie on a failed login');
    });

    t.test('GET /auth/session answers the person and a CSRF token, or 401', async (t) => {
      const s = await login(app, 'admin@acme.switchplane.test', 'acme-admin-demo');
      const me = await sessionCall(app, s, 'GET', '/api/v1/auth/session');
      t.equal(me.status, 200);
      t.equal(me.body.data.user.email, 'admin@acme.switchplane.test');
      t.type(me.body.data.csrfToken, 'string');
      const none = await call(app, null, 'GET', '/api/v1/auth/session');
      t.equal(none.status, 401);
      t.equal(none.body.error.code, 'unauthorized');
    });

    t.test('the session authenticates the API; writes need the CSRF token; Bearer keys need none', async (t) => {
      const s = await login(app, 'admin@acme.switchplane.test', 'acme-admin-demo');
      const list = await sessionCall(app, s, 'GET', '/api/v1/extensions');
      t.equal(list.status, 200);
      t.ok(list.body.data.some((e: { extensionNumber: string }) => e.extensionNumber === '1001'));
      const noToken = await sessionCall(app, s, 'POST', '/api/v1/extensions', { extensionNumber: '1401' }, { csrf: false });
      t.equal(noToken.status, 403);
      t.equal(noToken.body.error.code, 'csrf_invalid');
      const badToken = await sessionCall(app, { ...s, csrfToken: 'forged' }, 'POST', '/api/v1/extensions', { extensionNumber: '1401' });
      t.equal(badToken.status, 403);
      t.equal(badToken.body.error.code, 'csrf_invalid');
      const ok = await sessionCall(app, s, 'POST', '/api/v1/extensions', { extensionNumber: '1401' });
      t.equal(ok.status, 201);
      const audit = await ctx.store.withOperator((trx) => trx.selectFrom('audit_log').select('actor').where('resource_id', '=', ok.body.data.id).executeTakeFirstOrThrow());
      t.equal(audit.actor, 'user (admin@acme.switchplane.test)');
      const bearer = await call(app, keys.acme, 'POST', '/api/v1/extensions', { extensionNumber: '1402' });
      t.equal(bearer.status, 201, 'a Bearer key writes without a CSRF token');
      const bearerWithCookie = await call(app, keys.globex, 'GET', '/api/v1/extensions', undefined, { cookie: s.cookie });
      t.ok(bearerWithCookie.body.data.every((e: { extensionNumber: string }) => !['1401', '1402'].includes(e.extensionNumber)), 'the Bearer key wins over the cookie');
    });

    t.test('an agent gets 403 on admin routes', async (t) => {
      const agent = await login(app, 'agent@acme.switchplane.test', 'acme-agent-demo');
      t.equal((await sessionCall(app, agent, 'GET', '/api/v1/trunks')).status, 403);
      t.equal((await sessionCall(app, agent, 'GET', '/api/v1/users')).status, 403);
      t.equal((await sessionCall(app, agent, 'POST', '/api/v1/users', { email: 'x@acme.switchplane.test', name: 'X', role: 'agent' })).status, 403);
      t.equal((await sessionCall(app, agent, 'GET', '/api/v1/customers')).status, 403);
    });

    t.test('logout ends the session (with its CSRF token)', async (t) => {
      const s = await login(app, 'admin@globex.switchplane.test', 'globex-admin-demo');
      const refused = await sessionCall(app, s, 'POST', '/api/v1/auth/logout', undefined, { csrf: false });
      t.equal(refused.status, 403);
      const out = await sessionCall(app, s, 'POST', '/api/v1/auth/logout');
      t.equal(out.status, 204);
      t.equal((await sessionCall(app, s, 'GET', '/api/v1/extensions')).status, 401);
      t.equal((await sessionCall(app, s, 'GET', '/api/v1/auth/session')).status, 401);
      t.equal((await call(app, null, 'POST', '/api/v1/auth/logout')).status, 204, 'logging out without a session is fine');
    });

    t.test('a disabled login is refused at login, and its open session stops at once', async (t) => {
      const admin = await login(app, 'admin@globex.switchplane.test', 'globex-admin-demo');
      const agent = await login(app, 'agent@globex.switchplane.test', 'globex-agent-demo');
      t.equal((await sessionCall(app, agent, 'GET', '/api/v1/auth/session')).status, 200);
      const disabled = await sessionCall(app, admin, 'PATCH', `/api/v1/users/${agent.user.id}`, { status: 'disabled' });
      t.equal(disabled.status, 200);
      t.equal(disabled.body.data.status, 'disabled');
      t.equal((await sessionCall(app, agent, 'GET', '/api/v1/auth/session')).status, 401);
      t.equal((await sessionCall(app, agent, 'GET', '/api/v1/cdrs')).status, 401);
      const again = await loginCall(app, 'agent@globex.switchplane.test', 'globex-agent-demo', '10.2.0.1');
      t.equal(again.status, 401);
      t.equal(again.body.error.code, 'invalid_credentials');
    });
  });
}
