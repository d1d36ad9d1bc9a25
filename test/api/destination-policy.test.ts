/**
 * A customer tries to use Switchplane as a port scanner: trunk hosts, realms and CRM webhooks at
 * the cloud metadata service, private networks, loopback and internal names, then trunk tests
 * towards them. With the default configuration every attempt through a tenant key is refused
 * (on saving, and again when connecting, whoever saved the trunk), and no packet leaves; the
 * operator's DESTINATION_ALLOW ranges and admin keys are let through; trunk tests are limited
 * per customer. (Names that resolve to refused addresses, at save and at connect, are tested with
 * a resolver table in test/domain/destination-policy.test.ts, test/sip/options-probe.test.ts and
 * test/media/crm-webhook.test.ts.)
 */
import t from 'tap';
import type { Test } from 'tap';
import { backends } from '../helpers/backends.js';
import { call, demoKeys, type DemoKeys } from '../helpers/api.js';
import { silentPeer } from '../helpers/silent-peer.js';
import { demoApp, type TestApp } from '../helpers/app.js';
import { eventually } from '../helpers/eventually.js';

/** The OPTIONS of a trunk test reaches the peer: up to 2 s, checked every 20 ms. */
const SENT = { timeoutMs: 2000, intervalMs: 20 };

const SECRET = 'crm-signing-secret-0123456789';

for (const backend of backends) {
  t.test(`${backend.name}: the destination policy`, async (t) => {
    let ctx: TestApp;
    let keys: DemoKeys;
    const trunkCount = async (key: string) => (await call(ctx.app, key, 'GET', '/api/v1/trunks')).body.data.length as number;
    const numberCount = async (key: string) => (await call(ctx.app, key, 'GET', '/api/v1/phone-numbers')).body.data.length as number;
    /** An admin creates a trunk for `customerId` (no policy for admin keys). */
    const adminTrunk = async (t: Test, customerId: string, body: Record<string, unknown>) => {
      const res = await call(ctx.app, keys.admin, 'POST', `/api/v1/customers/${customerId}/trunks`, body);
      t.equal(res.status, 201, `admin saves ${JSON.stringify(body)}`);
      return res.body.data.id as string;
    };

    t.test('with the default configuration', async (t) => {
      ctx = await demoApp(backend, { DESTINATION_ALLOW: '' });
      t.teardown(ctx.close);
      keys = await demoKeys(ctx.store);
      const { app } = ctx;

      t.test('every SSRF host, realm and webhook a tenant key tries is refused and nothing is stored', async (t) => {
        const trunksBefore = await trunkCount(keys.acme);
        const numbersBefore = await numberCount(keys.acme);
        const publicTrunk = (await call(app, keys.acme, 'POST', '/api/v1/trunks', { name: 'carrier', host: 'sip.carrier.example' })).body.data.id as string;
        const numberId = (await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510000701', route: 'extension', routeTarget: '1001' })).body.data.id as string;
        const aiNumber = { number: '+390510000702', route: 'ai_agent', aiAgentProfile: 'support', crmWebhookSecret: SECRET };

        type Case = { what: string; method: 'POST' | 'PATCH'; url: string; body: unknown; field: string; code?: string };
        const trunk = (host: string): Case => ({ what: `trunk host ${host}`, method: 'POST', url: '/api/v1/trunks', body: { name: `x-${host}`, host }, field: 'host' });
        const webhook = (url: string): Case => ({ what: `webhook ${url}`, method: 'POST', url: '/api/v1/phone-numbers', body: { ...aiNumber, crmWebhookUrl: url }, field: 'crmWebhookUrl' });
        const cases: Case[] = [
          ...['169.254.169.254', '10.0.0.1', 'localhost', '0.0.0.0', '[::1]', '::1', 'metadata.google.internal', '127.0.0.1', '172.16.0.1', '192.168.1.1',
            '100.64.0.1', 'fe80::1', 'fd00::1', '[::ffff:127.0.0.1]', '::ffff:169.254.169.254', 'foo.localhost', 'printer.local'].map(trunk),
          // Decimal, hex and short IPv4 forms: the host parser refuses them (not RFC 3261 hostnames).
          ...['2130706433', '0x7f000001', '0xa9fea9fe', '127.1', '0177.0.0.1'].map((host) => ({ ...trunk(host), code: 'validation_failed' })),
          { what: 'realm 10.0.0.1:5060', method: 'POST', url: '/api/v1/trunks', body: { name: 'r', host: 'sip.carrier.example', realm: '10.0.0.1:5060' }, field: 'realm' },
          { what: 'fromDomain metadata.google.internal', method: 'POST', url: '/api/v1/trunks', body: { name: 'f', host: 'sip.carrier.example', fromDomain: 'metadata.google.internal' }, field: 'fromDomain' },
          { what: 'trunk moved to 169.254.169.254', method: 'PATCH', url: `/api/v1/trunks/${publicTrunk}`, body: { host: '169.254.169.254' }, field: 'host' },
          { what: 'trunk moved to [::1]', method: 'PATCH', url: `/api/v1/trunks/${publicTrunk}`, body: { host: '[::1]' }, field: 'host' },
          { what: 'configure_sip_trunk 10.0.0.1', method: 'POST', url: `/api/v1/customers/${keys.acmeId}/phone_numbers/${numberId}/configure_sip_trunk`, body: { phone_number: { sip_trunk_host: '10.0.0.1' } }, field: 'phone_number.sip_trunk_host' },
          { what: 'configure_sip_trunk domain localhost', method: 'POST', url: `/api/v1/customers/${keys.acmeId}/phone_numbers/${numberId}/configure_sip_trunk`, body: { phone_number: { sip_trunk_host: 'sip.carrier.example', sip_trunk_domain: 'localhost' } }, field: 'phone_number.sip_trunk_domain' },
          ...['http://127.0.0.1:8080/tickets', 'http://localhost/tickets', 'http://[::1]/tickets', 'http://169.254.169.254/latest/meta-data/',
            'http://metadata.google.internal/computeMetadata/v1/', 'http://[fe80::1]/t', 'http://0x7f000001/t', 'http://2130706433/t', 'http://127.1/t',
            'http://[::ffff:169.254.169.254]/t', 'http://10.0.0.1/t', 'https://0.0.0.0/t'].map(webhook),
          { what: 'webhook moved to https://127.0.0.1/t', method: 'PATCH', url: `/api/v1/phone-numbers/${numberId}`, body: { crmWebhookUrl: 'https://127.0.0.1/t', crmWebhookSecret: SECRET }, field: 'crmWebhookUrl' },
        ];
        let accepted = 0;
        for (const c of cases) {
          const res = await call(app, keys.acme, c.method, c.url, c.body);
          if (res.status < 300) accepted++;
          t.equal(res.status, 400, c.what);
          t.match(res.body?.error, { code: c.code ?? 'destination_not_allowed', field: c.field }, `${c.what}: ${res.body?.error?.message}`);
        }
        t.comment(`SSRF destinations accepted for a tenant key: ${accepted} of ${cases.length}`);
        t.equal(accepted, 0);
        t.equal(await trunkCount(keys.acme), trunksBefore + 1, 'only the public trunk was stored');
        t.equal(await numberCount(keys.acme), numbersBefore + 1, 'only the number without a webhook was stored');
        t.match((await call(app, keys.acme, 'GET', `/api/v1/trunks/${publicTrunk}`)).body.data, { host: 'sip.carrier.example' }, 'the refused move changed nothing');
        t.match((await call(app, keys.acme, 'GET', `/api/v1/phone-numbers/${numberId}`)).body.data, { crmWebhookUrl: null });
      });

      t.test('an admin key may save them (the operator decides)', async (t) => {
        await adminTrunk(t, keys.acmeId, { name: 'lab', host: '10.0.0.1' });
        const number = await call(app, keys.admin, 'POST', `/api/v1/customers/${keys.acmeId}/phone-numbers`, {
          number: '+390510000703', route: 'ai_agent', aiAgentProfile: 'support', crmWebhookUrl: 'http://169.254.169.254/t', crmWebhookSecret: SECRET,
        });
        t.equal(number.status, 201);
      });

      t.test('a trunk test through a tenant key checks the address it would send to, whoever saved the trunk', async (t) => {
        const peer = await silentPeer(t);
        const hosts = ['127.0.0.1', '[::ffff:127.0.0.1]', 'localhost', '0.0.0.0', 'api.localhost'];
        const ids: string[] = [];
        for (const host of hosts) ids.push(await adminTrunk(t, keys.acmeId, { name: `saved-by-admin-${host}`, host, port: peer.port }));
        let sentTo = 0;
        for (const [i, id] of ids.entries()) {
          const res = await call(app, keys.acme, 'POST', `/api/v1/trunks/${id}/test?timeoutMs=300`);
          t.equal(res.status, 200, hosts[i]!);
          t.match(res.body.data, { reachable: false, statusCode: null, resolvedAddress: null, error: { code: 'destination_not_allowed' } }, `${hosts[i]}: ${res.body.data.error?.message}`);
          if (res.body.data.error?.code !== 'destination_not_allowed') sentTo++;
        }
        const number = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510000704', route: 'extension', routeTarget: '1001', trunkId: ids[0] });
        const viaNumber = await call(app, keys.acme, 'POST', `/api/v1/customers/${keys.acmeId}/phone_numbers/${number.body.data.id}/test_sip_trunk?timeout_ms=300`);
        t.match(viaNumber.body.data, { reachable: false, resolved_address: null, error: { code: 'destination_not_allowed' } }, 'the guide\'s test_sip_trunk too');
        t.equal(sentTo, 0, `0 of ${hosts.length + 1} tests sent anything`);
        t.equal(peer.received(), 0, 'the loopback peer got no datagram');

        const audit = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('audit_log').select('after').where('action', '=', 'test').where('resource_id', '=', ids[0]!).execute());
        t.match(audit.map((a) => a.after), [{ error: 'destination_not_allowed' }], 'the refused test is in the audit log');

        const byAdmin = await call(app, keys.admin, 'POST', `/api/v1/customers/${keys.acmeId}/trunks/${ids[0]}/test?timeoutMs=300`);
        t.match(byAdmin.body.data, { reachable: false, resolvedAddress: `127.0.0.1:${peer.port}`, error: { code: 'timeout' } }, 'an admin key is not held to the policy');
        t.ok(await eventually('an OPTIONS at the peer', () => peer.received() > 0, SENT), 'and its OPTIONS reached the peer');
      });
    });

    t.test('DESTINATION_ALLOW lets the operator\'s ranges through, for saving and for testing', async (t) => {
      ctx = await demoApp(backend, { DESTINATION_ALLOW: '127.0.0.0/8,10.0.0.0/8,169.254.0.0/16' });
      t.teardown(ctx.close);
      keys = await demoKeys(ctx.store);
      const peer = await silentPeer(t);
      for (const host of ['10.0.0.1', '169.254.169.254', '[::ffff:10.1.2.3]']) {
        t.equal((await call(ctx.app, keys.acme, 'POST', '/api/v1/trunks', { name: `ok-${host}`, host })).status, 201, host);
      }
      const webhook = await call(ctx.app, keys.acme, 'POST', '/api/v1/phone-numbers', {
        number: '+390510000705', route: 'ai_agent', aiAgentProfile: 'support', crmWebhookUrl: 'http://10.20.30.40:8080/t', crmWebhookSecret: SECRET,
      });
      t.equal(webhook.status, 201, 'a webhook in an allowed range');
      const refused = await call(ctx.app, keys.acme, 'POST', '/api/v1/trunks', { name: 'still', host: '192.168.1.1' });
      t.match(refused.body.error, { code: 'destination_not_allowed', field: 'host' }, 'a range not listed stays refused');
      t.match((await call(ctx.app, keys.acme, 'POST', '/api/v1/trunks', { name: 'lh', host: 'localhost' })).body.error, { code: 'destination_not_allowed' }, 'an internal name stays refused');

      for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]']) {
        const made = await call(ctx.app, keys.acme, 'POST', '/api/v1/trunks', { name: `peer-${host}`, host, port: peer.port });
        t.equal(made.status, 201, host);
        const before = peer.received();
        const res = await call(ctx.app, keys.acme, 'POST', `/api/v1/trunks/${made.body.data.id}/test?timeoutMs=300`);
        t.match(res.body.data, { resolvedAddress: new RegExp(`^(127\\.0\\.0\\.1|\\[::ffff:7f00:1\\]):${peer.port}$`), error: { code: 'timeout' } }, `${host} is tested`);
        t.ok(await eventually(`an OPTIONS to ${host} at the peer`, () => peer.received() > before, SENT), `the OPTIONS to ${host} reached the peer`);
      }
    });

    t.test('trunk tests are limited per customer over every path', async (t) => {
      ctx = await demoApp(backend, { DESTINATION_ALLOW: '', TRUNK_TEST_RATE_LIMIT_PER_MINUTE: '3' });
      t.teardown(ctx.close);
      keys = await demoKeys(ctx.store);
      const acmeTrunk = await adminTrunk(t, keys.acmeId, { name: 'lab', host: '127.0.0.1', port: 9 });
      const globexTrunk = await adminTrunk(t, keys.globexId, { name: 'lab', host: '127.0.0.1', port: 9 });
      const number = await call(ctx.app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510000706', route: 'extension', routeTarget: '1001', trunkId: acmeTrunk });
      const paths = [
        `/api/v1/trunks/${acmeTrunk}/test`,
        `/api/v1/customers/${keys.acmeId}/trunks/${acmeTrunk}/test`,
        `/api/v1/customers/${keys.acmeId}/phone_numbers/${number.body.data.id}/test_sip_trunk`,
      ];
      for (const path of paths) t.equal((await call(ctx.app, keys.acme, 'POST', path)).status, 200, path);
      const limited = await call(ctx.app, keys.acme, 'POST', paths[0]!);
      t.equal(limited.status, 429, 'the fourth test in a minute');
      t.match(limited.body.error, { code: 'rate_limited', message: /3 trunk tests a minute/ });
      const retryAfter = Number(limited.headers['retry-after']);
      t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter} s`);
      t.equal((await call(ctx.app, keys.globex, 'POST', `/api/v1/trunks/${globexTrunk}/test`)).status, 200, 'another customer has its own allowance');
      t.equal((await call(ctx.app, keys.acme, 'GET', '/api/v1/trunks')).status, 200, 'other routes are not limited by it');
    });
  });
}
