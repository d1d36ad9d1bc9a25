/**
 * National numbers through the API (the W3 Suite guide's example 1 gives its DID as
 * 0510510510): an operator sets the customer's country, then the customer gives numbers in
 * Italian national format wherever the API takes a phone number (the number itself, a forward
 * target, an extension's forwarding number and caller ID, a recurring call's destination, a
 * click-to-call destination) and gets them back in E.164; a number that is not valid in Italy is
 * a 400 naming the field.
 */
import t from 'tap';
import { buildApp } from '../../src/wiring/http.js';
import { CallControl } from '../../src/esl/call-control.js';
import { ChannelTracker } from '../../src/esl/channels.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { eslRig } from '../helpers/esl-controller.js';

for (const backend of backends) {
  t.test(`${backend.name}: national numbers in the API`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const ext = async (n: string) => (await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('extensions').select('id').where('extension', '=', n).executeTakeFirstOrThrow())).id;

    t.test('an operator sets the customer\'s country; a code that is not a country is named', async (t) => {
      t.equal((await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}`)).body.data.country, null, 'unset until the operator sets it');
      for (const bad of ['Italy', 'XX', 'UK', '39']) {
        const res = await call(app, keys.admin, 'PATCH', `/api/v1/customers/${keys.acmeId}`, { country: bad });
        t.equal(res.status, 400, bad);
        t.match(res.body.error, { code: 'validation_failed', field: 'country' }, bad);
      }
      const set = await call(app, keys.admin, 'PATCH', `/api/v1/customers/${keys.acmeId}`, { country: 'it' });
      t.equal(set.status, 200);
      t.equal(set.body.data.country, 'IT', 'stored upper case');
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/customers/${keys.acmeId}`)).body.data.country, 'IT', 'the customer reads it');
      t.equal((await call(app, keys.acme, 'PATCH', `/api/v1/customers/${keys.acmeId}`, { country: 'FR' })).status, 403, 'only an operator changes it');
      const audit = await ctx.store.withOperator((db) => db.selectFrom('audit_log').select(['before', 'after']).where('resource_id', '=', keys.acmeId).where('action', '=', 'update').execute());
      t.match(audit.at(-1), { before: { country: null }, after: { country: 'IT' } });

      const created = await call(app, keys.admin, 'POST', '/api/v1/customers', { name: 'Muster GmbH', sipDomain: 'muster.switchplane.test', timezone: 'Europe/Berlin', country: 'DE' });
      t.equal(created.status, 201);
      t.equal(created.body.data.country, 'DE');
      const plain = await call(app, keys.admin, 'POST', '/api/v1/customers', { name: 'Plain', sipDomain: 'plain.switchplane.test' });
      t.equal(plain.body.data.country, null, 'no country unless given');
      t.equal((await call(app, keys.admin, 'PATCH', `/api/v1/customers/${created.body.data.id}`, { country: null })).body.data.country, null, 'null clears it');
    });

    t.test('a number created as 0510510597 for the Italian customer is stored as +390510510597', async (t) => {
      const created = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '0510510597', route: 'extension', routeTarget: '1002' });
      t.equal(created.status, 201);
      t.equal(created.body.data.number, '+390510510597');
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/phone-numbers/${created.body.data.id}`)).body.data.number, '+390510510597');
      const forward = await call(app, keys.acme, 'PUT', `/api/v1/phone-numbers/${created.body.data.id}`, { route: 'forward', routeTarget: '333 111 2222' });
      t.equal(forward.status, 200);
      t.equal(forward.body.data.routeTarget, '+393331112222', 'a forward target in national format');
      const spaced = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '051 051 0596', routeTarget: '1001' });
      t.equal(spaced.body.data.number, '+390510510596');
      const e164 = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+1 212 555 0142', routeTarget: '1001' });
      t.equal(e164.body.data.number, '+12125550142', 'E.164 is read as before');

      const invalid = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '0510', routeTarget: '1001' });
      t.equal(invalid.status, 400);
      t.match(invalid.body.error, { code: 'validation_failed', field: 'number', message: /valid number of the customer's country IT/ });
      const badForward = await call(app, keys.acme, 'PUT', `/api/v1/phone-numbers/${created.body.data.id}`, { routeTarget: '0510' });
      t.match(badForward.body.error, { field: 'routeTarget' });
      const taken = await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '0510510510', routeTarget: '1001' });
      t.equal(taken.status, 409, 'the national form of a number already held is the same number');

      const globex = await call(app, keys.globex, 'POST', '/api/v1/phone-numbers', { number: '0510510595', routeTarget: '1001' });
      t.equal(globex.status, 400, 'a customer without a country gives E.164');
      t.match(globex.body.error, { field: 'number', message: /E\.164/ });
    });

    t.test('an extension\'s forwarding number and caller ID in national format', async (t) => {
      const id = await ext('1001');
      const res = await call(app, keys.acme, 'PUT', `/api/v1/extensions/${id}`, { forwardingEnabled: true, forwardingNumber: '333 123 4567', callerIdNumber: '051 0510511' });
      t.equal(res.status, 200);
      t.match(res.body.data, { forwardingNumber: '+393331234567', callerIdNumber: '+390510510511' });
      const toExtension = await call(app, keys.acme, 'PUT', `/api/v1/extensions/${id}`, { forwardingNumber: '1002', callerIdNumber: null });
      t.match(toExtension.body.data, { forwardingNumber: '1002', callerIdNumber: null }, 'extension digits stay extension digits');
      const bad = await call(app, keys.acme, 'PUT', `/api/v1/extensions/${id}`, { forwardingNumber: '+39 0510' });
      t.equal(bad.status, 400);
      t.match(bad.body.error, { field: 'forwardingNumber' });
      const created = await call(app, keys.acme, 'POST', '/api/v1/extensions', { displayName: 'Reception', callerIdNumber: '0510510511' });
      t.equal(created.status, 201);
      t.equal(created.body.data.callerIdNumber, '+390510510511');
      t.equal((await call(app, keys.acme, 'PUT', `/api/v1/extensions/${id}`, { forwardingEnabled: false })).status, 200);
    });

    t.test('a recurring call to a national number', async (t) => {
      const url = `/api/v1/extensions/${await ext('1002')}/recurring-calls`;
      const schedule = { frequency: 'daily', time: '09:00' };
      const res = await call(app, keys.acme, 'POST', url, { destinationNumber: '0510510512', schedule });
      t.equal(res.status, 201);
      t.equal(res.body.data.destinationNumber, '+390510510512');
      const bad = await call(app, keys.acme, 'POST', url, { destinationNumber: '0510', schedule });
      t.equal(bad.status, 400);
      t.match(bad.body.error, { field: 'destinationNumber', message: /IT/ });
    });
  });

  t.test(`${backend.name}: click-to-call to a national number`, async (t) => {
    const ctx = await demoApp(backend);
    const keys = await demoKeys(ctx.store);
    const tracker = new ChannelTracker({ store: ctx.store, metrics: ctx.metrics, onError: (err) => t.error(err), countDelayMs: 5 });
    const rig = await eslRig(t, [tracker], ctx.metrics, (cmd) => {
      if (cmd === 'show channels as json') return '{"row_count": 0}\n';
      const placed = /^originate \{origination_uuid=([0-9a-f-]+),/.exec(cmd)?.[1];
      return placed ? `+OK ${placed}\n` : undefined;
    });
    const app = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics, esl: rig.nodes, calls: new CallControl({ nodes: rig.nodes, channels: tracker }) });
    t.teardown(async () => {
      await app.close();
      await tracker.close();
      await ctx.close();
    });
    await ctx.store.withOperator((db) => db.updateTable('tenants').set({ country: 'IT' }).where('id', '=', keys.acmeId).execute());

    const res = await call(app, keys.acme, 'POST', '/api/v1/calls', { extension: '1001', destination: '02 1234 5678' });
    t.equal(res.status, 202);
    t.equal(res.body.data.destination, '+390212345678', 'the destination as E.164');
    const sent = await rig.server.waitForCommand(/^bgapi originate /);
    t.match(sent.command, / \+390212345678 XML acme\.switchplane\.test$/, 'FreeSWITCH is asked to dial the E.164 number');

    const bad = await call(app, keys.acme, 'POST', '/api/v1/calls', { extension: '1001', destination: '0212' });
    t.equal(bad.status, 400);
    t.match(bad.body.error, { field: 'destination', message: /valid national number of IT/ });
  });
}
