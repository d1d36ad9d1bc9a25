import t from 'tap';
import { claimDue, settle } from '../../src/domain/recurring-call-executions.js';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';

/** The demo app's clock: Monday 23 November 2026, 10:00 UTC. */
const NOW = '2026-11-23T10:00:00Z';

for (const backend of backends) {
  t.test(`${backend.name}: recurring calls API`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    ctx.setNow(NOW);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const extensionId = async (tenantId: string, number: string) =>
      (await ctx.store.withTenant(tenantId, (trx) => trx.selectFrom('extensions').select('id').where('extension', '=', number).executeTakeFirstOrThrow())).id;
    const ext1001 = await extensionId(keys.acmeId, '1001');
    const ext1002 = await extensionId(keys.acmeId, '1002');
    const globex1001 = await extensionId(keys.globexId, '1001');
    const collection = (ext: string) => `/api/v1/extensions/${ext}/recurring-calls`;
    const create = (body: unknown, key = keys.acme, ext = ext1001) => call(app, key, 'POST', collection(ext), body);
    const audit = (id: string) =>
      ctx.store.withTenant(keys.acmeId, (trx) => trx.selectFrom('audit_log').select(['action', 'resource_type', 'before', 'after']).where('resource_id', '=', id).orderBy('id').execute());

    let daily = '';
    t.test('the guide\'s three schedules: 201 with nextExecution in UTC', async (t) => {
      const res = await create({ destinationNumber: '+1234567890', schedule: { frequency: 'daily', time: '09:00', timezone: 'America/New_York' } });
      t.equal(res.status, 201);
      daily = res.body.data.id;
      t.same(Object.keys(res.body.data).sort(), ['createdAt', 'destinationNumber', 'enabled', 'extensionId', 'id', 'lastExecution', 'nextExecution', 'schedule', 'updatedAt']);
      t.match(res.body.data, {
        id: /^[0-9a-f-]{36}$/, extensionId: ext1001, destinationNumber: '+1234567890', enabled: true,
        nextExecution: '2026-11-23T14:00:00.000Z', lastExecution: null,
      }, 'today 09:00 EST');
      t.same(res.body.data.schedule, { frequency: 'daily', time: '09:00', timezone: 'America/New_York' }, 'no day fields on a daily schedule');
      t.match(await audit(daily), [{ action: 'recurring_call_created', resource_type: 'recurring_call', after: { destination_number: '+1234567890', time_of_day: '09:00' } }]);

      const weekly = await create({ destinationNumber: '+1234567890', schedule: { frequency: 'weekly', time: '10:30', dayOfWeek: 1, timezone: 'America/Los_Angeles' } });
      t.equal(weekly.status, 201);
      t.match(weekly.body.data, { schedule: { frequency: 'weekly', time: '10:30', dayOfWeek: 1, timezone: 'America/Los_Angeles' }, nextExecution: '2026-11-23T18:30:00.000Z' }, 'this Monday 10:30 PST');

      const monthly = await create({ destinationNumber: '+1234567890', schedule: { frequency: 'monthly', time: '15:00', dayOfMonth: 15, timezone: 'Europe/Madrid' } });
      t.match(monthly.body.data, { schedule: { dayOfMonth: 15 }, nextExecution: '2026-12-15T14:00:00.000Z' }, '15 December 15:00 CET');

      const lastDay = await create({ destinationNumber: '+1234567890', schedule: { frequency: 'monthly', time: '15:00', dayOfMonth: 31, timezone: 'Europe/Madrid' } });
      t.match(lastDay.body.data, { nextExecution: '2026-11-30T14:00:00.000Z' }, 'the 31st in November is the 30th');
    });

    t.test('defaults and destinations: the customer\'s time zone, an extension, 00 numbers, disabled', async (t) => {
      const zone = await create({ destinationNumber: '1002', schedule: { frequency: 'daily', time: '09:00' } }, keys.acme, ext1001);
      t.equal(zone.status, 201);
      t.match(zone.body.data, { destinationNumber: '1002', schedule: { timezone: 'Europe/Rome' }, nextExecution: '2026-11-24T08:00:00.000Z' }, 'Acme\'s zone; 09:00 CET has passed today');
      const intl = await create({ destinationNumber: '0039 02 1234-5678', schedule: { frequency: 'daily', time: '18:00', timezone: 'europe/madrid' } }, keys.acme, ext1002);
      t.match(intl.body.data, { destinationNumber: '+390212345678', extensionId: ext1002, schedule: { timezone: 'Europe/Madrid' }, nextExecution: '2026-11-23T17:00:00.000Z' }, 'the zone as IANA spells it');
      const off = await create({ destinationNumber: '+390212345678', enabled: false, schedule: { frequency: 'daily', time: '18:00', timezone: 'UTC' } });
      t.match(off.body.data, { enabled: false, nextExecution: null });
    });

    t.test('validation errors name the field', async (t) => {
      const schedule = { frequency: 'daily', time: '09:00', timezone: 'Europe/Madrid' };
      const cases: Array<[string, unknown, string, RegExp?]> = [
        ['weekly without dayOfWeek', { destinationNumber: '+1234567890', schedule: { ...schedule, frequency: 'weekly' } }, 'schedule.dayOfWeek', /weekly schedule needs dayOfWeek/],
        ['monthly without dayOfMonth', { destinationNumber: '+1234567890', schedule: { ...schedule, frequency: 'monthly' } }, 'schedule.dayOfMonth', /monthly schedule needs dayOfMonth/],
        ['an unknown time zone', { destinationNumber: '+1234567890', schedule: { ...schedule, timezone: 'Mars/Olympus_Mons' } }, 'schedule.timezone', /unknown time zone/],
        ['24:00', { destinationNumber: '+1234567890', schedule: { ...schedule, time: '24:00' } }, 'schedule.time'],
        ['9:00', { destinationNumber: '+1234567890', schedule: { ...schedule, time: '9:00' } }, 'schedule.time'],
        ['dayOfWeek 7', { destinationNumber: '+1234567890', schedule: { ...schedule, frequency: 'weekly', dayOfWeek: 7 } }, 'schedule.dayOfWeek'],
        ['dayOfMonth 0', { destinationNumber: '+1234567890', schedule: { ...schedule, frequency: 'monthly', dayOfMonth: 0 } }, 'schedule.dayOfMonth'],
        ['dayOfMonth on a daily schedule', { destinationNumber: '+1234567890', schedule: { ...schedule, dayOfMonth: 3 } }, 'schedule.dayOfMonth', /for monthly schedules/],
        ['yearly', { destinationNumber: '+1234567890', schedule: { ...schedule, frequency: 'yearly' } }, 'schedule.frequency'],
        ['no schedule', { destinationNumber: '+1234567890' }, 'schedule'],
        ['no time', { destinationNumber: '+1234567890', schedule: { frequency: 'daily' } }, 'schedule.time'],
        ['no destination', { schedule }, 'destinationNumber'],
        ['a destination that is no number', { destinationNumber: 'reception', schedule }, 'destinationNumber', /E\.164/],
        ['an unknown short number', { destinationNumber: '4444', schedule }, 'destinationNumber', /extension number of this customer/],
        ['the calling extension itself', { destinationNumber: '1001', schedule }, 'destinationNumber', /calling extension 1001/],
        ['another API\'s field name', { toNumber: '+1234567890', schedule }, 'toNumber', /did you mean destinationNumber/],
        ['a misspelt schedule field', { destinationNumber: '+1234567890', schedule: { ...schedule, timeZone: 'UTC' } }, 'schedule.timeZone', /did you mean schedule.timezone/],
      ];
      for (const [what, body, field, message] of cases) {
        const res = await create(body);
        t.equal(res.status, 400, what);
        t.match(res.body, { error: { code: 'validation_failed', field, ...(message ? { message } : {}) } }, `${what}: ${field}`);
      }
    });

    t.test('list per extension, get, and another customer\'s records are not found', async (t) => {
      const list = await call(app, keys.acmeRead, 'GET', collection(ext1001));
      t.equal(list.status, 200);
      t.equal(list.body.data.length, 6, 'the six of 1001, oldest first');
      t.equal(list.body.data[0].id, daily);
      t.equal((await call(app, keys.acmeRead, 'GET', collection(ext1002))).body.data.length, 1);
      t.match(await call(app, keys.acmeRead, 'GET', `/api/v1/recurring-calls/${daily}`), { status: 200, body: { data: { id: daily } } });
      const admin = await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}/extensions/${ext1001}/recurring-calls`);
      t.equal(admin.body.data.length, 6, 'an admin under /customers/{id}');

      for (const [method, url, body] of [
        ['GET', collection(ext1001), undefined],
        ['POST', collection(ext1001), { destinationNumber: '+1234567890', schedule: { frequency: 'daily', time: '09:00' } }],
        ['GET', `/api/v1/recurring-calls/${daily}`, undefined],
        ['PUT', `/api/v1/recurring-calls/${daily}`, { enabled: false }],
        ['DELETE', `/api/v1/recurring-calls/${daily}`, undefined],
        ['GET', `/api/v1/recurring-calls/${daily}/executions`, undefined],
      ] as const) {
        t.match(await call(app, keys.globex, method, url, body), { status: 404, body: { error: { code: 'not_found' } } }, `${method} ${url} by another customer`);
      }
      t.equal((await create({ destinationNumber: '+1234567890', schedule: { frequency: 'daily', time: '09:00' } }, keys.acme, globex1001)).status, 404, 'Acme cannot schedule from Globex\'s extension');
      t.equal((await create({ destinationNumber: '+1234567890', schedule: { frequency: 'daily', time: '09:00' } }, keys.acmeRead)).status, 403, 'a read-only key cannot write');
    });

    t.test('update: the guide\'s disable and new destination; schedule fields; re-enable recomputes', async (t) => {
      const url = `/api/v1/recurring-calls/${daily}`;
      const off = await call(app, keys.acme, 'PUT', url, { enabled: false, destinationNumber: '+9876543210' });
      t.equal(off.status, 200);
      t.match(off.body.data, { enabled: false, destinationNumber: '+9876543210', nextExecution: null });
      t.match((await audit(daily)).at(-1), { action: 'recurring_call_updated', before: { enabled: true, destination_number: '+1234567890' }, after: { enabled: false, destination_number: '+9876543210' } });

      const on = await call(app, keys.acme, 'PUT', url, { enabled: true });
      t.match(on.body.data, { enabled: true, nextExecution: '2026-11-23T14:00:00.000Z' });
      const later = await call(app, keys.acme, 'PUT', url, { schedule: { time: '04:30' } });
      t.match(later.body.data, { schedule: { frequency: 'daily', time: '04:30', timezone: 'America/New_York' }, nextExecution: '2026-11-24T09:30:00.000Z' }, '04:30 EST has passed today');
      const monthly = await call(app, keys.acme, 'PUT', url, { schedule: { frequency: 'monthly', dayOfMonth: 31 } });
      t.same(monthly.body.data.schedule, { frequency: 'monthly', time: '04:30', dayOfMonth: 31, timezone: 'America/New_York' });
      t.equal(monthly.body.data.nextExecution, '2026-11-30T09:30:00.000Z');
      const weekly = await call(app, keys.acme, 'PUT', url, { schedule: { frequency: 'weekly', dayOfWeek: 0 } });
      t.same(weekly.body.data.schedule, { frequency: 'weekly', time: '04:30', dayOfWeek: 0, timezone: 'America/New_York' }, 'the new frequency drops dayOfMonth');
      t.equal(weekly.body.data.nextExecution, '2026-11-29T09:30:00.000Z', 'Sunday 29 November');
      const same = await call(app, keys.acme, 'PUT', url, { destinationNumber: '1002' });
      t.match(same.body.data, { destinationNumber: '1002', nextExecution: '2026-11-29T09:30:00.000Z' }, 'the schedule unchanged: the next run too');

      t.match(await call(app, keys.acme, 'PUT', url, { schedule: { frequency: 'daily', dayOfWeek: 2 } }), { status: 400, body: { error: { field: 'schedule.dayOfWeek' } } });
      t.match(await call(app, keys.acme, 'PUT', url, { schedule: { frequency: 'monthly' } }), { status: 400, body: { error: { field: 'schedule.dayOfMonth' } } });
      t.match(await call(app, keys.acme, 'PUT', url, { schedule: { timezone: 'Europe/Atlantis' } }), { status: 400, body: { error: { field: 'schedule.timezone' } } });
      t.equal((await call(app, keys.acme, 'PUT', url, {})).status, 400, 'an empty update');
      t.equal((await call(app, keys.acme, 'PUT', '/api/v1/recurring-calls/00000000-0000-4000-8000-000000000000', { enabled: true })).status, 404);
    });

    t.test('executions: the history the scheduler records, newest first', async (t) => {
      const url = `/api/v1/recurring-calls/${daily}/executions`;
      t.same((await call(app, keys.acmeRead, 'GET', url)).body, { data: [] });
      const { occurrences } = await ctx.store.withScheduler((trx) =>
        claimDue(trx, { instanceId: 'test', now: new Date('2026-11-29T09:30:05Z'), leaseMs: 60_000, graceMs: 300_000, limit: 100 }),
      );
      const mine = occurrences.find((o) => o.recurringCallId === daily)!;
      await ctx.store.withScheduler((trx) => settle(trx, 'test', mine.executionId, { outcome: 'originated', startedAt: new Date('2026-11-29T09:30:06Z') }));
      const res = await call(app, keys.acmeRead, 'GET', url);
      t.equal(res.status, 200);
      t.same(res.body.data, [{
        id: mine.executionId, scheduledFor: '2026-11-29T09:30:00.000Z', callId: mine.callId, outcome: 'originated', hangupCause: null, error: null,
        attempts: 1, startedAt: '2026-11-29T09:30:06.000Z', finishedAt: null, cdrId: null,
      }]);
      t.match((await call(app, keys.acmeRead, 'GET', `/api/v1/recurring-calls/${daily}`)).body.data, { lastExecution: '2026-11-29T09:30:00.000Z', nextExecution: '2026-12-06T09:30:00.000Z' });
      t.match((await audit(daily)).at(-1), { action: 'recurring_call_executed', after: { callId: mine.callId, outcome: 'originated' } });
      t.equal((await call(app, keys.acmeRead, 'GET', `${url}?limit=0`)).status, 400);
    });

    t.test('delete: 204, gone with its history, audited', async (t) => {
      const url = `/api/v1/recurring-calls/${daily}`;
      const before = (await call(app, keys.acme, 'GET', url)).body.data;
      t.equal((await call(app, keys.acme, 'DELETE', url)).status, 204);
      t.equal((await call(app, keys.acme, 'GET', url)).status, 404);
      t.equal((await call(app, keys.acme, 'GET', `${url}/executions`)).status, 404);
      t.equal((await call(app, keys.acme, 'DELETE', url)).status, 404);
      t.match((await audit(daily)).at(-1), { action: 'recurring_call_deleted', before: { id: before.id, destination_number: '1002' }, after: null });
    });

    t.test('the OpenAPI document lists the routes', async (t) => {
      const paths = Object.keys(JSON.parse((await app.inject({ method: 'GET', url: '/docs/json' })).body).paths);
      for (const p of ['/api/v1/extensions/{id}/recurring-calls', '/api/v1/recurring-calls/{id}', '/api/v1/recurring-calls/{id}/executions', '/api/v1/customers/{customerId}/recurring-calls/{id}']) {
        t.ok(paths.includes(p), p);
      }
    });
  });
}
