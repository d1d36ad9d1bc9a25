/**
 * `reverseAuth` on an extension through the API: off by default, set on create or by PATCH, read
 * back; FreeSWITCH's reverse-auth-lookup gets the credentials only while it is on.
 */
import t from 'tap';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';
import { eventually } from '../helpers/eventually.js';
import { FORM, isNotFound } from '../helpers/fixtures.js';
import { directoryUser } from '../helpers/xml.js';

const ACME = 'acme.switchplane.test';
const EXT = '/api/v1/extensions';

for (const backend of backends) {
  t.test(`${backend.name}: reverse auth per extension`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);

    /** The reverse-auth-pass FreeSWITCH gets for `user` now, or null for `not found`. */
    const reverseAuthPass = async (user: string): Promise<string | null> => {
      const payload = `section=directory&key_value=${ACME}&domain=${ACME}&user=${user}&action=reverse-auth-lookup`;
      const res = await ctx.app.inject({ method: 'POST', url: '/freeswitch/xml', headers: FORM, payload });
      return isNotFound(res.body) ? null : (directoryUser(res.body).params['reverse-auth-pass'] ?? null);
    };
    /** Polls until the answer for `user` is `wanted` (the change notice drops the cached tenant): up to 5 s, else throws. */
    const reverseAuthPassWhen = async (user: string, wanted: string | null) => {
      return eventually(`the reverse-auth-pass of ${user}`, () => reverseAuthPass(user), { until: (got) => got === wanted, timeoutMs: 5000, intervalMs: 25 });
    };

    const plain = await call(ctx.app, keys.acme, 'POST', EXT, { extensionNumber: '2101', password: 'plain-phone-pass-1' });
    t.equal(plain.status, 201);
    t.equal(plain.body.data.reverseAuth, false, 'off by default');
    t.equal(await reverseAuthPass('2101'), null, 'no credentials for an extension without reverse auth');

    const created = await call(ctx.app, keys.acme, 'POST', EXT, { extensionNumber: '2102', password: 'reverse-phone-pass-2', reverseAuth: true });
    t.equal(created.status, 201);
    t.equal(created.body.data.reverseAuth, true);
    t.equal((await call(ctx.app, keys.acme, 'GET', `${EXT}/${created.body.data.id}`)).body.data.reverseAuth, true, 'read back');
    t.equal(await reverseAuthPassWhen('2102', 'reverse-phone-pass-2'), 'reverse-phone-pass-2', 'its credentials for reverse auth');

    const off = await call(ctx.app, keys.acme, 'PATCH', `${EXT}/${created.body.data.id}`, { reverseAuth: false });
    t.equal(off.status, 200);
    t.equal(off.body.data.reverseAuth, false);
    t.equal(await reverseAuthPassWhen('2102', null), null, 'switched off: not found again');

    const on = await call(ctx.app, keys.acme, 'PATCH', `${EXT}/${plain.body.data.id}`, { reverseAuth: true });
    t.equal(on.body.data.reverseAuth, true);
    t.equal(await reverseAuthPassWhen('2101', 'plain-phone-pass-1'), 'plain-phone-pass-1', 'switched on by PATCH');

    const bad = await call(ctx.app, keys.acme, 'PATCH', `${EXT}/${plain.body.data.id}`, { reverseAuth: 'yes' });
    t.equal(bad.status, 400);
    t.equal(bad.body.error.field, 'reverseAuth');
  });
}
