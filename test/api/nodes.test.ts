/**
 * FreeSWITCH nodes through the operator API (/api/v1/nodes): an admin registers, lists, changes
 * and removes nodes; a bad field answers 4xx naming it; the event-socket password is stored
 * sealed and never answered; a tenant key may do none of it; a node's owner and HEARTBEAT
 * figures (as the owner stores them) are shown with its free sessions and health.
 */
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { writeHeartbeat } from '../../src/domain/freeswitch-nodes.js';
import { announceInstance, takeLease } from '../../src/domain/node-leases.js';

const PASSWORD = 'Secret-ESL-Password-9';

for (const backend of backends) {
  t.test(`${backend.name}: FreeSWITCH nodes`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const body = { name: 'fs-1', eslHost: '10.0.0.11', eslPort: 8021, eslPassword: PASSWORD, sipAddresses: ['10.0.0.11:5060'] };

    t.test('an admin registers a node; the password is sealed and never answered', async (t) => {
      const created = await call(app, keys.admin, 'POST', '/api/v1/nodes', body);
      t.equal(created.status, 201);
      t.match(created.body.data, { name: 'fs-1', eslHost: '10.0.0.11', eslPort: 8021, sipAddresses: ['10.0.0.11:5060'], enabled: true, owner: null, healthy: false, sessionCount: null });
      t.notOk('eslPassword' in created.body.data);
      const list = await call(app, keys.admin, 'GET', '/api/v1/nodes');
      t.equal(list.status, 200);
      t.same(list.body.data.map((n: { name: string }) => n.name), ['fs-1']);
      for (const res of [created, list, await call(app, keys.admin, 'GET', `/api/v1/nodes/${created.body.data.id}`)]) {
        t.notMatch(JSON.stringify(res.body), PASSWORD, 'no answer holds the password');
      }
      const stored = await ctx.store.withOperator((trx) => trx.selectFrom('freeswitch_nodes').select('esl_password_sealed').executeTakeFirstOrThrow());
      t.notMatch(stored.esl_password_sealed, PASSWORD);
      t.equal(ctx.secrets.open(stored.esl_password_sealed), PASSWORD, 'sealed with the secrets key');
    });

    t.test('bad input answers 4xx naming the field', async (t) => {
      const cases: Array<[object, string, number]> = [
        [{ ...body, name: 'fs 2' }, 'name', 400],
        [{ ...body, name: 'fs-2', eslPort: 70000 }, 'eslPort', 400],
        [{ ...body, name: 'fs-2', eslPort: 'x' }, 'eslPort', 400],
        [{ ...body, name: 'fs-2', eslHost: '' }, 'eslHost', 400],
        [{ name: 'fs-2', eslHost: 'h', eslPort: 8021 }, 'eslPassword', 400],
        [{ ...body, name: 'fs-2', eslPassword: 'a\nb' }, 'eslPassword', 400],
        [{ ...body, name: 'fs-2', sipAddresses: ['has space'] }, 'sipAddresses/0', 400],
        [{ ...body, name: 'fs-2', surprise: 1 }, 'surprise', 400],
        [body, 'name', 409],
      ];
      for (const [payload, field, status] of cases) {
        const res = await call(app, keys.admin, 'POST', '/api/v1/nodes', payload);
        t.equal(res.status, status, `${field}: ${status}`);
        t.match(res.body.error, { field: new RegExp(`^${field.replace('/', '.?')}`) }, `names ${field}`);
      }
      const id = (await call(app, keys.admin, 'GET', '/api/v1/nodes')).body.data[0].id;
      const patch = await call(app, keys.admin, 'PATCH', `/api/v1/nodes/${id}`, { eslPort: 0 });
      t.equal(patch.status, 400);
      t.equal(patch.body.error.field, 'eslPort');
      t.equal((await call(app, keys.admin, 'GET', '/api/v1/nodes/7a0f4b1c-0000-4000-8000-000000000000')).status, 404);
    });

    t.test('a tenant key may not see or change nodes', async (t) => {
      t.equal((await call(app, keys.acme, 'GET', '/api/v1/nodes')).status, 403);
      t.equal((await call(app, keys.acme, 'POST', '/api/v1/nodes', { ...body, name: 'fs-9' })).status, 403);
    });

    t.test('the owner and the HEARTBEAT figures are shown; changes and removal', async (t) => {
      const id = (await call(app, keys.admin, 'GET', '/api/v1/nodes')).body.data[0].id;
      await announceInstance(ctx.store, 'instance-1', 60_000);
      t.ok(await takeLease(ctx.store, id, 'instance-1', 60_000));
      await writeHeartbeat(ctx.store, 'fs-1', { sessionCount: 12, sessionPeakMax: 40, maxSessions: 1000, idleCpu: 97.5, uptimeSeconds: 3600 });
      const one = await call(app, keys.admin, 'GET', `/api/v1/nodes/${id}`);
      t.match(one.body.data, { owner: 'instance-1', sessionCount: 12, sessionPeakMax: 40, maxSessions: 1000, freeSessions: 988, idleCpu: 97.5, uptimeSeconds: 3600 });
      t.ok(one.body.data.heartbeatAt && one.body.data.ownedUntil);
      const patched = await call(app, keys.admin, 'PATCH', `/api/v1/nodes/${id}`, { eslPassword: 'new-one', enabled: false });
      t.equal(patched.status, 200);
      t.match(patched.body.data, { enabled: false, healthy: false });
      t.notMatch(JSON.stringify(patched.body), 'new-one');
      t.equal((await call(app, keys.admin, 'DELETE', `/api/v1/nodes/${id}`)).status, 204);
      t.equal((await call(app, keys.admin, 'DELETE', `/api/v1/nodes/${id}`)).status, 404);
      const leases = await ctx.store.withOperator((trx) => trx.selectFrom('node_leases').selectAll().execute());
      t.same(leases, [], 'its lease went with it');
    });
  });
}
