/**
 * The dialplan answers (mod_xml_curl) for numbers in national format, as the W3 Suite guide's
 * example 1 has them: a carrier presents the DID 0510510510, an extension dials 0510510512.
 * Until the operator sets the customer's country both are UNALLOCATED_NUMBER; with IT the DID
 * reaches its route and the dialled number goes out through the trunks as E.164. A national DID
 * that two customers own in their own countries reaches neither.
 */
import t, { type Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call as api, demoKeys } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { FORM, fixtureBody, rewrite } from '../helpers/fixtures.js';
import { dialplan } from '../helpers/xml.js';

const ACME = 'acme.switchplane.test';

/** The captured INVITE dialplan fetch, re-addressed. */
function invite(context: string, destination: string, user = ''): string {
  return rewrite(fixtureBody('dialplan-invite.txt'), {
    'Caller-Context': context, 'Hunt-Context': context,
    'Caller-Destination-Number': destination, 'Hunt-Destination-Number': destination,
    'Caller-Caller-ID-Number': '3297626144', 'Hunt-Caller-ID-Number': '3297626144',
    variable_user_name: user, variable_domain_name: context,
  });
}

/** The dialplan for `destination` in `context`: its condition's expression and its applications. */
async function answer(app: FastifyInstance, context: string, destination: string, user = '') {
  const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload: invite(context, destination, user) });
  const d = dialplan(res.body);
  return { expression: d.expression, apps: d.actions.map(([a, data]) => (data === undefined ? a : `${a} ${data}`)) };
}

for (const backend of backends) {
  t.test(`national numbers in the dialplan on ${backend.name}`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const mainTrunk = (await ctx.store.withLookup((db) => db.selectFrom('trunks').select('id').where('name', '=', 'acme-main').executeTakeFirstOrThrow())).id;
    /** The answer for `destination` once `ok` holds (a customer's change reaches the cache through PostgreSQL NOTIFY). */
    const answerWhen = (context: string, destination: string, user: string, ok: (apps: string[]) => boolean) =>
      eventually(`the dialplan for ${destination} in ${context}`, () => answer(app, context, destination, user), { until: (a) => ok(a.apps), timeoutMs: 5000, intervalMs: 50 });
    const setCountry = async (t: Test, customerId: string, country: string | null) =>
      t.equal((await api(app, keys.admin, 'PATCH', `/api/v1/customers/${customerId}`, { country })).status, 200, `country ${country}`);

    t.test('without a country, national numbers are UNALLOCATED_NUMBER as before', async (t) => {
      t.same((await answer(app, 'public', '0510510510')).apps.at(-1), 'hangup UNALLOCATED_NUMBER', 'the carrier\'s DID');
      t.same((await answer(app, ACME, '0510510512', '1001')).apps.at(-1), 'hangup UNALLOCATED_NUMBER', 'the number an extension dials');
    });

    t.test('a customer in IT: a carrier\'s 0510510510 reaches the AI receptionist, and 0510510511 the extension its DID routes to', async (t) => {
      await setCountry(t, keys.acmeId, 'IT');
      const ai = await answerWhen('public', '0510510510', '', (a) => a.includes('park'));
      t.equal(ai.expression, '^0510510510$', 'the condition matches the number as the carrier sent it');
      t.same(ai.apps.slice(-6), [
        'set switchplane_ai_profile=customer-care-voice',
        `set switchplane_tenant_id=${keys.acmeId}`,
        'set switchplane_did=+390510510510',
        'set switchplane_caller=3297626144',
        'answer',
        'park',
      ], 'the agent is told the DID in E.164');
      const ext = await answer(app, 'public', '0510510511');
      t.ok(ext.apps.includes(`set domain_name=${ACME}`));
      t.ok(ext.apps.includes(`bridge user/1001@${ACME}`), '+390510510511 routes to 1001');
      t.ok((await answer(app, 'public', '+390510510511')).apps.includes(`bridge user/1001@${ACME}`), 'E.164 as before');
      t.same((await answer(app, 'public', '0510510599')).apps.at(-1), 'hangup UNALLOCATED_NUMBER', 'a national number nobody owns');
    });

    t.test('an extension of the customer in IT dials 0510510512: out through the trunks as +390510510512', async (t) => {
      const out = await answer(app, ACME, '0510510512', '1001');
      t.equal(out.expression, '^0510510512$');
      const bridges = out.apps.filter((a) => a.startsWith('limit_execute hash switchplane_trunk '));
      t.ok(bridges.length >= 1, 'bridged through the trunks');
      t.ok(bridges.every((a) => a.endsWith('/+390510510512')), 'every trunk is given the E.164 number');
      t.ok(bridges[0]!.includes(`sofia/gateway/${mainTrunk}/+390510510512`), 'acme-main first');
      t.ok((await answer(app, ACME, '1002', '1001')).apps.includes(`bridge user/1002@${ACME}`), 'extensions stay extensions');
      t.same((await answer(app, ACME, '0510', '1001')).apps.at(-1), 'hangup UNALLOCATED_NUMBER', 'a number not valid in IT');
    });

    t.test('a national DID two customers own in their own countries reaches neither', async (t) => {
      await setCountry(t, keys.globexId, 'FR');
      const fr = await api(app, keys.globex, 'POST', '/api/v1/phone-numbers', { number: '05 10 51 05 11', routeTarget: '1001' });
      t.equal(fr.body.data.number, '+33510510511', 'the same digits are a French number for Globex');
      const both = await answerWhen('public', '0510510511', '', (a) => !a.includes(`bridge user/1001@${ACME}`));
      t.same(both.apps, ['log NOTICE Switchplane rejects the call: national number of several customers: +33510510511, +390510510511', 'hangup UNALLOCATED_NUMBER']);
      t.ok((await answer(app, 'public', '+33510510511')).apps.includes('bridge user/1001@globex.switchplane.test'), 'in E.164 each reaches its own');
      t.ok((await answer(app, 'public', '+390510510511')).apps.includes(`bridge user/1001@${ACME}`));
    });

    t.test('the country unset again: national numbers are refused again', async (t) => {
      await setCountry(t, keys.acmeId, null);
      const after = await answerWhen('public', '0510510510', '', (a) => !a.includes('park'));
      t.same(after.apps.at(-1), 'hangup UNALLOCATED_NUMBER');
    });
  });
}
