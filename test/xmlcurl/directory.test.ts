import { createHash } from 'node:crypto';
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { eventually } from '../helpers/eventually.js';
import { FORM, fixtureBody, isNotFound, rewrite } from '../helpers/fixtures.js';
import { directoryDomains, directoryUser } from '../helpers/xml.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const ACME = 'acme.switchplane.test';
const GLOBEX = 'globex.switchplane.test';

/** A captured sip_auth body, re-addressed to `user@domain`. */
function sipAuth(fixture: string, user: string, domain: string): string {
  return rewrite(fixtureBody(fixture), {
    key_value: domain, domain, user, sip_auth_username: user, sip_auth_realm: domain,
    sip_to_host: domain, sip_from_host: domain, sip_to_user: user, sip_from_user: user,
  });
}

for (const backend of backends) {
  t.test(`directory on ${backend.name}`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const post = (payload: string) => postLookup(t, ctx.app, payload);

    t.test('a phone registers: REGISTER digest auth gets the user with its a1-hash', async (t) => {
      for (const fixture of ['directory-register.txt', 'directory-unregister.txt', 'directory-invite-auth.txt']) {
        const u = directoryUser(await post(sipAuth(fixture, '1001', ACME)));
        t.equal(u.domain, ACME, fixture);
        t.equal(u.id, '1001');
        t.equal(u.numberAlias, '1001');
        t.equal(u.params['a1-hash'], md5(`1001:${ACME}:demo-1001-secret`), `${fixture}: a1-hash = md5(user:realm:password)`);
        t.notOk('password' in u.params, 'the plaintext password is never sent');
        t.equal(u.variables.user_context, ACME);
        t.equal(u.variables.domain_name, ACME);
        t.equal(u.variables.effective_caller_id_name, 'Mario Rossi');
        t.equal(u.variables.effective_caller_id_number, '1001');
        t.equal(u.variables.outbound_caller_id_number, '+390510510510');
        t.equal(u.cacheable, '60000');
      }
    });

    t.test('the realm the phone used is hashed, whatever the domain', async (t) => {
      const body = rewrite(sipAuth('directory-register.txt', '1002', ACME), { sip_auth_realm: 'pbx.example.net' });
      t.equal(directoryUser(await post(body)).params['a1-hash'], md5('1002:pbx.example.net:demo-1002-secret'));
    });

    t.test('the same extension number resolves per tenant domain', async (t) => {
      const acme = directoryUser(await post(sipAuth('directory-register.txt', '1001', ACME)));
      const globex = directoryUser(await post(sipAuth('directory-register.txt', '1001', GLOBEX)));
      t.equal(globex.domain, GLOBEX);
      t.equal(globex.params['a1-hash'], md5(`1001:${GLOBEX}:globex-1001-secret`));
      t.not(acme.variables.accountcode, globex.variables.accountcode);
      t.equal(globex.variables.user_context, GLOBEX);
    });

    t.test('user/1001@domain dial strings get the dial-string', async (t) => {
      const body = rewrite(fixtureBody('directory-user-call.txt'), { key_value: ACME, domain: ACME, user: '1002' });
      const u = directoryUser(await post(body));
      t.equal(u.id, '1002');
      t.match(u.params['dial-string'], `\${sofia_contact(*/1002@${ACME})}`);
      t.match(u.params['dial-string'], `sip_invite_domain=${ACME}`);
    });

    t.test('suspended extensions, unknown users and unknown domains are not found', async (t) => {
      t.ok(isNotFound(await post(sipAuth('directory-register.txt', '1003', ACME))), 'suspended 1003');
      t.ok(isNotFound(await post(sipAuth('directory-register.txt', '1002', GLOBEX))), 'Acme user in Globex domain');
      t.ok(isNotFound(await post(sipAuth('directory-register.txt', '9999', ACME))), 'unknown user');
      t.ok(isNotFound(await post(sipAuth('directory-register.txt', '1001', '127.0.0.1'))), 'captured domain is not a tenant');
      t.ok(isNotFound(await post(fixtureBody('directory-register.txt'))), 'raw capture');
    });

    t.test('sofia gateway scans get the domain list, network-list scans not found', async (t) => {
      for (const fixture of ['directory-gateways-profile-external.txt', 'directory-gateways-profile-internal.txt', 'directory-gateways-rescan-external.txt']) {
        const body = await post(fixtureBody(fixture));
        t.same(directoryDomains(body), [ACME, GLOBEX], fixture);
        t.notMatch(body, '<user', 'no users in a scan');
      }
      t.ok(isNotFound(await post(fixtureBody('directory-network-list.txt'))));
      t.ok(isNotFound(await post(rewrite(fixtureBody('directory-network-list.txt'), { domain: ACME, key_value: ACME }))));
    });

    t.test('xml_locate of a tenant domain answers the domain alone', async (t) => {
      const body = rewrite(fixtureBody('directory-xml-locate-api.txt'), { key_value: ACME });
      t.same(directoryDomains(await post(body)), [ACME]);
      t.ok(isNotFound(await post(fixtureBody('directory-xml-locate-api.txt'))));
    });

    t.test('reverse auth: the credentials only for an extension with reverseAuth, not found for the others', async (t) => {
      const body = rewrite(sipAuth('directory-register.txt', '1001', ACME), { action: 'reverse-auth-lookup' });
      const refused = await post(body);
      t.ok(isNotFound(refused), 'reverse auth is off by default: not found');
      t.notMatch(refused, 'demo-1001-secret');
      const tenantId = directoryUser(await post(sipAuth('directory-register.txt', '1001', ACME))).variables.accountcode!;
      await ctx.change(tenantId, (db) => db.updateTable('extensions').set({ reverse_auth: true }).where('extension', '=', '1001').execute());
      const u = directoryUser(await post(body));
      t.equal(u.params['reverse-auth-user'], '1001');
      t.equal(u.params['reverse-auth-pass'], 'demo-1001-secret');
      t.ok(isNotFound(await post(rewrite(sipAuth('directory-register.txt', '1002', ACME), { action: 'reverse-auth-lookup' }))), 'another extension of the tenant: still not found');
      const usual = directoryUser(await post(sipAuth('directory-register.txt', '1001', ACME)));
      t.notOk('reverse-auth-pass' in usual.params, 'a sip_auth answer never carries the password');
    });

    t.test('do-not-disturb gives error/user_busy; voicemail params follow the extension', async (t) => {
      const tenantId = directoryUser(await post(sipAuth('directory-register.txt', '1002', ACME))).variables.accountcode!;
      await ctx.change(tenantId, (db) =>
        db.updateTable('extensions').set({ do_not_disturb: true, voicemail_enabled: true, voicemail_pin_enc: ctx.secrets.seal('4321'), email: 'giulia@acme.test' })
          .where('extension', '=', '1002').execute(),
      );
      const u = directoryUser(await post(sipAuth('directory-register.txt', '1002', ACME)));
      t.equal(u.params['dial-string'], 'error/user_busy');
      t.equal(u.params['vm-enabled'], 'true');
      t.equal(u.params['vm-password'], '4321');
      t.equal(u.params['vm-mailto'], 'giulia@acme.test');
      t.equal(u.params['mwi-account'], `1002@${ACME}`, 'the phone gets the message-waiting state of its own mailbox');
    });

    t.test('an extension is found by its SIP username and by its extension number', async (t) => {
      const tenantId = directoryUser(await post(sipAuth('directory-register.txt', '1001', ACME))).variables.accountcode!;
      await ctx.change(tenantId, (db) =>
        db.updateTable('extensions').set({ sip_username: 'mario.rossi' }).where('extension', '=', '1001').execute(),
      );
      const byName = directoryUser(await post(sipAuth('directory-register.txt', 'mario.rossi', ACME)));
      t.equal(byName.id, 'mario.rossi');
      t.equal(byName.numberAlias, '1001');
      t.equal(byName.params['a1-hash'], md5(`mario.rossi:${ACME}:demo-1001-secret`));
      const byNumber = directoryUser(await post(rewrite(fixtureBody('directory-user-call.txt'), { key_value: ACME, domain: ACME, user: '1001' })));
      t.equal(byNumber.id, 'mario.rossi');
      t.match(byNumber.params['dial-string'], `*/mario.rossi@${ACME}`);
    });

    t.test("a name that is one extension's SIP username and another's number finds the SIP username's, every time", async (t) => {
      const tenantId = directoryUser(await post(sipAuth('directory-register.txt', '1001', ACME))).variables.accountcode!;
      await ctx.change(tenantId, async (db) => {
        await db.updateTable('extensions').set({ sip_username: 'mario.rossi' }).where('extension', '=', '1001').execute();
        await db.updateTable('extensions').set({ sip_username: '1001' }).where('extension', '=', '1002').execute();
      });
      // The changed tenant is read again at its next lookup, and its users rendered in idle time.
      directoryUser(await post(sipAuth('directory-register.txt', 'mario.rossi', ACME)));
      await eventually('the users rendered', async () => (await ctx.app.inject({ method: 'GET', url: '/health' })).json<{ directoryPrerenderPending: number }>().directoryPrerenderPending === 0);
      for (const round of ['first', 'kept']) {
        const named = directoryUser(await post(sipAuth('directory-register.txt', '1001', ACME)));
        t.same([named.id, named.numberAlias], ['1001', '1002'], `${round}: 1001 is extension 1002's SIP username`);
        const byNumber = directoryUser(await post(rewrite(fixtureBody('directory-user-call.txt'), { key_value: ACME, domain: ACME, user: '1002' })));
        t.same([byNumber.id, byNumber.numberAlias], ['1001', '1002'], `${round}: extension 1002 by its number`);
        const other = directoryUser(await post(sipAuth('directory-register.txt', 'mario.rossi', ACME)));
        t.same([other.id, other.numberAlias], ['mario.rossi', '1001'], `${round}: extension 1001 by its SIP username`);
      }
      t.ok(isNotFound(await post(sipAuth('directory-register.txt', 'nobody', ACME))), 'an unknown user is still not found');
    });

    t.test('the per-section URLs and GET answer the same', async (t) => {
      const body = sipAuth('directory-register.txt', '1001', GLOBEX);
      const viaPath = await ctx.app.inject({ method: 'POST', url: '/freeswitch/directory', headers: FORM, payload: body });
      t.equal(directoryUser(viaPath.body).id, '1001');
      const viaGet = await ctx.app.inject({ method: 'GET', url: `/freeswitch/xml?${body}` });
      t.equal(directoryUser(viaGet.body).id, '1001');
    });
  });
}
