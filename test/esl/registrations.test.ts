import t from 'tap';
import { LIST_REGISTRATIONS, RegistrationTracker } from '../../src/esl/registrations.js';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';
import { eslRig } from '../helpers/esl-controller.js';
import { arrive, deliver, errorCount, flakyIngest, reconnect } from '../helpers/esl-replay.js';
import { recordedPlainEvents, type JsonEvent } from '../helpers/esl-server.js';

const ACME = 'acme.switchplane.test';
const GLOBEX = 'globex.switchplane.test';
/** The captured phone's binding (register-plain.txt) and the time of its sofia::register. */
const CONTACT = '"" <sip:1001@127.0.0.1:5070;transport=UDP>';
const REGISTERED_AT = '2026-11-22T01:45:49.951Z';
/** The captured register's `expires` (60 s) after its time. */
const EXPIRES_AT = '2026-11-22T01:46:49.951Z';

const DOMAIN_FIELDS = ['from-host', 'to-host', 'realm', 'sip_auth_realm', 'domain_name'];
const USER_FIELDS = ['from-user', 'to-user', 'username', 'sip_auth_username', 'user_name', 'sip_number_alias', 'number_alias'];

/** The captured REGISTER / un-REGISTER of register-plain.txt, as if user `user` of `domain` had made them. */
function captured(domain: string, user = '1001', extra: Record<string, string> = {}): JsonEvent[] {
  return recordedPlainEvents('register-plain.txt').map((recorded) => {
    const e = { ...recorded };
    for (const f of DOMAIN_FIELDS) if (f in e) e[f] = domain;
    for (const f of USER_FIELDS) if (f in e) e[f] = user;
    return { ...e, ...(e['Event-Name'] === 'CUSTOM' ? extra : {}) };
  });
}
const subclass = (name: string) => (e: JsonEvent) => e['Event-Subclass'] === name;
const registerOf = (domain: string, user = '1001', extra: Record<string, string> = {}) => captured(domain, user, extra).find(subclass('sofia::register'))!;
const unregisterOf = (domain: string, user = '1001') => captured(domain, user).find(subclass('sofia::unregister'))!;

/** `sofia xmlstatus profile internal reg` as mod_sofia.c writes it (`cmd_xml_status`, `show_reg_callback_xml`). */
function registrationList(regs: Array<{ user: string; host: string; contact: string; agent: string; ip: string; port: number; expsecs: number }>): string {
  const amp = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = regs.map((r, i) =>
    [
      '    <registration>',
      `        <call-id>reg-${i}@192.0.2.7</call-id>`,
      `        <user>${r.user}@${r.host}</user>`,
      `        <contact>${amp(r.contact)}</contact>`,
      `        <agent>${amp(r.agent)}</agent>`,
      `        <status>Registered(UDP)(unknown) exp(2026-11-23 11:59:00) expsecs(${r.expsecs})</status>`,
      '        <ping-status>Reachable</ping-status>',
      '        <host>vm</host>',
      `        <network-ip>${r.ip}</network-ip>`,
      `        <network-port>${r.port}</network-port>`,
      `        <sip-auth-user>${encodeURIComponent(r.user)}</sip-auth-user>`,
      `        <sip-auth-realm>${r.host}</sip-auth-realm>`,
      `        <mwi-account>${r.user}@${r.host}</mwi-account>`,
      '    </registration>\n',
    ].join('\n'),
  );
  return `<?xml version="1.0" encoding="ISO-8859-1"?>\n<profile>\n  <registrations>\n${rows.join('')}  </registrations>\n</profile>\n`;
}

for (const backend of backends) {
  t.test(`${backend.name}: phones' registrations follow what FreeSWITCH reports`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(() => ctx.close());
    const keys = await demoKeys(ctx.store);
    const ingest = flakyIngest(ctx.store);
    const reported: unknown[] = [];
    // Batches taken at once (no gathering), so which events share a batch does not depend on timing.
    const tracker = new RegistrationTracker({ store: ingest.store, metrics: ctx.metrics, onError: (err) => reported.push(err), retry: { minTimeoutMs: 1, maxTimeoutMs: 5 }, gatherMs: 0 });
    let registered = registrationList([]);
    const rig = await eslRig(t, [tracker], ctx.metrics, (cmd) => (cmd === LIST_REGISTRATIONS ? registered : undefined));
    t.teardown(() => tracker.close());
    await tracker.idle();
    t.same(reported, [], 'the first reconcile found nothing to do');

    const tenantOf: Record<string, string> = { [ACME]: keys.acmeId, [GLOBEX]: keys.globexId };
    const rows = async () => {
      const out: Record<string, Record<string, unknown>> = {};
      for (const [domain, tenantId] of Object.entries(tenantOf)) {
        const list = await ctx.store.withTenant(tenantId, (db) =>
          db
            .selectFrom('extensions')
            .select(['id', 'extension', 'registered', 'registered_node', 'last_registration_at', 'user_agent', 'registered_ip', 'registered_port', 'contact'])
            .execute(),
        );
        for (const r of list) out[`${r.extension}@${domain}`] = r;
      }
      return out;
    };
    const before = await rows();
    const acme1001 = before[`1001@${ACME}`]!.id as string;

    t.test('the captured REGISTER marks Acme 1001 registered on fs1 with its binding, and nothing else', async (t) => {
      const events = captured(ACME);
      const upTo = events.findIndex(subclass('sofia::register'));
      t.equal(await deliver(rig, tracker, events.slice(0, upTo + 1)), 1, 'of pre_register, register_attempt and register, FreeSWITCH sends only the register');
      const now = await rows();
      t.match(now[`1001@${ACME}`], {
        registered: true,
        registered_node: 'fs1',
        last_registration_at: new Date(REGISTERED_AT),
        user_agent: 'sipp-capture',
        registered_ip: '127.0.0.1',
        registered_port: 5070,
        contact: CONTACT,
      });
      for (const key of [`1002@${ACME}`, `1003@${ACME}`, `1001@${GLOBEX}`]) t.same(now[key], before[key], `${key} untouched`);
      const res = await call(ctx.app, keys.acme, 'GET', `/api/v1/extensions/${acme1001}`);
      t.equal(res.status, 200);
      t.same(res.body.data.registration, { registered: true, lastRegistrationAt: REGISTERED_AT, userAgent: 'sipp-capture', ip: '127.0.0.1', port: 5070, contact: CONTACT, expiresAt: EXPIRES_AT });
    });

    t.test('the captured un-REGISTER marks it unregistered and keeps the last binding', async (t) => {
      const events = captured(ACME);
      await deliver(rig, tracker, events.slice(events.findIndex(subclass('sofia::register')) + 1));
      t.match((await rows())[`1001@${ACME}`], { registered: false, registered_node: null, last_registration_at: new Date(REGISTERED_AT), user_agent: 'sipp-capture', contact: CONTACT });
      const res = await call(ctx.app, keys.acme, 'GET', `/api/v1/extensions/${acme1001}`);
      t.same(res.body.data.registration, { registered: false, lastRegistrationAt: REGISTERED_AT, userAgent: 'sipp-capture', ip: '127.0.0.1', port: 5070, contact: CONTACT, expiresAt: EXPIRES_AT });
    });

    t.test('sofia::pre_register and sofia::register_attempt are not registrations', async (t) => {
      const seen = await rows();
      const notRegistrations = captured(ACME, '1002').filter((e) => subclass('sofia::pre_register')(e) || subclass('sofia::register_attempt')(e));
      t.equal(notRegistrations.length, 4);
      for (const e of notRegistrations) t.equal(rig.server.pushEvent(e), 0, 'not subscribed');
      for (const e of notRegistrations) rig.controller.dispatch(e, 'fs1'); // and not taken if they came anyway
      await tracker.idle();
      t.same(await rows(), seen);
    });

    t.test('unknown users, unknown domains and other profiles change nothing and are counted', async (t) => {
      const seen = await rows();
      const counted = await errorCount(ctx.metrics, 'registration_unknown');
      await deliver(rig, tracker, [registerOf(ACME, '4711'), registerOf('unknown.switchplane.test'), registerOf(ACME, '1002', { 'profile-name': 'external' })]);
      t.same(await rows(), seen);
      t.equal(await errorCount(ctx.metrics, 'registration_unknown'), counted + 3);
    });

    t.test("Globex 1001 registering leaves Acme's 1001 alone", async (t) => {
      await deliver(rig, tracker, [registerOf(GLOBEX, '1001', { 'user-agent': 'Globex Phone/2.1' })]);
      const now = await rows();
      t.match(now[`1001@${GLOBEX}`], { registered: true, registered_node: 'fs1', user_agent: 'Globex Phone/2.1' });
      t.match(now[`1001@${ACME}`], { registered: false, user_agent: 'sipp-capture' });
    });

    t.test('sofia::expire unregisters a phone that stopped refreshing', async (t) => {
      await deliver(rig, tracker, [registerOf(ACME, '1002')]);
      t.match((await rows())[`1002@${ACME}`], { registered: true, registered_node: 'fs1' });
      // sofia_reg_del_callback's headers
      const expire = rig.server.event('CUSTOM', {
        'Event-Subclass': 'sofia::expire',
        'Event-Calling-File': 'sofia_reg.c',
        'Event-Calling-Function': 'sofia_reg_del_callback',
        'profile-name': 'internal',
        'call-id': '1-17023@127.0.0.1',
        user: '1002',
        host: ACME,
        contact: CONTACT,
        expires: '1795312009',
        'user-agent': 'sipp-capture',
        realm: ACME,
      });
      t.equal(await deliver(rig, tracker, [expire]), 1);
      t.match((await rows())[`1002@${ACME}`], { registered: false, registered_node: null, user_agent: 'sipp-capture' });
    });

    t.test("a reconnect reconciles with FreeSWITCH's registration list", async (t) => {
      await deliver(rig, tracker, [registerOf(ACME, '1001'), registerOf(ACME, '1002')]);
      // 1003 is held by another node: fs1's list says nothing about it.
      await ctx.store.withIngest((db) => db.updateTable('extensions').set({ registered: true, registered_node: 'fs2' }).where('id', '=', before[`1003@${ACME}`]!.id as string).execute());
      // While the link was down: 1002 re-registered from a new port, 1001's binding ran out, Globex 1001 unregistered.
      registered = registrationList([
        { user: '1001', host: ACME, contact: CONTACT, agent: 'sipp-capture', ip: '127.0.0.1', port: 5070, expsecs: -2 },
        { user: '1002', host: ACME, contact: '"Giulia" <sip:1002@198.51.100.4:40112;transport=UDP;fs_nat=yes>', agent: 'Acme & Co <phone>', ip: '198.51.100.4', port: 40112, expsecs: 3541 },
      ]);
      await reconnect(rig, tracker);
      const now = await rows();
      t.match(now[`1001@${ACME}`], { registered: false, registered_node: null });
      t.match(now[`1002@${ACME}`], {
        registered: true,
        registered_node: 'fs1',
        contact: '"Giulia" <sip:1002@198.51.100.4:40112;transport=UDP;fs_nat=yes>',
        user_agent: 'Acme & Co <phone>',
        registered_ip: '198.51.100.4',
        registered_port: 40112,
      });
      t.match(now[`1001@${GLOBEX}`], { registered: false, registered_node: null, user_agent: 'Globex Phone/2.1' });
      t.match(now[`1003@${ACME}`], { registered: true, registered_node: 'fs2' });
      const res = await call(ctx.app, keys.acme, 'GET', `/api/v1/extensions/${now[`1002@${ACME}`]!.id as string}`);
      t.match(res.body.data.registration, { registered: true, ip: '198.51.100.4', port: 40112, userAgent: 'Acme & Co <phone>' });
    });

    t.test('an answer that is no registration list clears nothing and is reported', async (t) => {
      const seen = await rows();
      const failed = await errorCount(ctx.metrics, 'registration');
      registered = 'Invalid Profile!\n';
      await reconnect(rig, tracker);
      t.same(await rows(), seen);
      t.equal(await errorCount(ctx.metrics, 'registration'), failed + 1);
      t.match(String(reported.at(-1)), /no registration list: Invalid Profile!/);
      registered = registrationList([]);
    });

    t.test('a database failure during a burst is retried and lands, coalesced, latest event last', async (t) => {
      const failed = await errorCount(ctx.metrics, 'registration');
      const reportedBefore = reported.length;
      const asked = ingest.transactions;
      let release!: () => void;
      ingest.gate = new Promise((resolve) => (release = resolve));
      ingest.failures = 3;
      const burst: JsonEvent[] = [];
      for (let i = 0; i < 10; i++) {
        burst.push(registerOf(ACME, '1001', { 'user-agent': `burst-${i}`, 'network-port': String(6000 + i) }));
        burst.push(i % 2 === 0 ? registerOf(ACME, '1002', { 'user-agent': `phone-${i}` }) : unregisterOf(ACME, '1002'));
      }
      t.equal(await arrive(rig, burst), 20);
      release(); // the first write (of the first event) was held up until the whole burst was queued
      await tracker.idle();
      const now = await rows();
      t.match(now[`1001@${ACME}`], { registered: true, registered_node: 'fs1', user_agent: 'burst-9', registered_port: 6009 });
      t.match(now[`1002@${ACME}`], { registered: false, registered_node: null, user_agent: 'phone-8' }, 'unregistered, with the binding of its last register');
      t.equal(ingest.transactions - asked, 5, 'the first event in four attempts (three failed), the other 19 in one batch');
      t.equal(await errorCount(ctx.metrics, 'registration'), failed + 3);
      t.same(reported.slice(reportedBefore).map((e) => (e as Error).message), Array(3).fill('Connection terminated unexpectedly'));
    });
  });
}
