import t from 'tap';
import { findUnstorable, MAX_DEPTH } from '../../src/api/storable-text.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';

const NUL = 'Mario\u0000Rossi';
/** An error answer quotes at most an excerpt: none of these is near a large value's size. */
const SMALL = 1024;

t.test('what no stored text may hold, and where it is', async (t) => {
  const refused: Array<[unknown, string, RegExp]> = [
    [{ displayName: 'a\u0000b' }, 'displayName', /U\+0000 \(NUL\) at character 1/],
    [{ tags: ['ok', 'x\u0007'] }, 'tags.1', /U\+0007/],
    [{ a: { b: { c: '\u001b[31m' } } }, 'a.b.c', /U\+001B/],
    [{ v: '\u000b' }, 'v', /U\+000B/],
    [{ v: 'x\ufffe' }, 'v', /U\+FFFE/],
    [{ v: '\uffff' }, 'v', /U\+FFFF/],
    [{ v: 'x\ud83d' }, 'v', /lone surrogate U\+D83D/],
    [{ v: '\ude00x' }, 'v', /lone surrogate U\+DE00/],
    [{ 'na\u0000me': 'x' }, 'na\\u0000me', /field name in the body holds U\+0000/],
    ['plain\u0000text', 'body', /the body holds U\+0000/],
  ];
  for (const [value, field, message] of refused) {
    const err = findUnstorable(value);
    t.equal(err?.statusCode, 400, `${JSON.stringify(value)}`);
    t.equal(err?.field, field);
    t.match(err?.message, message);
  }
  const fine = { name: 'Zoë Ölund 😀 עברית', notes: 'tab\there\nline\r\n', n: 1, b: true, nil: null, list: [1, 'two', { three: 3 }], private: '\ue000', c1: '\u0085' };
  t.equal(findUnstorable(fine), undefined, 'tab, LF, CR, surrogate pairs, private use and C1 are stored as sent');

  let deep: unknown = 'leaf';
  for (let i = 0; i < MAX_DEPTH; i++) deep = [deep];
  t.equal(findUnstorable(deep), undefined, `${MAX_DEPTH} levels are accepted`);
  let deeper: unknown = 'leaf';
  for (let i = 0; i < 500_000; i++) deeper = [deeper];
  const tooDeep = findUnstorable({ x: deeper });
  t.equal(tooDeep?.field, `x${'.0'.repeat(MAX_DEPTH - 1)}`, 'half a million levels: refused at the limit, without recursion');
  t.match(tooDeep?.message, /nested more than 32 levels deep/);

  const longKey = findUnstorable({ ['k'.repeat(100_000) + '\u0000']: 1 });
  t.ok(longKey!.field!.length <= 70, 'a long field name is named by its first characters');
});

for (const backend of backends) {
  t.test(`${backend.name}: requests with text the database or XML cannot hold`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    const ext = (await call(app, keys.acme, 'GET', '/api/v1/extensions')).body.data[0];
    const trunk = (await call(app, keys.acme, 'GET', '/api/v1/trunks')).body.data[0];
    const counts = async () => ctx.store.withOperator(async (db) => ({
      tenants: (await db.selectFrom('tenants').select('id').execute()).length,
      keys: (await db.selectFrom('api_keys').select('id').execute()).length,
    }));
    const extensionCount = async () => (await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('extensions').select('id').execute())).length;

    t.test('a NUL in a name answers 400 naming the field, and nothing is stored', async (t) => {
      const before = { ...(await counts()), extensions: await extensionCount() };
      const cases: Array<[string, 'POST' | 'PATCH' | 'PUT', string, object, string]> = [
        ['customer name', 'POST', '/api/v1/customers', { name: NUL, sipDomain: 'nul.switchplane.test' }, 'name'],
        ['customer rename', 'PATCH', `/api/v1/customers/${keys.acmeId}`, { name: NUL }, 'name'],
        ['API key name', 'POST', '/api/v1/api-keys', { name: NUL, scopes: ['admin'] }, 'name'],
        ['new extension displayName', 'POST', '/api/v1/extensions', { extensionNumber: '4401', displayName: NUL }, 'displayName'],
        ['new extension callerIdName', 'POST', '/api/v1/extensions', { extensionNumber: '4402', callerIdName: NUL }, 'callerIdName'],
        ['new extension userId', 'POST', '/api/v1/extensions', { extensionNumber: '4403', userId: NUL }, 'userId'],
        ['extension displayName', 'PATCH', `/api/v1/extensions/${ext.id}`, { displayName: NUL }, 'displayName'],
        ['extension callerIdName', 'PATCH', `/api/v1/extensions/${ext.id}`, { callerIdName: NUL }, 'callerIdName'],
        ['extension userId', 'PATCH', `/api/v1/extensions/${ext.id}`, { userId: NUL }, 'userId'],
        ['extension displayName (PUT)', 'PUT', `/api/v1/extensions/${ext.id}`, { displayName: NUL }, 'displayName'],
        ['an admin\'s extension for a customer', 'POST', `/api/v1/customers/${keys.acmeId}/extensions`, { extensionNumber: '4404', displayName: NUL }, 'displayName'],
        ['trunk provider', 'PATCH', `/api/v1/trunks/${trunk.id}`, { provider: NUL }, 'provider'],
        ['number description', 'POST', '/api/v1/phone-numbers', { number: '+390510519999', description: NUL }, 'description'],
      ];
      for (const [what, method, url, body, field] of cases) {
        const key = url.includes('customers') || url.includes('api-keys') ? keys.admin : keys.acme;
        const res = await call(app, key, method, url, body);
        t.equal(res.status, 400, what);
        t.match(res.body.error, { code: 'validation_failed', field, message: /U\+0000 \(NUL\)/ }, what);
      }
      t.same({ ...(await counts()), extensions: await extensionCount() }, before);
      const still = await call(app, keys.acme, 'GET', `/api/v1/extensions/${ext.id}`);
      t.equal(still.body.data.displayName, ext.displayName);
    });

    t.test('other characters: controls, U+FFFE/U+FFFF and lone surrogates; in arrays, objects, the query and the path', async (t) => {
      const cases: Array<[string, string, unknown, string]> = [
        ['PATCH', `/api/v1/extensions/${ext.id}`, { displayName: 'bell\u0007' }, 'displayName'],
        ['PATCH', `/api/v1/extensions/${ext.id}`, { displayName: 'x\ufffe' }, 'displayName'],
        ['PATCH', `/api/v1/extensions/${ext.id}`, { callerIdName: 'half \ud83d' }, 'callerIdName'],
        ['PATCH', `/api/v1/extensions/${ext.id}`, { allowedCodecs: ['PCMU', 'PC\u0000MA'] }, 'allowedCodecs.1'],
        ['POST', '/api/v1/phone-numbers', { number: '+390510519998', businessHours: { monday: { start: '09:00\u0000', end: '17:00' } } }, 'businessHours.monday.start'],
        ['GET', '/api/v1/extensions?userId=a%00b', undefined, 'userId'],
        ['GET', '/api/v1/extensions/abc%00', undefined, 'id'],
        ['GET', '/api/v1/cdrs?number=%EF%BF%BF', undefined, 'number'],
      ];
      for (const [method, url, body, field] of cases) {
        const res = await call(app, keys.acme, method as 'GET', url, body);
        t.equal(res.status, 400, `${method} ${url} ${JSON.stringify(body)}`);
        t.match(res.body.error, { code: 'validation_failed', field });
      }
      const fine = await call(app, keys.acme, 'PATCH', `/api/v1/extensions/${ext.id}`, { displayName: 'Zoë 😀 Ölund' });
      t.equal(fine.status, 200, 'letters of any script and surrogate pairs are stored');
      t.equal(fine.body.data.displayName, 'Zoë 😀 Ölund');
    });

    t.test('values type coercion used to let through: a one-item array for a string, a number string beyond double range', async (t) => {
      for (const [url, key, body, field] of [
        [`/api/v1/extensions/${ext.id}`, keys.acme, { callerIdName: ['Mario'] }, 'callerIdName'],
        [`/api/v1/extensions/${ext.id}`, keys.acme, { displayName: [['Mario']] }, 'displayName'],
        [`/api/v1/extensions/${ext.id}`, keys.acme, { maxConcurrentCalls: '1e400' }, 'maxConcurrentCalls'],
        [`/api/v1/customers/${keys.acmeId}`, keys.admin, { maxConcurrentCalls: '9'.repeat(342) }, 'maxConcurrentCalls'],
        [`/api/v1/trunks/${trunk.id}`, keys.acme, { port: 'Infinity' }, 'port'],
      ] as const) {
        const res = await call(app, key, 'PATCH', url, body);
        t.equal(res.status, 400, JSON.stringify(body).slice(0, 60));
        t.match(res.body.error, { code: 'validation_failed', field });
      }
      const still = await call(app, keys.acme, 'GET', `/api/v1/extensions/${ext.id}`);
      t.same([still.body.data.callerIdName, still.body.data.maxConcurrentCalls], [ext.callerIdName, ext.maxConcurrentCalls]);
    });

    t.test('a 1 MB timezone answers 400 naming timezone, with a small body', async (t) => {
      const huge = 'Europe/'.padEnd(1_000_000, 'x');
      for (const [method, url, body] of [
        ['POST', '/api/v1/customers', { name: 'Zone', sipDomain: 'zone.switchplane.test', timezone: huge }],
        ['PATCH', `/api/v1/customers/${keys.acmeId}`, { timezone: huge }],
      ] as const) {
        const res = await call(app, keys.admin, method, url, body);
        t.equal(res.status, 400);
        t.match(res.body.error, { code: 'validation_failed', field: 'timezone', message: /^timezone "Europe\/x+…" \(1000000 characters\) is not an IANA time zone$/ });
        t.ok(JSON.stringify(res.body).length < SMALL, `${method}: ${JSON.stringify(res.body).length} bytes`);
      }
    });

    t.test('no answer echoes a large value: unknown fields, query parameters, routes, nesting', async (t) => {
      const bigName = 'f'.repeat(500_000);
      const answers = [
        await call(app, keys.acme, 'PATCH', `/api/v1/extensions/${ext.id}`, { [bigName]: 1 }),
        await call(app, keys.acme, 'POST', `/api/v1/extensions/${ext.id}/recurring-calls`, { destinationNumber: '1002', schedule: { frequency: 'daily', time: '09:00', [bigName]: 1 } }),
        await call(app, keys.acme, 'GET', `/api/v1/cdrs?${'q'.repeat(8000)}=1`),
        await call(app, keys.acme, 'GET', `/api/v1/${'n'.repeat(8000)}`),
        await call(app, keys.acme, 'POST', '/api/v1/phone-numbers', { number: '+390510519997', businessHours: { [bigName]: null } }),
      ];
      for (const res of answers) {
        t.ok(res.status === 400 || res.status === 404, `${res.status} ${res.body.error.code}`);
        t.ok(JSON.stringify(res.body).length < SMALL, `${JSON.stringify(res.body).length} bytes`);
      }
      t.match(answers[0]!.body.error, { code: 'validation_failed', field: /^f+…$/, message: /^unknown field "f+…" \(500000 characters\)$/ });
      t.match(answers[4]!.body.error, { field: 'businessHours', message: /"f+…" \(500000 characters\) is not a weekday/ });

      const levels = 100_000;
      const deep = await app.inject({
        method: 'PATCH', url: `/api/v1/extensions/${ext.id}`,
        headers: { authorization: `Bearer ${keys.acme}`, 'content-type': 'application/json' },
        payload: `{"displayName":${'{"a":'.repeat(levels)}"x"${'}'.repeat(levels)}}`,
      });
      t.equal(deep.statusCode, 400, `${levels} levels of nesting`);
      t.match(deep.json().error, { code: 'validation_failed', field: /^displayName(\.a)+$/, message: /nested more than 32 levels deep/ });
    });
  });
}
