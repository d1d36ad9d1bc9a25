/**
 * The W3 Suite guide's extension fields `provisioningStatus` and `encryptionEnabled` through the
 * extension API: set on create and update, stored, validated, returned by every extension answer.
 * The guide's flow: W3 Suite creates the extension, the provisioning side confirms, W3 Suite sets
 * `provisioningStatus: "provisioned"`; its troubleshooting reads `provisioningStatus: "pending"`.
 */
import t from 'tap';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';

const EXT = '/api/v1/extensions';

for (const backend of backends) {
  t.test(`${backend.name}: extension provisioningStatus and encryptionEnabled`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const row = (id: string) =>
      ctx.store.withTenant(keys.acmeId, (trx) => trx.selectFrom('extensions').select(['provisioning_status', 'encryption_enabled']).where('id', '=', id).executeTakeFirstOrThrow());
    let giovanni = '';

    t.test('created without them: provisioned (the directory serves it at once) and no SRTP requirement', async (t) => {
      const res = await call(app, keys.acme, 'POST', EXT, { extensionNumber: '1006', displayName: 'Paola Neri' });
      t.equal(res.status, 201);
      t.match(res.body.data, { provisioningStatus: 'provisioned', encryptionEnabled: false });
      t.same(await row(res.body.data.id), { provisioning_status: 'provisioned', encryption_enabled: false });
      const demo = (await call(app, keys.acme, 'GET', EXT)).body.data as Array<{ provisioningStatus: string; encryptionEnabled: boolean }>;
      t.ok(demo.length >= 3 && demo.every((e) => e.provisioningStatus === 'provisioned' && e.encryptionEnabled === false), 'the listed extensions carry both fields');
    });

    t.test("the guide's create body with provisioningStatus pending and encryptionEnabled true: stored and returned", async (t) => {
      const res = await call(app, keys.acme, 'POST', EXT, {
        userId: 'user-id', extensionNumber: '1005', sipUsername: 'user1005', displayName: 'Giovanni Bianchi', email: 'giovanni.bianchi@example.com',
        callerIdName: 'Giovanni Bianchi', callerIdNumber: '+390512345679', voicemailEnabled: true, voicemailPin: '1234', maxConcurrentCalls: 4,
        provisioningStatus: 'pending', encryptionEnabled: true,
      });
      t.equal(res.status, 201);
      t.match(res.body.data, { extensionNumber: '1005', sipUsername: 'user1005', provisioningStatus: 'pending', encryptionEnabled: true });
      giovanni = res.body.data.id;
      t.same(await row(giovanni), { provisioning_status: 'pending', encryption_enabled: true });
      t.match((await call(app, keys.acme, 'GET', `${EXT}/${giovanni}`)).body.data, { provisioningStatus: 'pending', encryptionEnabled: true });
    });

    t.test('the provisioning side confirms: PATCH provisioningStatus provisioned, then failed, each audited', async (t) => {
      const res = await call(app, keys.acme, 'PATCH', `${EXT}/${giovanni}`, { provisioningStatus: 'provisioned' });
      t.equal(res.status, 200);
      t.match(res.body.data, { provisioningStatus: 'provisioned', encryptionEnabled: true }, 'the other field unchanged');
      const listed = (await call(app, keys.acme, 'GET', EXT)).body.data.find((e: { id: string }) => e.id === giovanni);
      t.equal(listed.provisioningStatus, 'provisioned');
      const put = await call(app, keys.acme, 'PUT', `${EXT}/${giovanni}`, { provisioningStatus: 'failed', encryptionEnabled: false });
      t.match(put.body.data, { provisioningStatus: 'failed', encryptionEnabled: false });
      t.same(await row(giovanni), { provisioning_status: 'failed', encryption_enabled: false });
      const audit = await ctx.store.withTenant(keys.acmeId, (trx) =>
        trx.selectFrom('audit_log').select(['action', 'before', 'after']).where('resource_type', '=', 'extension').where('resource_id', '=', giovanni).orderBy('id').execute());
      t.same(audit.map((a) => a.action), ['create', 'update', 'update']);
      t.match(audit[1], { before: { provisioning_status: 'pending' }, after: { provisioning_status: 'provisioned' } });
      t.match(audit[2], { before: { provisioning_status: 'provisioned', encryption_enabled: true }, after: { provisioning_status: 'failed', encryption_enabled: false } });
    });

    t.test('values outside the guide are 400 naming the field; nothing changes', async (t) => {
      for (const [body, field] of [
        [{ provisioningStatus: 'done' }, 'provisioningStatus'],
        [{ provisioningStatus: 'Provisioned' }, 'provisioningStatus'],
        [{ provisioningStatus: null }, 'provisioningStatus'],
        [{ encryptionEnabled: 'sometimes' }, 'encryptionEnabled'],
        [{ encryptionEnabled: 2 }, 'encryptionEnabled'],
      ] as const) {
        const res = await call(app, keys.acme, 'PATCH', `${EXT}/${giovanni}`, body);
        t.equal(res.status, 400, JSON.stringify(body));
        t.match(res.body.error, { code: 'validation_failed', field }, JSON.stringify(body));
      }
      const created = await call(app, keys.acme, 'POST', EXT, { extensionNumber: '1007', provisioningStatus: 'active' });
      t.equal(created.status, 400);
      t.match(created.body.error, { field: 'provisioningStatus' });
      t.same(await row(giovanni), { provisioning_status: 'failed', encryption_enabled: false });
    });

    t.test("another customer neither sees nor sets them on Acme's extension", async (t) => {
      t.equal((await call(app, keys.globex, 'PATCH', `${EXT}/${giovanni}`, { provisioningStatus: 'provisioned' })).status, 404);
      t.same(await row(giovanni), { provisioning_status: 'failed', encryption_enabled: false });
    });
  });
}
