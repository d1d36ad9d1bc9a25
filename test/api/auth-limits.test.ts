/**
 * Login rate limits (src/api/login-limits.ts: per account and per client address, 429 with
 * Retry-After before the password is checked) and sessions shared by every instance on the
 * database (src/domain/user-sessions.ts): a session made by one app works on a second app over
 * the same database, with the same secrets key, and ends on both at logout.
 */
import t from 'tap';
import { buildApp } from '../../src/wiring/http.js';
import { createMetrics } from '../../src/metrics.js';
import { ACCOUNT_FAILURES, ADDRESS_FAILURES } from '../../src/api/login-limits.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { login, loginCall, sessionCall } from '../helpers/sessions.js';

for (const backend of backends) {
  t.test(`${backend.name}: login limits and shared sessions`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const { app } = ctx;

    t.test('an account is locked after its failures, from any address, even with the right password', async (t) => {
      for (let i = 0; i < ACCOUNT_FAILURES; i++) {
        t.equal((await loginCall(app, 'agent@globex.switchplane.test', `wrong-${i}`, `10.10.0.${i + 1}`)).status, 401);
      }
      const locked = await loginCall(app, 'AGENT@globex.switchplane.test', 'globex-agent-demo', '10.10.1.1');
      t.equal(locked.status, 429);
      t.equal(locked.body.error.code, 'rate_limited');
      t.ok(Number(locked.headers['retry-after']) > 0, 'Retry-After says when');
      t.equal((await loginCall(app, 'admin@globex.switchplane.test', 'globex-admin-demo', '10.10.1.1')).status, 200, 'other accounts still log in from there');
    });

    t.test('an address is locked after its failures over many accounts; other addresses are not', async (t) => {
      for (let i = 0; i < ADDRESS_FAILURES; i++) {
        t.equal((await loginCall(app, `guess-${i}@acme.switchplane.test`, 'wrong-password', '10.20.0.1')).status, 401);
      }
      const locked = await loginCall(app, 'admin@acme.switchplane.test', 'acme-admin-demo', '10.20.0.1');
      t.equal(locked.status, 429);
      t.ok(Number(locked.headers['retry-after']) > 0);
      t.equal((await loginCall(app, 'admin@acme.switchplane.test', 'acme-admin-demo', '10.20.0.2')).status, 200);
    });

    t.test('a success clears the account\'s failures', async (t) => {
      for (let i = 0; i < ACCOUNT_FAILURES - 1; i++) await loginCall(app, 'agent@acme.switchplane.test', 'wrong-password', '10.30.0.1');
      t.equal((await loginCall(app, 'agent@acme.switchplane.test', 'acme-agent-demo', '10.30.0.2')).status, 200);
      for (let i = 0; i < ACCOUNT_FAILURES - 1; i++) await loginCall(app, 'agent@acme.switchplane.test', 'wrong-password', '10.30.0.3');
      t.equal((await loginCall(app, 'agent@acme.switchplane.test', 'acme-agent-demo', '10.30.0.4')).status, 200);
    });

    t.test('a session made on one instance works on a second over the same database, and logout ends it on both', async (t) => {
      const second = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: createMetrics() });
      t.teardown(() => second.close());
      const s = await login(app, 'admin@acme.switchplane.test', 'acme-admin-demo');
      const there = await sessionCall(second, s, 'GET', '/api/v1/auth/session');
      t.equal(there.status, 200);
      t.equal(there.body.data.user.email, 'admin@acme.switchplane.test');
      const write = await sessionCall(second, s, 'POST', '/api/v1/extensions', { extensionNumber: '1501' });
      t.equal(write.status, 201, 'the CSRF token of the first instance is good on the second');
      t.equal((await sessionCall(second, s, 'POST', '/api/v1/auth/logout')).status, 204);
      t.equal((await sessionCall(app, s, 'GET', '/api/v1/extensions')).status, 401, 'logged out everywhere');
    });

    t.test('a session idle past its end is refused', async (t) => {
      const s = await login(app, 'admin@acme.switchplane.test', 'acme-admin-demo');
      t.equal((await sessionCall(app, s, 'GET', '/api/v1/auth/session')).status, 200);
      await ctx.store.withOperator((trx) => trx.updateTable('user_sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', s.user.id).execute());
      t.equal((await sessionCall(app, s, 'GET', '/api/v1/auth/session')).status, 401);
      t.equal((await sessionCall(app, s, 'GET', '/api/v1/extensions')).status, 401);
    });
  });
}
