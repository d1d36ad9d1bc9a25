/**
 * The W3 Suite guide's `encryptionEnabled` in FreeSWITCH's directory: a customer switches it on
 * through the API, and the extension's directory user carries rtp_secure_media=mandatory (a variable
 * of the digest answer, for its phone's calls; in the `user/` dial-string, for calls to it);
 * switched off, it is gone.
 * What FreeSWITCH then does with a plain RTP call is test/freeswitch/encryption.test.ts.
 */
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { fixtureBody, rewrite } from '../helpers/fixtures.js';
import { directoryUser } from '../helpers/xml.js';

const ACME = 'acme.switchplane.test';
const GLOBEX = 'globex.switchplane.test';

function sipAuth(user: string, domain: string): string {
  return rewrite(fixtureBody('directory-invite-auth.txt'), {
    key_value: domain, domain, user, sip_auth_username: user, sip_auth_realm: domain,
    sip_to_host: domain, sip_from_host: domain, sip_to_user: user, sip_from_user: user,
  });
}
const userCall = (user: string, domain: string) => rewrite(fixtureBody('directory-user-call.txt'), { key_value: domain, domain, user });

for (const backend of backends) {
  t.test(`directory: SRTP required on an extension, on ${backend.name}`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const keys = await demoKeys(ctx.store);
    const post = (payload: string) => postLookup(t, ctx.app, payload);
    /** rtp_secure_media of the user's directory answers: for its phone's calls, and in the dial-string of calls to it. */
    const secureMedia = async (user: string, domain = ACME) => ({
      auth: directoryUser(await post(sipAuth(user, domain))).variables.rtp_secure_media,
      dial: /rtp_secure_media=([a-z]+)/.exec(directoryUser(await post(userCall(user, domain))).params['dial-string']!)?.[1],
    });
    const extensions = (await call(ctx.app, keys.acme, 'GET', '/api/v1/extensions')).body.data as Array<{ id: string; extensionNumber: string; encryptionEnabled: boolean }>;
    const ext1001 = extensions.find((e) => e.extensionNumber === '1001')!;

    t.test('without encryptionEnabled the directory leaves media security to FreeSWITCH', async (t) => {
      t.ok(extensions.every((e) => e.encryptionEnabled === false), 'off on every demo extension');
      t.same(await secureMedia('1001'), { auth: undefined, dial: undefined });
    });

    t.test('encryptionEnabled through the API: rtp_secure_media=mandatory on the calls from and to that extension only', async (t) => {
      const on = await call(ctx.app, keys.acme, 'PATCH', `/api/v1/extensions/${ext1001.id}`, { encryptionEnabled: true });
      t.equal(on.status, 200);
      t.equal(on.body.data.encryptionEnabled, true);
      await eventually('the directory sees the change', async () => (await secureMedia('1001')).auth === 'mandatory');
      t.same(await secureMedia('1001'), { auth: 'mandatory', dial: 'mandatory' }, 'digest auth (calls from it) and the user/ dial-string (calls to it)');
      t.same(await secureMedia('1002'), { auth: undefined, dial: undefined }, 'another extension of the customer');
      t.same(await secureMedia('1001', GLOBEX), { auth: undefined, dial: undefined }, "Globex's 1001");

      const off = await call(ctx.app, keys.acme, 'PATCH', `/api/v1/extensions/${ext1001.id}`, { encryptionEnabled: false });
      t.equal(off.body.data.encryptionEnabled, false);
      await eventually('the directory sees it switched off', async () => (await secureMedia('1001')).auth === undefined);
      t.same(await secureMedia('1001'), { auth: undefined, dial: undefined });
    });
  });
}
