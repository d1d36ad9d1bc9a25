/**
 * The demo logins (src/seed/demo-users.ts): made with the demo tenants, added to demo tenants of
 * an older data directory that have no login, never twice, and printed as the first start does.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/domain/secrets.js';
import { seedDemo } from '../../src/seed/demo.js';
import { demoLoginsText, seedDemoUsers } from '../../src/seed/demo-users.js';
import { verifyPassword } from '../../src/domain/passwords.js';
import { backends } from '../helpers/backends.js';

for (const backend of backends) {
  t.test(`${backend.name}: demo logins`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    const first = await seedDemo(store, new SecretBox(randomBytes(32)));
    t.same(first.tenants, ['acme', 'globex']);
    t.same(first.logins.map((l) => `${l.email} ${l.role} ${l.extension}`).sort(), [
      'admin@acme.switchplane.test admin null',
      'admin@globex.switchplane.test admin null',
      'agent@acme.switchplane.test agent 1001',
      'agent@globex.switchplane.test agent 1001',
    ]);
    const agent = await store.withOperator((trx) => trx.selectFrom('users').select(['password_hash', 'extension_id', 'status']).where('email', '=', 'agent@acme.switchplane.test').executeTakeFirstOrThrow());
    t.equal(agent.status, 'active');
    t.ok(agent.extension_id, 'the agent is linked to extension 1001');
    t.ok(await verifyPassword(agent.password_hash, 'acme-agent-demo'));
    t.match(agent.password_hash, /^\$argon2id\$/);

    const again = await seedDemo(store, new SecretBox(randomBytes(32)));
    t.same(again, { tenants: [], logins: [] }, 'nothing is made twice');

    // A data directory from before logins: the demo tenants are there, their logins are not.
    await store.withOperator((trx) => trx.deleteFrom('users').where('email', 'like', '%@globex.switchplane.test').execute());
    const added = await seedDemoUsers(store);
    t.same(added.map((l) => l.email).sort(), ['admin@globex.switchplane.test', 'agent@globex.switchplane.test']);
    t.same(await seedDemoUsers(store), []);

    const text = demoLoginsText('http://localhost:8080', added);
    t.match(text, /^Portal: http:\/\/localhost:8080 — log in as/);
    t.match(text, /admin@globex\.switchplane\.test \/ globex-admin-demo {2}\(admin of Globex\)/);
    t.match(text, /agent@globex\.switchplane\.test \/ globex-agent-demo {2}\(agent of Globex, extension 1001\)/);
  });
}
