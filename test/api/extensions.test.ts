import t from 'tap';
import { a1Hash } from '../../src/domain/sip-digest.js';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';
import { eventually } from '../helpers/eventually.js';
import { FORM, isNotFound } from '../helpers/fixtures.js';
import { directoryUser, type DirectoryUserView } from '../helpers/xml.js';

const ACME = 'acme.switchplane.test';
const EXT = '/api/v1/extensions';

/** A REGISTER digest-auth lookup of `user` in Acme's domain, as mod_sofia sends it. */
const sipAuth = (user: string) =>
  `section=directory&key_value=${ACME}&domain=${ACME}&user=${encodeURIComponent(user)}&action=sip_auth&sip_auth_realm=${ACME}`;

for (const backend of backends) {
  t.test(`${backend.name}: extensions`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;

    /** The directory user FreeSWITCH would get for `user` now, or null for `not found`. */
    const lookup = async (user: string): Promise<DirectoryUserView | null> => {
      const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload: sipAuth(user) });
      return isNotFound(res.body) ? null : directoryUser(res.body);
    };
    /**
     * Polls the directory answer until `ok` holds (up to 5 s, else throws): the lookup cache drops the tenant
     * when the PostgreSQL change notice of the API write arrives.
     */
    const directoryWhen = async (user: string, ok: (u: DirectoryUserView | null) => boolean): Promise<DirectoryUserView | null> => {
      return eventually(`the directory user ${user}`, () => lookup(user), { until: ok, timeoutMs: 5000, intervalMs: 25 });
    };
    const extensionRow = (tenantId: string, id: string) =>
      ctx.store.withTenant(tenantId, (trx) => trx.selectFrom('extensions').selectAll().where('id', '=', id).executeTakeFirst());
    const acmeIdOf = async (number: string): Promise<string> =>
      (await ctx.store.withTenant(keys.acmeId, (trx) => trx.selectFrom('extensions').select('id').where('extension', '=', number).executeTakeFirstOrThrow())).id;

    /** Every SIP password the API showed, to look for in answers and audit rows later. */
    const passwords: string[] = ['demo-1001-secret', 'demo-1002-secret'];
    let anna = '';

    t.test('create with a password: 201 with SIP credentials, sealed at rest, accepted by the directory', async (t) => {
      const password = 'correct-horse-battery';
      passwords.push(password);
      const res = await call(app, keys.acme, 'POST', EXT, {
        extensionNumber: '2001', password, displayName: 'Anna Verdi', email: 'anna.verdi@example.com', userId: 'user_123',
        callerIdName: 'Anna', callerIdNumber: '+39 051 0510511', allowedCodecs: ['OPUS', 'PCMU'], voicemailEnabled: true,
        voicemailPin: '908172', forwardingEnabled: true, forwardingNumber: '1002', maxConcurrentCalls: 3, registrationExpiry: 600,
      });
      t.equal(res.status, 201);
      const data = res.body.data;
      anna = data.id;
      t.match(data, {
        id: /^[0-9a-f-]{36}$/, extensionNumber: '2001', sipUsername: '2001', displayName: 'Anna Verdi', email: 'anna.verdi@example.com',
        userId: 'user_123', callerIdName: 'Anna', callerIdNumber: '+390510510511', allowedCodecs: ['OPUS', 'PCMU'], voicemailEnabled: true,
        voicemailPinSet: true, callRecording: false, forwardingEnabled: true, forwardingNumber: '1002', doNotDisturb: false,
        maxConcurrentCalls: 3, registrationExpiry: 600, status: 'active',
        registration: { registered: false, lastRegistrationAt: null, userAgent: null, ip: null, port: null, contact: null },
      });
      t.same(data.sipCredentials, {
        extension: '2001', username: '2001', password, domain: ACME, sipUri: `sip:2001@${ACME}`, server: ACME, sipPort: 5060, wssPort: 7443,
        sipUsername: '2001', sipPassword: password, sipServer: ACME, wsPort: 7443, wsUrl: `wss://${ACME}:7443`,
      });
      t.notOk('voicemailPin' in data || 'password' in data, 'no PIN and no password outside sipCredentials');

      const row = await extensionRow(keys.acmeId, anna);
      t.not(row!.password_enc, password, 'the password is not stored in clear');
      t.equal(ctx.secrets.open(row!.password_enc), password);
      t.equal(ctx.secrets.open(row!.voicemail_pin_enc!), '908172');

      const u = await directoryWhen('2001', (u) => u !== null);
      t.equal(u?.params['a1-hash'], a1Hash('2001', ACME, password), 'a1-hash = md5(username:domain:password)');
      t.equal(u?.variables.effective_caller_id_name, 'Anna Verdi');
      t.ok(await postLookup(t, app, sipAuth('2001')), 'the lookup answers 200 text/xml');
    });

    t.test('create without password or number: 32 random letters and digits, lowest free number from 1001', async (t) => {
      const a = await call(app, keys.acme, 'POST', EXT, { displayName: 'Auto One' });
      const b = await call(app, keys.acme, 'POST', EXT, { displayName: 'Auto Two' });
      t.equal(a.status, 201);
      t.equal(b.status, 201);
      t.equal(a.body.data.extensionNumber, '1004', 'Acme has 1001-1003, so 1004 comes first');
      t.equal(b.body.data.extensionNumber, '1005');
      t.equal(a.body.data.sipUsername, '1004', 'the SIP username defaults to the number');
      const [pa, pb] = [a.body.data.sipCredentials.password as string, b.body.data.sipCredentials.password as string];
      passwords.push(pa, pb);
      t.ok(pa.length >= 24 && pb.length >= 24, 'at least 24 characters');
      t.match(pa, /^[A-Za-z0-9]+$/);
      t.not(pa, pb, 'every generated password differs');
      const u = await directoryWhen('1004', (u) => u !== null);
      t.equal(u?.params['a1-hash'], a1Hash('1004', ACME, pa), 'the generated password works for digest auth');

      const named = await call(app, keys.acme, 'POST', EXT, { sipUsername: 'luca.neri' });
      t.match(named.body.data, { extensionNumber: '1006', sipUsername: 'luca.neri', sipCredentials: { username: 'luca.neri', sipUri: `sip:luca.neri@${ACME}` } });
      passwords.push(named.body.data.sipCredentials.password);
      // 1007 is free as a number but taken as a username, which an auto number would also become.
      const odd = await call(app, keys.acme, 'POST', EXT, { extensionNumber: '3000', sipUsername: '1007' });
      t.equal(odd.status, 201);
      passwords.push(odd.body.data.sipCredentials.password);
      const next = await call(app, keys.acme, 'POST', EXT, {});
      t.equal(next.body.data.extensionNumber, '1008', 'a number used as someone\'s SIP username is skipped');
      passwords.push(next.body.data.sipCredentials.password);

      const globex = await call(app, keys.globex, 'POST', EXT, {});
      t.equal(globex.body.data.extensionNumber, '1002', 'numbers are per tenant: Globex has only 1001');
      t.equal(globex.body.data.sipCredentials.domain, 'globex.switchplane.test');
      passwords.push(globex.body.data.sipCredentials.password);
    });

    t.test('list with filters; get; the admin paths reach the same records', async (t) => {
      const all = await call(app, keys.acmeRead, 'GET', EXT);
      t.equal(all.status, 200);
      const numbers = all.body.data.map((e: { extensionNumber: string }) => e.extensionNumber);
      t.same(numbers, ['1001', '1002', '1003', '1004', '1005', '1006', '1008', '2001', '3000'], 'in numeric order, Acme only');
      const suspended = await call(app, keys.acmeRead, 'GET', `${EXT}?status=suspended`);
      t.same(suspended.body.data.map((e: { extensionNumber: string }) => e.extensionNumber), ['1003']);
      const byUser = await call(app, keys.acmeRead, 'GET', `${EXT}?userId=user_123`);
      t.same(byUser.body.data.map((e: { id: string }) => e.id), [anna]);
      const badStatus = await call(app, keys.acmeRead, 'GET', `${EXT}?status=busy`);
      t.equal(badStatus.status, 400);
      t.equal(badStatus.body.error.field, 'status');

      const one = await call(app, keys.acmeRead, 'GET', `${EXT}/${anna}`);
      t.equal(one.status, 200);
      t.match(one.body.data, { id: anna, extensionNumber: '2001', displayName: 'Anna Verdi', voicemailPinSet: true });
      t.notOk('sipCredentials' in one.body.data);
      t.equal((await call(app, keys.acmeRead, 'GET', `${EXT}/00000000-0000-4000-8000-000000000000`)).status, 404);

      const viaPath = await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}/extensions`);
      t.same(viaPath.body.data.map((e: { extensionNumber: string }) => e.extensionNumber), numbers);
      const viaHeader = await call(app, keys.admin, 'GET', `${EXT}/${anna}`, undefined, { 'x-tenant-id': keys.acmeId });
      t.equal(viaHeader.body.data.id, anna);
      t.equal((await call(app, keys.admin, 'GET', EXT)).body.error.code, 'tenant_required');
      t.equal((await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.globexId}/extensions/${anna}`)).status, 404);
      t.equal((await call(app, keys.admin, 'GET', `/api/v1/customers/00000000-0000-4000-8000-000000000000/extensions`)).status, 404);
      const created = await call(app, keys.admin, 'POST', `/api/v1/customers/${keys.acmeId}/extensions`, { extensionNumber: '5000' });
      t.equal(created.status, 201, 'an admin creates under the customer path');
      passwords.push(created.body.data.sipCredentials.password);
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/customers/${keys.acmeId}/extensions/${created.body.data.id}`)).status, 200, 'a tenant key may use its own customer path');
    });

    t.test('update: FreeSWITCH sees the change; a new password is sealed; conflicts and bad values name the field', async (t) => {
      const res = await call(app, keys.acme, 'PUT', `${EXT}/${anna}`, { displayName: 'Anna Verdi-Rossi', doNotDisturb: true });
      t.equal(res.status, 200);
      t.match(res.body.data, { displayName: 'Anna Verdi-Rossi', doNotDisturb: true, extensionNumber: '2001', voicemailPinSet: true });
      const u = await directoryWhen('2001', (u) => u?.variables.effective_caller_id_name === 'Anna Verdi-Rossi');
      t.equal(u?.variables.effective_caller_id_name, 'Anna Verdi-Rossi', 'the next directory answer has the new name');

      const password = 'a-brand-new-secret-42';
      passwords.push(password);
      const patched = await call(app, keys.acme, 'PATCH', `${EXT}/${anna}`, { password, voicemailPin: null });
      t.equal(patched.status, 200);
      t.equal(patched.body.data.voicemailPinSet, false);
      t.notOk(JSON.stringify(patched.body).includes(password), 'the update answer does not echo the password');
      const row = await extensionRow(keys.acmeId, anna);
      t.equal(ctx.secrets.open(row!.password_enc), password);
      t.equal(row!.voicemail_pin_enc, null);
      const v = await directoryWhen('2001', (u) => u?.params['a1-hash'] === a1Hash('2001', ACME, password));
      t.equal(v?.params['a1-hash'], a1Hash('2001', ACME, password), 'the new password authenticates');

      const dupNumber = await call(app, keys.acme, 'PUT', `${EXT}/${anna}`, { extensionNumber: '1001' });
      t.equal(dupNumber.status, 409);
      t.match(dupNumber.body.error, { code: 'conflict', field: 'extensionNumber' });
      const dupUser = await call(app, keys.acme, 'PUT', `${EXT}/${anna}`, { sipUsername: '1002' });
      t.equal(dupUser.status, 409);
      t.match(dupUser.body.error, { code: 'conflict', field: 'sipUsername' });
      t.match((await call(app, keys.acme, 'PUT', `${EXT}/${anna}`, { forwardingNumber: null })).body.error, { code: 'validation_failed', field: 'forwardingNumber' }, 'forwarding on needs a number');
      t.equal((await call(app, keys.acme, 'PUT', `${EXT}/${anna}`, {})).status, 400, 'an empty update is refused');
      t.match((await call(app, keys.acme, 'PUT', `${EXT}/${anna}`, { password: 'has${bad}chars' })).body.error, { field: 'password' });
      t.equal((await call(app, keys.acmeRead, 'PUT', `${EXT}/${anna}`, { displayName: 'x' })).status, 403, 'a read-only key cannot update');
      t.equal((await call(app, keys.acme, 'PUT', `${EXT}/00000000-0000-4000-8000-000000000000`, { displayName: 'x' })).status, 404);

      const after = await extensionRow(keys.acmeId, anna);
      t.match(after, { extension: '2001', sip_username: '2001', display_name: 'Anna Verdi-Rossi', call_forwarding_number: '1002' }, 'refused updates changed nothing');
      const audit = await ctx.store.withTenant(keys.acmeId, (trx) =>
        trx.selectFrom('audit_log').selectAll().where('resource_type', '=', 'extension').where('resource_id', '=', anna).orderBy('id').execute());
      t.same(audit.map((a) => a.action), ['create', 'update', 'update'], 'one audit row per write that happened');
      t.match(audit[1], { before: { display_name: 'Anna Verdi' }, after: { display_name: 'Anna Verdi-Rossi' }, actor: /^sp_[0-9a-f]{8} \(/ });
    });

    t.test('delete: 204, gone from the API and the directory, audited', async (t) => {
      const made = await call(app, keys.acme, 'POST', EXT, { extensionNumber: '2002', displayName: 'Temp' });
      passwords.push(made.body.data.sipCredentials.password);
      t.ok(await directoryWhen('2002', (u) => u !== null), 'registered in the directory first');
      const res = await call(app, keys.acme, 'DELETE', `${EXT}/${made.body.data.id}`);
      t.equal(res.status, 204);
      t.equal(res.body, undefined, 'no body');
      t.equal((await call(app, keys.acme, 'GET', `${EXT}/${made.body.data.id}`)).status, 404);
      t.equal((await call(app, keys.acme, 'DELETE', `${EXT}/${made.body.data.id}`)).status, 404, 'deleting twice is a 404');
      t.equal(await directoryWhen('2002', (u) => u === null), null, 'FreeSWITCH no longer finds the user');
      const audit = await ctx.store.withTenant(keys.acmeId, (trx) =>
        trx.selectFrom('audit_log').selectAll().where('resource_id', '=', made.body.data.id).where('action', '=', 'delete').executeTakeFirst());
      t.match(audit, { resource_type: 'extension', before: { extension: '2002', password_enc: '[set]' }, after: null });
    });

    t.test('validation errors answer 400 naming the field, and create nothing', async (t) => {
      const count = async () => (await call(app, keys.acme, 'GET', EXT)).body.data.length;
      const before = await count();
      const cases: Array<[string, Record<string, unknown>, string | RegExp]> = [
        ['number with a letter', { extensionNumber: '10a1' }, 'extensionNumber'],
        ['one-digit number', { extensionNumber: '7' }, 'extensionNumber'],
        ['11-digit number', { extensionNumber: '12345678901' }, 'extensionNumber'],
        ['short password', { password: 'short-pw' }, 'password'],
        ['password with ${', { password: 'abcdefgh${domain}' }, 'password'],
        ['password with $', { password: 'abcdefghijk$l' }, 'password'],
        ['password with }', { password: 'abcdefghijkl}' }, 'password'],
        ['unknown codec', { allowedCodecs: ['PCMU', 'SPEEX'] }, /^allowedCodecs/],
        ['registration expiry 10 s', { registrationExpiry: 10 }, 'registrationExpiry'],
        ['registration expiry over a day', { registrationExpiry: 86401 }, 'registrationExpiry'],
        ['no concurrent calls', { maxConcurrentCalls: 0 }, 'maxConcurrentCalls'],
        ['PIN of 3 digits', { voicemailPin: '123' }, 'voicemailPin'],
        ['SIP username with a space', { sipUsername: 'anna verdi' }, 'sipUsername'],
        ['caller ID that is no number', { callerIdNumber: 'reception' }, 'callerIdNumber'],
        ['forwarding without a number', { forwardingEnabled: true }, 'forwardingNumber'],
        ['unknown status', { status: 'busy' }, 'status'],
        ['bad email', { email: 'not-an-email' }, 'email'],
        ['a field of another API', { extension: '1009' }, 'extension'],
      ];
      for (const [what, body, field] of cases) {
        const res = await call(app, keys.acme, 'POST', EXT, body);
        t.equal(res.status, 400, what);
        t.equal(res.body.error.code, 'validation_failed', what);
        t.match(res.body.error.field, field, `${what}: names ${field}`);
      }
      t.match((await call(app, keys.acme, 'POST', EXT, { extension: '1009' })).body.error.message, /extensionNumber/, 'the message suggests the right name');
      const dup = await call(app, keys.acme, 'POST', EXT, { extensionNumber: '1001' });
      t.equal(dup.status, 409);
      t.match(dup.body.error, { code: 'conflict', field: 'extensionNumber' });
      const dupUser = await call(app, keys.acme, 'POST', EXT, { extensionNumber: '7001', sipUsername: '1002' });
      t.equal(dupUser.status, 409);
      t.match(dupUser.body.error, { code: 'conflict', field: 'sipUsername' });
      t.equal(await count(), before, 'nothing was created');
    });

    t.test('credentials need the extensions:credentials scope; a read-only key cannot create', async (t) => {
      const id1001 = await acmeIdOf('1001');
      const denied = await call(app, keys.acme, 'GET', `${EXT}/${id1001}/credentials`);
      t.equal(denied.status, 403);
      t.equal(denied.body.error.code, 'forbidden');
      t.notOk(JSON.stringify(denied.body).includes('demo-1001-secret'));
      t.equal((await call(app, keys.acmeRead, 'GET', `${EXT}/${id1001}/credentials`)).status, 403);
      const ok = await call(app, keys.acmeCredentials, 'GET', `${EXT}/${id1001}/credentials`);
      t.equal(ok.status, 200);
      t.same(ok.body.data, {
        extension: '1001', username: '1001', password: 'demo-1001-secret', domain: ACME, sipUri: `sip:1001@${ACME}`, server: ACME, sipPort: 5060, wssPort: 7443,
        sipUsername: '1001', sipPassword: 'demo-1001-secret', sipServer: ACME, wsPort: 7443, wsUrl: `wss://${ACME}:7443`,
      });
      const rw = await call(app, keys.acmeRead, 'POST', EXT, { extensionNumber: '7002' });
      t.equal(rw.status, 403);
      t.equal((await call(app, keys.acmeRead, 'DELETE', `${EXT}/${id1001}`)).status, 403);
      t.equal((await call(app, keys.acmeRead, 'GET', `${EXT}/${id1001}`)).status, 200, 'but it reads');
    });

    t.test('another tenant\'s extension is a 404 for every route, and stays unchanged', async (t) => {
      const id1001 = await acmeIdOf('1001');
      const before = await extensionRow(keys.acmeId, id1001);
      const url = `${EXT}/${id1001}`;
      t.equal((await call(app, keys.globex, 'GET', url)).status, 404, 'GET');
      t.equal((await call(app, keys.globex, 'PUT', url, { displayName: 'Hijacked', password: 'hijacked-password' })).status, 404, 'PUT');
      t.equal((await call(app, keys.globex, 'PATCH', url, { status: 'inactive' })).status, 404, 'PATCH');
      t.equal((await call(app, keys.globex, 'DELETE', url)).status, 404, 'DELETE');
      t.equal((await call(app, keys.globex, 'GET', `${url}/credentials`)).status, 404, 'credentials');
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/customers/${keys.acmeId}/extensions/${id1001}`)).status, 404, 'Acme\'s customer path');
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/customers/${keys.acmeId}/extensions`)).status, 404, 'Acme\'s list');
      const list = await call(app, keys.globex, 'GET', EXT);
      t.notOk(list.body.data.some((e: { id: string }) => e.id === id1001), 'not in Globex\'s list');
      t.same(await extensionRow(keys.acmeId, id1001), before, 'the row is exactly as it was');
      const audit = await ctx.store.withOperator((trx) => trx.selectFrom('audit_log').select('id').where('resource_id', '=', id1001).execute());
      t.equal(audit.length, 0, 'nothing audited');
    });

    t.test('two simultaneous creates of one number: exactly one 201 and one 409; auto numbers never collide', async (t) => {
      const [a, b] = await Promise.all([
        call(app, keys.acme, 'POST', EXT, { extensionNumber: '4000' }),
        call(app, keys.acme, 'POST', EXT, { extensionNumber: '4000', sipUsername: 'other4000' }),
      ]);
      t.same([a.status, b.status].sort(), [201, 409]);
      const lost = a.status === 409 ? a : b;
      t.match(lost.body.error, { code: 'conflict', field: 'extensionNumber' });
      passwords.push((a.status === 201 ? a : b).body.data.sipCredentials.password);

      // More requests than the PostgreSQL pool has connections: they queue and race for each number.
      const auto = await Promise.all(Array.from({ length: 16 }, () => call(app, keys.acme, 'POST', EXT, {})));
      t.same(auto.map((r) => r.status), Array(16).fill(201));
      const numbers = auto.map((r) => r.body.data.extensionNumber as string);
      t.equal(new Set(numbers).size, 16, `distinct numbers ${numbers.join(' ')}`);
      t.same([...numbers].sort(), Array.from({ length: 16 }, (_, i) => String(1009 + i)), 'the lowest free ones (1007 is a SIP username, so skipped)');
      for (const r of auto) passwords.push(r.body.data.sipCredentials.password);
    });

    t.test('no password, PIN or sealed value in list and get answers or in audit rows', async (t) => {
      const answers = JSON.stringify([
        (await call(app, keys.acme, 'GET', EXT)).body,
        (await call(app, keys.acme, 'GET', `${EXT}/${anna}`)).body,
        (await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}/extensions`)).body,
      ]);
      const audit = await ctx.store.withOperator((trx) => trx.selectFrom('audit_log').select(['before', 'after']).where('resource_type', '=', 'extension').execute());
      t.ok(audit.length >= 10, `${audit.length} extension audit rows`);
      const stored = JSON.stringify(audit);
      for (const [where, text] of [['answers', answers], ['audit_log', stored]] as const) {
        for (const p of passwords) t.notOk(text.includes(p), `${where}: no password ${p.slice(0, 4)}…`);
        t.notOk(/"v1\.[A-Za-z0-9_-]+\./.test(text), `${where}: no sealed value`);
        t.notOk(text.includes('908172'), `${where}: no voicemail PIN`);
        t.notOk(text.includes(a1Hash('1001', ACME, 'demo-1001-secret')), `${where}: no digest hash`);
      }
      t.notOk(/"(password|voicemailPin|passwordEnc|sipPassword)"/.test(answers), 'no password fields in answers');
      for (const row of audit) {
        for (const side of [row.before, row.after]) {
          if (side) t.ok(side.password_enc === '[set]' && (side.voicemail_pin_enc === null || side.voicemail_pin_enc === '[set]'), 'secret columns are masked');
        }
      }
    });

    t.test('the OpenAPI document lists both path forms', async (t) => {
      const paths = Object.keys(JSON.parse((await app.inject({ method: 'GET', url: '/docs/json' })).body).paths);
      for (const p of ['/api/v1/extensions', '/api/v1/extensions/{id}', '/api/v1/extensions/{id}/credentials', '/api/v1/customers/{customerId}/extensions/{id}']) {
        t.ok(paths.includes(p), p);
      }
    });
  });
}
