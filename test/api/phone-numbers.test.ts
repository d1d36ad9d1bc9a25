import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { FORM, fixtureBody, rewrite } from '../helpers/fixtures.js';
import { dialplan } from '../helpers/xml.js';
import { eventually } from '../helpers/eventually.js';

const ACME = 'acme.switchplane.test';

/** The captured INVITE dialplan fetch of a call from a trunk to `did`. */
const inbound = (did: string, caller = '+393331112222') =>
  rewrite(fixtureBody('dialplan-invite.txt'), {
    'Caller-Context': 'public', 'Hunt-Context': 'public',
    'Caller-Destination-Number': did, 'Hunt-Destination-Number': did,
    'Caller-Caller-ID-Number': caller, 'Hunt-Caller-ID-Number': caller,
    variable_user_name: '', variable_domain_name: 'public',
  });

/** The dialplan applications answered for a call to `did`. */
async function applications(app: FastifyInstance, did: string): Promise<string[]> {
  const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload: inbound(did) });
  return dialplan(res.body).actions.map(([a, data]) => (data === undefined ? a : `${a} ${data}`));
}

/** The dialplan applications for `did` once `ok` holds: up to 5 s, asked every 50 ms (the change notice travels through PostgreSQL NOTIFY). */
function applicationsWhen(app: FastifyInstance, did: string, ok: (apps: string[]) => boolean): Promise<string[]> {
  // a `not found` answer has no actions
  return eventually(`the dialplan for ${did}`, () => applications(app, did).catch(() => [] as string[]), { until: ok, timeoutMs: 5000, intervalMs: 50 });
}

for (const backend of backends) {
  t.test(`${backend.name}: phone numbers API`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const ids = await ctx.store.withLookup(async (db) => ({
      trunks: Object.fromEntries((await db.selectFrom('trunks').select(['name', 'id']).execute()).map((r) => [r.name, r.id])),
      numbers: Object.fromEntries((await db.selectFrom('phone_numbers').select(['number', 'id']).execute()).map((r) => [r.number, r.id])),
    }));
    /** The whole stored row, read as its tenant (the lookup role may not read the CRM webhook secret). */
    const numberRow = async (id: string) => {
      const owner = await ctx.store.withLookup((db) => db.selectFrom('phone_numbers').select('tenant_id').where('id', '=', id).executeTakeFirst());
      return owner && ctx.store.withTenant(owner.tenant_id, (db) => db.selectFrom('phone_numbers').selectAll().where('id', '=', id).executeTakeFirst());
    };
    const numbersNamed = (number: string) => ctx.store.withLookup((db) => db.selectFrom('phone_numbers').select(['id', 'tenant_id']).where('number', '=', number).execute());

    t.test('a number routed to an extension is normalised to E.164 and reaches the extension', async (t) => {
      const created = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', {
        number: '+39 051 0510 599', trunkId: ids.trunks['acme-main'], description: 'Giulia direct line', route: 'extension', routeTarget: '1002',
      });
      t.equal(created.status, 201);
      t.match(created.body.data, {
        customerId: keys.acmeId, number: '+390510510599', trunkId: ids.trunks['acme-main'], description: 'Giulia direct line',
        incomingEnabled: true, outboundEnabled: true, route: 'extension', routeTarget: '1002', aiAgentProfile: null, businessHours: null, failoverExtension: null,
      });
      const read = await call(app, keys.acme, 'GET', `/api/v1/phone-numbers/${created.body.data.id}`);
      t.same(read.body.data, created.body.data);
      const list = await call(app, keys.acme, 'GET', '/api/v1/phone-numbers');
      t.same(list.body.data.map((n: { number: string }) => n.number), ['+390510510510', '+390510510511', '+390510510599']);

      const apps = await applicationsWhen(app, '+390510510599', (a) => a.includes(`bridge user/1002@${ACME}`));
      t.ok(apps.includes(`bridge user/1002@${ACME}`), 'the inbound dialplan bridges to 1002');
      t.ok(apps.includes(`set domain_name=${ACME}`));
      t.ok(dialplan(await postLookup(t, app, inbound('390510510599'))).actions.length > 0, 'a DID without + finds it too');

      const other = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '0039 (051) 0510-598', routeTarget: '1001' });
      t.equal(other.status, 201);
      t.match(other.body.data, { number: '+390510510598', route: 'extension', routeTarget: '1001', trunkId: null });
    });

    t.test('AI agent numbers with business hours, forwarding, and route changes', async (t) => {
      const hours = { monday: { start: '09:00', end: '18:00' }, tuesday: { start: '22:00', end: '06:00' }, saturday: null };
      const ai = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', {
        number: '+390510510597', route: 'ai_agent', aiAgentProfile: 'sales-voice', businessHours: hours, failoverExtension: '1002',
      });
      t.equal(ai.status, 201);
      t.match(ai.body.data, { route: 'ai_agent', aiAgentProfile: 'sales-voice', routeTarget: null, failoverExtension: '1002' });
      t.same(ai.body.data.businessHours, hours);
      ctx.setNow('2026-11-23T10:00:00Z'); // Monday 11:00 in Rome
      const open = await applicationsWhen(app, '+390510510597', (a) => a.includes('park'));
      t.ok(open.includes('set switchplane_ai_profile=sales-voice'), 'inside business hours the AI agent answers');
      ctx.setNow('2026-11-28T10:00:00Z'); // Saturday: closed
      t.ok((await applications(app, '+390510510597')).includes(`bridge user/1002@${ACME}`), 'outside them the failover extension');

      const id = ai.body.data.id;
      const forward = await call(app, keys.acme, 'PUT', `/api/v1/phone-numbers/${id}`, { route: 'forward', routeTarget: '+39 333 111 2222' });
      t.equal(forward.status, 200);
      t.match(forward.body.data, { route: 'forward', routeTarget: '+393331112222', aiAgentProfile: 'sales-voice' });
      const bad = await call(app, keys.acme, 'PUT', `/api/v1/phone-numbers/${id}`, { route: 'extension' });
      t.equal(bad.status, 400, 'an E.164 target is no extension');
      t.equal(bad.body.error.field, 'routeTarget');
      const back = await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, { route: 'ai_agent' });
      t.equal(back.status, 200);
      t.match(back.body.data, { route: 'ai_agent', routeTarget: null }, 'the forward target is dropped');
      const always = await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, { businessHours: null, incomingEnabled: false });
      t.match(always.body.data, { businessHours: null, incomingEnabled: false });
      const row = await numberRow(id);
      t.equal(row!.business_hours, null);
    });

    t.test('validation errors name the field and store nothing', async (t) => {
      const base = { number: '+390510510590', routeTarget: '1001' };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...base, number: '12ab' }, 'number'],
        [{ ...base, number: '1001' }, 'number'],
        [{ routeTarget: '1001' }, 'number'],
        [{ ...base, route: 'ai_agent', routeTarget: undefined }, 'aiAgentProfile'],
        [{ ...base, route: 'ai_agent', aiAgentProfile: 'sales' }, 'routeTarget'],
        [{ ...base, route: 'voicemail' }, 'route'],
        [{ number: base.number }, 'routeTarget'],
        [{ ...base, routeTarget: 'abc' }, 'routeTarget'],
        [{ ...base, route: 'forward', routeTarget: '1001' }, 'routeTarget'],
        [{ ...base, aiAgentProfile: 'Bad Profile' }, 'aiAgentProfile'],
        [{ ...base, failoverExtension: 'abc' }, 'failoverExtension'],
        [{ ...base, trunkId: 'not-a-uuid' }, 'trunkId'],
        [{ ...base, businessHours: { monday: { start: '25:00', end: '18:00' } } }, 'businessHours.monday.start'],
        [{ ...base, businessHours: { monday: { start: '09:00', end: '9:00' } } }, 'businessHours.monday.end'],
        [{ ...base, businessHours: { monday: { start: '09:00', end: '09:00' } } }, 'businessHours.monday'],
        [{ ...base, businessHours: { Monday: { start: '09:00', end: '18:00' } } }, 'businessHours'],
      ];
      for (const [body, field] of cases) {
        const res = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', body);
        t.equal(res.status, 400, JSON.stringify(body));
        t.match(res.body.error, { code: 'validation_failed', field }, JSON.stringify(body));
      }
      t.same(await numbersNamed(base.number), [], 'nothing stored');
      const aiNoProfile = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: base.number, route: 'ai_agent' });
      t.equal(aiNoProfile.body.error.field, 'aiAgentProfile');
    });

    t.test('a number is unique across all customers', async (t) => {
      const same = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510511', routeTarget: '1001' });
      t.equal(same.status, 409);
      t.match(same.body.error, { code: 'conflict', field: 'number' });
      const other = await call(app, keys.globex, 'POST', '/api/v1/phone-numbers', { number: '+39 051 0510 511', routeTarget: '1001' });
      t.equal(other.status, 409, "Globex cannot take Acme's number");
      t.match(other.body.error, { code: 'conflict', field: 'number' });
      t.notOk(JSON.stringify(other.body).includes(keys.acmeId), 'nothing about the holder');
      const renumber = await call(app, keys.globex, 'PUT', `/api/v1/phone-numbers/${ids.numbers['+15551234567']}`, { number: '+390510510511' });
      t.equal(renumber.status, 409);
      t.same((await numbersNamed('+390510510511')).map((r) => r.tenant_id), [keys.acmeId]);
    });

    t.test("a number can only use its own customer's trunks", async (t) => {
      const globexTrunk = ids.trunks['globex-main']!;
      const res = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510591', routeTarget: '1001', trunkId: globexTrunk });
      t.equal(res.status, 404);
      t.match(res.body.error, { code: 'not_found', field: 'trunkId' });
      t.same(await numbersNamed('+390510510591'), []);
      const unknown = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510591', routeTarget: '1001', trunkId: '00000000-0000-4000-8000-000000000000' });
      t.equal(unknown.body.error.field, 'trunkId');
      const id = ids.numbers['+390510510511']!;
      const before = await numberRow(id);
      const put = await call(app, keys.acme, 'PUT', `/api/v1/phone-numbers/${id}`, { trunkId: globexTrunk });
      t.equal(put.status, 404);
      t.equal(put.body.error.field, 'trunkId');
      t.same(await numberRow(id), before, 'unchanged');
      const cleared = await call(app, keys.acme, 'PUT', `/api/v1/phone-numbers/${id}`, { trunkId: null });
      t.equal(cleared.status, 200);
      t.equal(cleared.body.data.trunkId, null);
      const own = await call(app, keys.acme, 'PUT', `/api/v1/phone-numbers/${id}`, { trunkId: ids.trunks['acme-backup'] });
      t.equal(own.body.data.trunkId, ids.trunks['acme-backup']);
    });

    t.test("another customer's number is a 404 for reads, updates and deletes, and stays as it was", async (t) => {
      const id = ids.numbers['+390510510510']!;
      const before = await numberRow(id);
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/phone-numbers/${id}`)).status, 404);
      t.equal((await call(app, keys.globex, 'PUT', `/api/v1/phone-numbers/${id}`, { route: 'forward', routeTarget: '+15550000000' })).status, 404);
      t.equal((await call(app, keys.globex, 'PATCH', `/api/v1/phone-numbers/${id}`, { incomingEnabled: false })).status, 404);
      t.equal((await call(app, keys.globex, 'DELETE', `/api/v1/phone-numbers/${id}`)).status, 404);
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/customers/${keys.acmeId}/phone-numbers/${id}`)).status, 404);
      t.same(await numberRow(id), before, 'unchanged');
      const list = await call(app, keys.globex, 'GET', '/api/v1/phone-numbers');
      t.same(list.body.data.map((n: { number: string }) => n.number), ['+15551234567']);
    });

    t.test('scopes and the admin path forms', async (t) => {
      t.equal((await call(app, keys.acmeRead, 'GET', '/api/v1/phone-numbers')).status, 200);
      t.equal((await call(app, keys.acmeRead, 'POST', '/api/v1/phone-numbers', { number: '+390510510592', routeTarget: '1001' })).status, 403);
      t.equal((await call(app, keys.acmeRead, 'DELETE', `/api/v1/phone-numbers/${ids.numbers['+390510510511']}`)).status, 403);
      const viaPath = await call(app, keys.admin, 'POST', `/api/v1/customers/${keys.acmeId}/phone-numbers`, { number: '+390510510593', routeTarget: '1001' });
      t.equal(viaPath.status, 201);
      t.equal(viaPath.body.data.customerId, keys.acmeId);
      const viaHeader = await call(app, keys.admin, 'GET', '/api/v1/phone-numbers', undefined, { 'x-tenant-id': keys.acmeId });
      t.ok(viaHeader.body.data.some((n: { id: string }) => n.id === viaPath.body.data.id));
      const upd = await call(app, keys.admin, 'PUT', `/api/v1/customers/${keys.acmeId}/phone-numbers/${viaPath.body.data.id}`, { description: 'by the operator' });
      t.equal(upd.body.data.description, 'by the operator');
      t.equal((await call(app, keys.admin, 'DELETE', `/api/v1/customers/${keys.globexId}/phone-numbers/${viaPath.body.data.id}`)).status, 404, 'wrong customer');
      t.equal((await call(app, keys.admin, 'DELETE', `/api/v1/customers/${keys.acmeId}/phone-numbers/${viaPath.body.data.id}`)).status, 204);
    });

    t.test('delete answers 204, the DID stops routing, and every write is audited', async (t) => {
      const made = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510594', routeTarget: '1001' });
      const id = made.body.data.id;
      await applicationsWhen(app, '+390510510594', (a) => a.includes(`bridge user/1001@${ACME}`));
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/phone-numbers/${id}`, { routeTarget: '1002' })).status, 200);
      const del = await call(app, keys.acme, 'DELETE', `/api/v1/phone-numbers/${id}`);
      t.equal(del.status, 204);
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/phone-numbers/${id}`)).status, 404);
      const gone = await applicationsWhen(app, '+390510510594', (a) => a.at(-1) === 'hangup UNALLOCATED_NUMBER');
      t.equal(gone.at(-1), 'hangup UNALLOCATED_NUMBER');
      const audit = await ctx.store.withOperator((trx) => trx.selectFrom('audit_log').selectAll().where('resource_id', '=', id).orderBy('id').execute());
      t.same(audit.map((a) => [a.action, a.resource_type, a.tenant_id]), [['create', 'phone_number', keys.acmeId], ['update', 'phone_number', keys.acmeId], ['delete', 'phone_number', keys.acmeId]]);
      t.match(audit[1]!.before, { route_target: '1001' });
      t.match(audit[1]!.after, { route_target: '1002' });
      t.match(audit[2]!.before, { number: '+390510510594' });
    });

    t.test('deleting a trunk leaves its numbers without one', async (t) => {
      const trunk = await call(app, keys.acme, 'POST', '/api/v1/trunks', { name: 'short-lived', host: 'sip.example.com' });
      const number = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510595', routeTarget: '1001', trunkId: trunk.body.data.id });
      t.equal(number.body.data.trunkId, trunk.body.data.id);
      t.equal((await call(app, keys.acme, 'DELETE', `/api/v1/trunks/${trunk.body.data.id}`)).status, 204);
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/phone-numbers/${number.body.data.id}`)).body.data.trunkId, null);
    });

    t.test('a CRM webhook: the URL is answered, the secret is stored sealed and never answered', async (t) => {
      const secret = 'crm-signing-secret-0123456789';
      const url = 'https://crm.acme.example/hooks/tickets?source=switchplane';
      const id = ids.numbers['+390510510510']!;
      const set = await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, { crmWebhookUrl: url, crmWebhookSecret: secret });
      t.equal(set.status, 200);
      t.match(set.body.data, { crmWebhookUrl: url, crmWebhookSecretSet: true, route: 'ai_agent' });
      t.notOk('crmWebhookSecret' in set.body.data, 'no secret field in the answer');
      const row = await numberRow(id);
      t.equal(row!.crm_webhook_url, url);
      t.not(row!.crm_webhook_secret_sealed, secret, 'not stored in clear');
      t.equal(ctx.secrets.open(row!.crm_webhook_secret_sealed!), secret, 'stored sealed with the SecretBox');

      const read = await call(app, keys.acme, 'GET', `/api/v1/phone-numbers/${id}`);
      const list = await call(app, keys.acme, 'GET', '/api/v1/phone-numbers');
      const viaAdmin = await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}/phone-numbers/${id}`);
      t.match(read.body.data, { crmWebhookUrl: url, crmWebhookSecretSet: true });
      t.match(list.body.data.find((n: { id: string }) => n.id === id), { crmWebhookUrl: url, crmWebhookSecretSet: true });
      t.match(viaAdmin.body.data, { crmWebhookSecretSet: true });
      const sipConfig = await call(app, keys.acme, 'GET', `/api/v1/customers/${keys.acmeId}/sip_configuration`);
      const fsConfig = await call(app, keys.acme, 'GET', `/api/v1/customers/${keys.acmeId}/freeswitch_config`);
      t.equal(sipConfig.status, 200);
      t.equal(fsConfig.status, 200);
      for (const [name, res] of [['create', set], ['get', read], ['list', list], ['admin get', viaAdmin], ['sip_configuration', sipConfig], ['freeswitch_config', fsConfig]] as const) {
        const text = JSON.stringify(res.body);
        t.notOk(text.includes(secret) || text.includes(row!.crm_webhook_secret_sealed!), `${name}: neither the secret nor its sealed form`);
      }
      const audit = await ctx.store.withOperator((trx) => trx.selectFrom('audit_log').selectAll().where('resource_id', '=', id).orderBy('id').execute());
      t.match(audit.at(-1)!.after, { crm_webhook_url: url, crm_webhook_secret_sealed: '[set]' }, 'the audit log only says the secret is set');
      t.notOk(JSON.stringify(audit).includes(row!.crm_webhook_secret_sealed!) || JSON.stringify(audit).includes(secret));

      const otherUrl = 'http://crm2.acme.example:8080/tickets';
      const urlOnly = await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, { crmWebhookUrl: otherUrl });
      t.equal(urlOnly.status, 200, 'changing the URL keeps the secret');
      t.match(urlOnly.body.data, { crmWebhookUrl: otherUrl, crmWebhookSecretSet: true });
      t.equal(ctx.secrets.open((await numberRow(id))!.crm_webhook_secret_sealed!), secret);

      const created = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', {
        number: '+390510510589', route: 'ai_agent', aiAgentProfile: 'support', crmWebhookUrl: 'https://crm.acme.example/t', crmWebhookSecret: 'another-secret-of-sorts',
      });
      t.equal(created.status, 201);
      t.match(created.body.data, { crmWebhookUrl: 'https://crm.acme.example/t', crmWebhookSecretSet: true });
      const plain = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510588', routeTarget: '1001' });
      t.match(plain.body.data, { crmWebhookUrl: null, crmWebhookSecretSet: false }, 'none by default');
    });

    t.test('CRM webhook validation names the field and changes nothing', async (t) => {
      const id = ids.numbers['+390510510511']!;
      const before = await numberRow(id);
      const secret = 'crm-signing-secret-0123456789';
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ crmWebhookUrl: 'ftp://crm.example/tickets', crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: 'crm.example/tickets', crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: '/tickets', crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: 'https://', crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: 'http:///tickets', crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: 'https://crm example/tickets', crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: 'javascript:alert(1)', crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: 'https://user:pw@crm.example/tickets', crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: `https://crm.example/${'a'.repeat(2049 - 'https://crm.example/'.length)}`, crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: 42, crmWebhookSecret: secret }, 'crmWebhookUrl'],
        [{ crmWebhookUrl: 'https://crm.example/tickets', crmWebhookSecret: 'x'.repeat(15) }, 'crmWebhookSecret'],
        [{ crmWebhookUrl: 'https://crm.example/tickets', crmWebhookSecret: 'x'.repeat(257) }, 'crmWebhookSecret'],
        [{ crmWebhookUrl: 'https://crm.example/tickets' }, 'crmWebhookSecret'],
        [{ crmWebhookUrl: 'https://crm.example/tickets', crmWebhookSecret: null }, 'crmWebhookSecret'],
      ];
      for (const [body, field] of cases) {
        const res = await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, body);
        t.equal(res.status, 400, JSON.stringify(body).slice(0, 120));
        t.match(res.body.error, { code: 'validation_failed', field }, JSON.stringify(body).slice(0, 120));
        t.notOk(JSON.stringify(res.body).includes(secret), 'the error does not echo the secret');
      }
      const atLimit = `https://crm.example/${'a'.repeat(2048 - 'https://crm.example/'.length)}`;
      const created = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510510587', routeTarget: '1001', crmWebhookUrl: 'https://crm.example/t' });
      t.equal(created.status, 400, 'a new number with a URL and no secret');
      t.equal(created.body.error.field, 'crmWebhookSecret');
      t.same(await numbersNamed('+390510510587'), []);
      t.same(await numberRow(id), before, 'unchanged');

      const ok = await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, { crmWebhookUrl: atLimit, crmWebhookSecret: 's'.repeat(16) });
      t.equal(ok.status, 200, '2048 characters and a 16-character secret are accepted');
      const longest = await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, { crmWebhookSecret: 's'.repeat(256) });
      t.equal(longest.status, 200, 'a 256-character secret is accepted');
      const secretAlone = await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, { crmWebhookSecret: null });
      t.equal(secretAlone.status, 400, 'the secret cannot be removed while the URL stays');
      t.equal(secretAlone.body.error.field, 'crmWebhookSecret');

      const cleared = await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, { crmWebhookUrl: null, crmWebhookSecret: null });
      t.equal(cleared.status, 200, 'both cleared with null');
      t.match(cleared.body.data, { crmWebhookUrl: null, crmWebhookSecretSet: false });
      const row = await numberRow(id);
      t.equal(row!.crm_webhook_url, null);
      t.equal(row!.crm_webhook_secret_sealed, null);
    });

    t.test('the database refuses a CRM webhook URL without a secret, or a bad one', async (t) => {
      const id = ids.numbers['+390510510511']!;
      await t.rejects(
        ctx.store.withTenant(keys.acmeId, (db) => db.updateTable('phone_numbers').set({ crm_webhook_url: 'https://crm.example/t', crm_webhook_secret_sealed: null }).where('id', '=', id).execute()),
        /phone_numbers_crm_webhook_secret_check/,
      );
      await t.rejects(
        ctx.store.withTenant(keys.acmeId, (db) => db.updateTable('phone_numbers').set({ crm_webhook_url: 'ftp://crm.example/t', crm_webhook_secret_sealed: 'v1.x.y.z' }).where('id', '=', id).execute()),
        /phone_numbers_crm_webhook_url_check/,
      );
    });

    t.test("another customer's CRM webhook is out of sight and reach", async (t) => {
      const secret = 'acme-only-secret-abcdefgh';
      const id = ids.numbers['+390510510510']!;
      t.equal((await call(app, keys.acme, 'PATCH', `/api/v1/phone-numbers/${id}`, { crmWebhookUrl: 'https://crm.acme.example/x', crmWebhookSecret: secret })).status, 200);
      const before = await numberRow(id);
      const get = await call(app, keys.globex, 'GET', `/api/v1/phone-numbers/${id}`);
      t.equal(get.status, 404);
      const list = await call(app, keys.globex, 'GET', '/api/v1/phone-numbers');
      t.notOk(JSON.stringify(list.body).includes('crm.acme.example'), "Globex's list has no Acme webhook");
      t.ok(list.body.data.every((n: { crmWebhookSecretSet: boolean }) => n.crmWebhookSecretSet === false));
      t.equal((await call(app, keys.globex, 'PATCH', `/api/v1/phone-numbers/${id}`, { crmWebhookUrl: null, crmWebhookSecret: null })).status, 404);
      t.equal((await call(app, keys.globex, 'PATCH', `/api/v1/phone-numbers/${id}`, { crmWebhookUrl: 'https://evil.example/', crmWebhookSecret: 'globex-secret-1234567' })).status, 404);
      const sipConfig = await call(app, keys.globex, 'GET', `/api/v1/customers/${keys.acmeId}/sip_configuration`);
      t.ok([403, 404].includes(sipConfig.status), "nor through Acme's sip_configuration");
      t.same(await numberRow(id), before, 'unchanged');
      const rows = await ctx.store.withTenant(keys.globexId, (db) => db.selectFrom('phone_numbers').select(['crm_webhook_url', 'crm_webhook_secret_sealed']).where('id', '=', id).execute());
      t.same(rows, [], 'row-level security hides the row itself');
    });

    t.test('deleting a number with a CRM webhook audits it without the sealed secret', async (t) => {
      const made = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', {
        number: '+390510510586', routeTarget: '1001', crmWebhookUrl: 'https://crm.acme.example/d', crmWebhookSecret: 'to-be-deleted-secret',
      });
      t.equal(made.status, 201);
      const sealed = (await numberRow(made.body.data.id))!.crm_webhook_secret_sealed!;
      t.equal((await call(app, keys.acme, 'DELETE', `/api/v1/phone-numbers/${made.body.data.id}`)).status, 204);
      t.equal((await call(app, keys.acme, 'DELETE', `/api/v1/phone-numbers/${made.body.data.id}`)).status, 404);
      const audit = await ctx.store.withOperator((trx) => trx.selectFrom('audit_log').selectAll().where('resource_id', '=', made.body.data.id).orderBy('id').execute());
      t.same(audit.map((a) => a.action), ['create', 'delete']);
      t.match(audit[1]!.before, { number: '+390510510586', crm_webhook_secret_sealed: '[set]' });
      t.notOk(JSON.stringify(audit).includes(sealed));
    });

    t.test('the OpenAPI schema: crmWebhookSecret is write-only, answers carry crmWebhookSecretSet', async (t) => {
      const doc = JSON.parse((await app.inject({ method: 'GET', url: '/docs/json' })).body);
      const ref: string = doc.paths['/api/v1/phone-numbers/{id}'].get.responses['200'].content['application/json'].schema.properties.data.$ref;
      const answer = doc.components.schemas[ref.replace('#/components/schemas/', '')].properties;
      t.ok(answer.crmWebhookUrl, 'crmWebhookUrl answered');
      t.equal(answer.crmWebhookSecretSet?.type, 'boolean');
      t.notOk(answer.crmWebhookSecret, 'the secret is not part of an answer');
      const body = (op: { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }) => op.requestBody.content['application/json']!.schema.properties;
      for (const props of [body(doc.paths['/api/v1/phone-numbers'].post), body(doc.paths['/api/v1/phone-numbers/{id}'].patch)]) {
        t.match(JSON.stringify(props.crmWebhookSecret), /"writeOnly":true/);
        t.match(JSON.stringify(props.crmWebhookSecret), /"minLength":16/);
        t.match(JSON.stringify(props.crmWebhookUrl), /"maxLength":2048/);
        t.notOk(props.crmWebhookSecretSet);
      }
    });

    t.test('the OpenAPI document lists both path forms', async (t) => {
      const paths = Object.keys(JSON.parse((await app.inject({ method: 'GET', url: '/docs/json' })).body).paths);
      for (const p of ['/api/v1/phone-numbers', '/api/v1/phone-numbers/{id}', '/api/v1/customers/{customerId}/phone-numbers', '/api/v1/customers/{customerId}/phone-numbers/{id}']) t.ok(paths.includes(p), p);
    });
  });
}
