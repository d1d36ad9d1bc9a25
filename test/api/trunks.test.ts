import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { sofiaProfiles } from '../helpers/xml.js';

const SOFIA_EXTERNAL = 'section=configuration&key_value=sofia.conf&profile=external';
const PASSWORD = 'Carrier-pass_1!';

for (const backend of backends) {
  t.test(`${backend.name}: trunks API`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const gateways = async () => sofiaProfiles(await postLookup(t, app, SOFIA_EXTERNAL))[0]!.gateways;
    const trunkRow = (id: string) => ctx.store.withLookup((db) => db.selectFrom('trunks').selectAll().where('id', '=', id).executeTakeFirst());
    const acmeTrunks = await ctx.store.withLookup(async (db) =>
      Object.fromEntries((await db.selectFrom('trunks').select(['name', 'id']).where('tenant_id', '=', keys.acmeId).execute()).map((r) => [r.name, r.id])),
    );

    t.test('a tenant creates a trunk; the password is never answered; the next sofia.conf has the gateway', async (t) => {
      const body = {
        name: 'messagenet', provider: 'Messagenet', host: 'SIP.Messagenet.IT', port: 5061, transport: 'tls',
        username: 'acme_0510', password: PASSWORD, realm: 'sip.messagenet.it', fromUser: '0510510510', fromDomain: 'sip.messagenet.it',
        register: true, expireSeconds: 600, retrySeconds: 60, pingSeconds: 30, callerIdInFrom: true, priority: 3, maxChannels: 4,
      };
      const created = await call(app, keys.acme, 'POST', '/api/v1/trunks', body);
      t.equal(created.status, 201);
      const trunk = created.body.data;
      t.match(trunk, {
        customerId: keys.acmeId, name: 'messagenet', provider: 'Messagenet', host: 'sip.messagenet.it', port: 5061, transport: 'tls',
        username: 'acme_0510', passwordSet: true, realm: 'sip.messagenet.it', fromUser: '0510510510', fromDomain: 'sip.messagenet.it',
        register: true, expireSeconds: 600, retrySeconds: 60, pingSeconds: 30, callerIdInFrom: true, priority: 3, maxChannels: 4, status: 'active',
        stats: { totalCalls: 0, successfulCalls: 0, failedCalls: 0, currentChannels: 0, registrationState: 'unknown', pingStatus: null, lastError: null, lastRegisteredAt: null },
      });
      t.equal(trunk.gatewayName, trunk.id, 'the gateway is named by the trunk id');
      t.notOk('password' in trunk, 'no password field');
      t.notOk('passwordEnc' in trunk, 'no sealed password');
      const read = await call(app, keys.acme, 'GET', `/api/v1/trunks/${trunk.id}`);
      t.equal(read.status, 200);
      t.same(read.body.data, trunk);
      const list = await call(app, keys.acme, 'GET', '/api/v1/trunks');
      t.equal(list.status, 200);
      t.same(list.body.data.map((x: { name: string }) => x.name), ['acme-main', 'acme-backup', 'messagenet'], 'in priority order');
      for (const answer of [created, read, list]) {
        const text = JSON.stringify(answer.body);
        t.notOk(text.includes(PASSWORD), 'password not in the answer');
        t.notOk(/"v1\.[\w-]+\./.test(text), 'sealed password not in the answer');
      }
      const row = await trunkRow(trunk.id);
      t.not(row!.password_enc, PASSWORD, 'stored sealed');
      t.equal(ctx.secrets.open(row!.password_enc!), PASSWORD);

      const xml = await postLookup(t, app, SOFIA_EXTERNAL);
      t.ok(xml.includes(`<gateway name="${trunk.id}"`), 'sofia.conf lists the new gateway');
      const gw = (await gateways()).find((g) => g.name === trunk.id)!;
      t.match(gw.params, {
        username: 'acme_0510', password: PASSWORD, realm: 'sip.messagenet.it', proxy: 'sip.messagenet.it:5061', register: 'true',
        'register-transport': 'tls', 'expire-seconds': '600', 'retry-seconds': '60', 'caller-id-in-from': 'true',
        'from-user': '0510510510', 'from-domain': 'sip.messagenet.it', ping: '30',
      });
    });

    t.test('defaults, IP literals and the admin path forms', async (t) => {
      const minimal = await call(app, keys.acme, 'POST', '/api/v1/trunks', { name: 'minimal', host: '203.0.113.10' });
      t.equal(minimal.status, 201);
      t.match(minimal.body.data, {
        host: '203.0.113.10', port: 5060, transport: 'udp', username: null, passwordSet: false, register: false,
        expireSeconds: 3600, retrySeconds: 30, pingSeconds: null, callerIdInFrom: false, allowAnyCallerId: false, priority: 1, maxChannels: 10, status: 'active',
      });
      const v6 = await call(app, keys.admin, 'POST', `/api/v1/customers/${keys.acmeId}/trunks`, { name: 'v6', host: '2001:DB8::10', port: 5070 });
      t.equal(v6.status, 201, 'admin with /customers/{id}/trunks');
      t.equal(v6.body.data.customerId, keys.acmeId);
      t.equal(v6.body.data.host, '[2001:db8::10]', 'IPv6 is kept bracketed in RFC 5952 form');
      t.equal((await gateways()).find((g) => g.name === v6.body.data.id)!.params.proxy, '[2001:db8::10]:5070');
      const viaHeader = await call(app, keys.admin, 'GET', '/api/v1/trunks', undefined, { 'x-tenant-id': keys.acmeId });
      t.equal(viaHeader.status, 200, 'admin with X-Tenant-ID');
      t.ok(viaHeader.body.data.some((x: { id: string }) => x.id === v6.body.data.id));
      const created = await call(app, keys.admin, 'POST', '/api/v1/trunks', { name: 'hdr', host: 'sip.example.com' }, { 'x-tenant-id': keys.acmeId });
      t.equal(created.status, 201);
      t.equal(created.body.data.customerId, keys.acmeId);
      const viaPath = await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}/trunks/${created.body.data.id}`);
      t.equal(viaPath.status, 200);
      t.equal((await call(app, keys.admin, 'GET', '/api/v1/trunks')).body.error.code, 'tenant_required');
      t.equal((await call(app, keys.admin, 'GET', '/api/v1/customers/00000000-0000-4000-8000-000000000000/trunks')).status, 404);
      t.equal((await call(app, keys.admin, 'POST', '/api/v1/customers/00000000-0000-4000-8000-000000000000/trunks', { name: 'x', host: 'sip.example.com' })).status, 404);
    });

    t.test('a read-only key reads but cannot write; a tenant key cannot use another customer path', async (t) => {
      t.equal((await call(app, keys.acmeRead, 'GET', '/api/v1/trunks')).status, 200);
      const denied = await call(app, keys.acmeRead, 'POST', '/api/v1/trunks', { name: 'ro', host: 'sip.example.com' });
      t.equal(denied.status, 403);
      t.equal((await call(app, keys.acmeRead, 'PUT', `/api/v1/trunks/${acmeTrunks['acme-backup']}`, { priority: 9 })).status, 403);
      t.equal((await call(app, keys.acmeRead, 'DELETE', `/api/v1/trunks/${acmeTrunks['acme-backup']}`)).status, 403);
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/customers/${keys.acmeId}/trunks`)).status, 404);
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/customers/${keys.acmeId}/trunks`)).status, 200, 'its own customer path works');
      const names = await ctx.store.withLookup((db) => db.selectFrom('trunks').select('name').where('name', '=', 'ro').execute());
      t.same(names, []);
    });

    t.test('validation errors name the field and store nothing', async (t) => {
      const base = { name: 'bad', host: 'sip.example.com' };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...base, host: 'bad host!' }, 'host'],
        [{ ...base, host: '999.1.1.1' }, 'host'],
        [{ ...base, host: 'fe80::1%eth0' }, 'host'],
        [{ ...base, host: '-leading.example.com' }, 'host'],
        [{ ...base, port: 70000 }, 'port'],
        [{ ...base, port: 0 }, 'port'],
        [{ ...base, transport: 'sctp' }, 'transport'],
        [{ ...base, priority: 0 }, 'priority'],
        [{ ...base, priority: 101 }, 'priority'],
        [{ ...base, maxChannels: 0 }, 'maxChannels'],
        [{ ...base, expireSeconds: 4 }, 'expireSeconds'],
        [{ ...base, retrySeconds: 1 }, 'retrySeconds'],
        [{ ...base, pingSeconds: 2 }, 'pingSeconds'],
        [{ ...base, status: 'suspended' }, 'status'],
        [{ ...base, allowAnyCallerId: 'sometimes' }, 'allowAnyCallerId'],
        [{ ...base, password: 'pa$${base_dir}ss' }, 'password'],
        [{ ...base, password: 'pa{ss' }, 'password'],
        [{ ...base, username: 'user@example.com' }, 'username'],
        [{ ...base, realm: 'bad realm' }, 'realm'],
        [{ ...base, fromDomain: 'x$${y}' }, 'fromDomain'],
        [{ ...base, fromUser: 'a b' }, 'fromUser'],
        [{ ...base, register: true }, 'username'],
        [{ ...base, register: true, username: 'u' }, 'password'],
        [{ ...base, register: true, password: 'p' }, 'username'],
        [{ host: 'sip.example.com' }, 'name'],
        [{ name: 'bad' }, 'host'],
      ];
      for (const [body, field] of cases) {
        const res = await call(app, keys.acme, 'POST', '/api/v1/trunks', body);
        t.equal(res.status, 400, JSON.stringify(body));
        t.match(res.body.error, { code: 'validation_failed', field }, JSON.stringify(body));
      }
      const stored = await ctx.store.withLookup((db) => db.selectFrom('trunks').select('id').where('name', '=', 'bad').execute());
      t.same(stored, [], 'nothing stored');
    });

    t.test('a trunk name is unique within its customer only', async (t) => {
      const dup = await call(app, keys.acme, 'POST', '/api/v1/trunks', { name: 'acme-main', host: 'sip.example.com' });
      t.equal(dup.status, 409);
      t.match(dup.body.error, { code: 'conflict', field: 'name' });
      const renamed = await call(app, keys.acme, 'PUT', `/api/v1/trunks/${acmeTrunks['acme-backup']}`, { name: 'acme-main' });
      t.equal(renamed.status, 409);
      t.equal(renamed.body.error.field, 'name');
      t.equal((await call(app, keys.globex, 'POST', '/api/v1/trunks', { name: 'acme-main', host: 'sip.example.com' })).status, 201, 'another customer may use the name');
    });

    t.test('updates are partial; the password is write-only; registering needs username and password', async (t) => {
      const made = await call(app, keys.acme, 'POST', '/api/v1/trunks', { name: 'upd', host: 'sip.upd.example', username: 'u1', password: PASSWORD, register: true });
      t.equal(made.status, 201);
      const id = made.body.data.id;
      const moved = await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, { port: 5080, pingSeconds: 15 });
      t.equal(moved.status, 200);
      t.match(moved.body.data, { port: 5080, pingSeconds: 15, host: 'sip.upd.example', username: 'u1', passwordSet: true, register: true });
      const patched = await call(app, keys.acme, 'PATCH', `/api/v1/trunks/${id}`, { pingSeconds: null, priority: 7 });
      t.equal(patched.status, 200, 'PATCH is an alias');
      t.match(patched.body.data, { pingSeconds: null, priority: 7, port: 5080 });
      const anyCallerId = await call(app, keys.acme, 'PATCH', `/api/v1/trunks/${id}`, { allowAnyCallerId: true });
      t.match(anyCallerId.body.data, { allowAnyCallerId: true, priority: 7 }, "the carrier takes the extension's own caller ID");
      t.equal((await trunkRow(id))!.allow_any_caller_id, true, 'stored');
      t.match((await call(app, keys.acme, 'PATCH', `/api/v1/trunks/${id}`, { allowAnyCallerId: false })).body.data, { allowAnyCallerId: false }, 'and back to its own numbers');
      const noPassword = await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, { password: null });
      t.equal(noPassword.status, 400);
      t.equal(noPassword.body.error.field, 'password', 'a registering trunk keeps its password');
      const noUser = await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, { username: null });
      t.equal(noUser.body.error.field, 'username');
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, {})).status, 400, 'an empty update');
      const changed = await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, { password: 'second-secret' });
      t.equal(changed.status, 200);
      t.notOk(JSON.stringify(changed.body).includes('second-secret'));
      t.equal((await gateways()).find((g) => g.name === id)!.params.password, 'second-secret', 'FreeSWITCH gets the new password');
      const off = await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, { register: false, password: null });
      t.equal(off.status, 200);
      t.match(off.body.data, { register: false, passwordSet: false });
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, { register: true })).body.error.field, 'password');
      const inactive = await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, { status: 'maintenance' });
      t.equal(inactive.body.data.status, 'maintenance');
      t.notOk((await gateways()).some((g) => g.name === id), 'a trunk in maintenance is no gateway');
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, { port: 99999 })).body.error.field, 'port');
      t.equal((await call(app, keys.acme, 'PUT', '/api/v1/trunks/00000000-0000-4000-8000-000000000000', { port: 5060 })).status, 404);
    });

    t.test("another customer's trunk is a 404 for reads, updates and deletes, and stays as it was", async (t) => {
      const id = acmeTrunks['acme-main']!;
      const before = await trunkRow(id);
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/trunks/${id}`)).status, 404);
      const put = await call(app, keys.globex, 'PUT', `/api/v1/trunks/${id}`, { host: 'evil.example.com', password: 'x' });
      t.equal(put.status, 404);
      t.equal(put.body.error.code, 'not_found');
      t.equal((await call(app, keys.globex, 'PATCH', `/api/v1/trunks/${id}`, { status: 'inactive' })).status, 404);
      t.equal((await call(app, keys.globex, 'DELETE', `/api/v1/trunks/${id}`)).status, 404);
      t.equal((await call(app, keys.admin, 'PUT', `/api/v1/customers/${keys.globexId}/trunks/${id}`, { port: 1 })).status, 404, 'admin acting as Globex');
      t.same(await trunkRow(id), before, 'unchanged');
      const list = await call(app, keys.globex, 'GET', '/api/v1/trunks');
      t.notOk(list.body.data.some((x: { customerId: string }) => x.customerId !== keys.globexId), 'Globex lists only its own');
    });

    t.test('delete answers 204 and the gateway goes away; audit rows hold no password', async (t) => {
      const made = await call(app, keys.acme, 'POST', '/api/v1/trunks', { name: 'doomed', host: 'sip.doomed.example', username: 'd', password: PASSWORD, register: true });
      const id = made.body.data.id;
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/trunks/${id}`, { priority: 5 })).status, 200);
      const del = await call(app, keys.acme, 'DELETE', `/api/v1/trunks/${id}`);
      t.equal(del.status, 204);
      t.equal(del.body, undefined);
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/trunks/${id}`)).status, 404);
      t.equal((await call(app, keys.acme, 'DELETE', `/api/v1/trunks/${id}`)).status, 404);
      t.notOk((await gateways()).some((g) => g.name === id));
      const audit = await ctx.store.withOperator((trx) => trx.selectFrom('audit_log').selectAll().where('resource_id', '=', id).orderBy('id').execute());
      t.same(audit.map((a) => [a.action, a.resource_type, a.tenant_id]), [['create', 'trunk', keys.acmeId], ['update', 'trunk', keys.acmeId], ['delete', 'trunk', keys.acmeId]]);
      t.match(audit[0]!.after, { name: 'doomed', password_enc: '[set]' });
      t.match(audit[1]!.before, { priority: 1 });
      t.match(audit[1]!.after, { priority: 5 });
      t.match(audit[2]!.before, { name: 'doomed' });
      t.match(audit[0]!.actor, /^sp_[0-9a-f]{8} \(/);
      const text = JSON.stringify(audit);
      t.notOk(text.includes(PASSWORD), 'no password in the audit log');
      t.notOk(/"v1\.[\w-]+\./.test(text), 'no sealed password in the audit log');
    });

    t.test('the OpenAPI document lists both path forms and no password in the answer schema', async (t) => {
      const doc = JSON.parse((await app.inject({ method: 'GET', url: '/docs/json' })).body);
      const paths = Object.keys(doc.paths);
      for (const p of ['/api/v1/trunks', '/api/v1/trunks/{id}', '/api/v1/customers/{customerId}/trunks', '/api/v1/customers/{customerId}/trunks/{id}']) t.ok(paths.includes(p), p);
      t.ok(doc.paths['/api/v1/trunks/{id}'].patch && doc.paths['/api/v1/trunks/{id}'].put && doc.paths['/api/v1/trunks/{id}'].delete);
      const ref: string = doc.paths['/api/v1/trunks/{id}'].get.responses['200'].content['application/json'].schema.properties.data.$ref;
      const trunk = doc.components.schemas[ref.split('/').at(-1)!];
      t.ok(trunk.properties.passwordSet, 'the answer says passwordSet');
      t.notOk('password' in trunk.properties, 'the answer has no password');
    });
  });
}
