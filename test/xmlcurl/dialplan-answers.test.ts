/**
 * Kept dialplan answers (src/xmlcurl/dialplan-answers.ts): a repeated lookup is answered
 * synchronously with the same bytes a fresh rendering gives, per-call values (the AI agent's
 * caller, a recording's id and signed fork URL) are filled in per call, and a change to a DID,
 * an extension, a trunk's gateway state or business hours, or the clock crossing a
 * business-hours boundary, is seen by the next lookup.
 */
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { fixtureBody, rewrite } from '../helpers/fixtures.js';
import { dialplan } from '../helpers/xml.js';
import { planCall } from '../../src/domain/call-routing.js';
import { writeGatewayStates } from '../../src/domain/gateway-states.js';
import { RECORDING_FORK_KEY_LABEL, RecordingForks } from '../../src/domain/recording-forks.js';
import { DialplanAnswers } from '../../src/xmlcurl/dialplan-answers.js';
import { renderDialplan } from '../../src/xmlcurl/dialplan.js';
import type { DialplanLookup } from '../../src/xmlcurl/request.js';

const ACME = 'acme.switchplane.test';
const AI_DID = '+390510510510';
const MARIO_DID = '+390510510511';
const MONDAY_OPEN = '2026-11-23T10:00:00Z'; // Monday 11:00 in Rome
const MONDAY_CLOSED = '2026-11-23T17:00:00Z'; // Monday 18:00 in Rome: end is exclusive

function lookup(context: string, destination: string, opts: Partial<DialplanLookup> = {}): DialplanLookup {
  return { section: 'dialplan', context, destination, callerNumber: '+393331112222', authUser: null, direction: null, recordingPath: null, ...opts };
}

const text = (a: unknown) => (Buffer.isBuffer(a) ? a.toString('utf8') : (a as string));
const apps = (xml: string) => dialplan(xml).actions.map(([app, data]) => (data === undefined ? app : `${app} ${data}`));

for (const backend of backends) {
  t.test(`kept dialplan answers on ${backend.name}`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const acmeId = (await ctx.store.withLookup((db) => db.selectFrom('tenants').select('id').where('slug', '=', 'acme').executeTakeFirstOrThrow())).id;
    const globexId = (await ctx.store.withLookup((db) => db.selectFrom('tenants').select('id').where('slug', '=', 'globex').executeTakeFirstOrThrow())).id;
    const forks = new RecordingForks(ctx.secrets.derive(RECORDING_FORK_KEY_LABEL), ctx.config.ai.mediaUrl);
    const answers = new DialplanAnswers(ctx.tenants, forks, { maxAnswers: 100, maxBytes: 1 << 20 });
    let now = new Date(MONDAY_OPEN);
    const ask = (l: DialplanLookup) => answers.answer(l, now);
    /** Asks twice: the first may plan, the second must be kept. */
    const twice = async (l: DialplanLookup) => {
      const first = text(await ask(l));
      const second = ask(l);
      return { first, second: text(await second), kept: !(second instanceof Promise) };
    };
    const fresh = async (l: DialplanLookup) => renderDialplan((await planCall(ctx.tenants, l, now))!, forks);

    t.test('a repeated lookup is answered at once, with the bytes a fresh rendering gives', async (t) => {
      for (const l of [lookup('public', MARIO_DID), lookup(ACME, '1002', { authUser: '1001' }), lookup(ACME, '+14155550100', { authUser: '1001' }), lookup('public', AI_DID)]) {
        const { first, second, kept } = await twice(l);
        t.ok(kept, `${l.context} ${l.destination}: kept`);
        t.equal(second, first, `${l.context} ${l.destination}: same answer`);
        t.equal(second, await fresh(l), `${l.context} ${l.destination}: as rendered afresh`);
      }
      t.ok(ask(lookup('public', '+390000000000')) instanceof Promise, 'a DID nobody owns is not kept');
      t.ok(ask(lookup('nowhere.test', '1001')) instanceof Promise, 'a context nobody owns is not kept');
    });

    t.test("a tenant's DID answers rendered ahead are kept before the first call", async (t) => {
      const fresh = new DialplanAnswers(ctx.tenants, forks, { maxAnswers: 100, maxBytes: 1 << 20 });
      t.teardown(() => fresh.close());
      t.ok(fresh.answer(lookup('public', MARIO_DID), now) instanceof Promise, 'not yet rendered: planned');
      const other = new DialplanAnswers(ctx.tenants, forks, { maxAnswers: 100, maxBytes: 1 << 20 });
      t.teardown(() => other.close());
      t.equal(other.prerender((await ctx.tenants.tenantByDomain(ACME))!, now), 2, "Acme's two numbers");
      await new Promise((resolve) => setImmediate(resolve));
      const kept = other.answer(lookup('public', MARIO_DID), now);
      t.ok(!(kept instanceof Promise), 'rendered ahead: answered at once');
      t.equal(text(kept), text(await fresh.answer(lookup('public', MARIO_DID), now)));
    });

    t.test("the AI agent's answer carries each call's own caller, escaped as the renderer escapes it", async (t) => {
      for (const caller of ['+393297626144', '+15550001111', 'Anna & "Bob" <x>', '\ud800broken']) {
        const l = lookup('public', AI_DID, { callerNumber: caller });
        const got = text(await ask(l));
        t.equal(got, await fresh(l), JSON.stringify(caller));
        t.ok(apps(got).includes(`set switchplane_caller=${caller.replace('\ud800', '')}`), `${JSON.stringify(caller)} is the caller`);
      }
    });

    t.test('a recorded call gets a recording of its own on every call, with a fork URL that is accepted', async (t) => {
      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ call_recording: true }).where('extension', '=', '1001').execute());
      const l = lookup('public', MARIO_DID);
      const paths = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const list = apps(text(await ask(l)));
        const path = list.find((a) => a.startsWith('export switchplane_recording_path='))!;
        const onAnswer = list.find((a) => a.startsWith('set api_on_answer='))!;
        paths.add(path);
        const url = /(wss?:\/\/\S+)/.exec(onAnswer)![1]!.replace('${uuid}', 'call-1');
        const accepted = forks.accept(url.slice(url.indexOf('/', url.indexOf('//') + 2)));
        t.equal(accepted?.tenantId, acmeId, `call ${i}: the fork URL is signed for Acme`);
        t.ok(path.includes(accepted!.recordingId), `call ${i}: the path names the fork's recording`);
      }
      t.equal(paths.size, 3, 'three calls, three recordings');
      t.ok(!(ask(l) instanceof Promise), 'kept all the same');
      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ call_recording: false }).where('extension', '=', '1001').execute());
      t.notOk(apps(text(await ask(l))).some((a) => a.startsWith('set api_on_answer')), 'recording turned off: seen by the next lookup');
    });

    t.test("a change to a DID's route is seen by the next lookup", async (t) => {
      t.ok(apps((await twice(lookup('public', MARIO_DID))).second).includes(`bridge user/1001@${ACME}`));
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ route_target: '1002' }).where('number', '=', MARIO_DID).execute());
      t.ok(apps(text(await ask(lookup('public', MARIO_DID)))).includes(`bridge user/1002@${ACME}`), 'now 1002');
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ incoming_enabled: false }).where('number', '=', MARIO_DID).execute());
      t.equal(apps(text(await ask(lookup('public', MARIO_DID)))).at(-1), 'hangup INCOMING_CALL_BARRED');
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ incoming_enabled: true, route_target: '1001' }).where('number', '=', MARIO_DID).execute());
      t.ok(apps(text(await ask(lookup('public', MARIO_DID)))).includes(`bridge user/1001@${ACME}`), 'back to 1001');
    });

    t.test("a DID moved to another customer reaches that customer; any customer's change drops kept DID answers", async (t) => {
      await twice(lookup('public', MARIO_DID));
      await ctx.change(globexId, (db) => db.updateTable('extensions').set({ display_name: 'renamed' }).where('extension', '=', '1001').execute());
      t.ok(ask(lookup('public', MARIO_DID)) instanceof Promise, "Globex's change: Acme's DID is decided again (who owns a DID may have changed)");
      await ctx.change(acmeId, (db) => db.deleteFrom('phone_numbers').where('number', '=', MARIO_DID).execute());
      t.equal(apps(text(await ask(lookup('public', MARIO_DID)))).at(-1), 'hangup UNALLOCATED_NUMBER', 'deleted: nobody owns it');
      await ctx.change(globexId, (db) => db.insertInto('phone_numbers').values({ tenant_id: globexId, number: MARIO_DID, route: 'extension', route_target: '1001' }).execute());
      t.ok(apps(text(await ask(lookup('public', MARIO_DID)))).includes('bridge user/1001@globex.switchplane.test'), 'now Globex 1001');
      await ctx.change(globexId, (db) => db.deleteFrom('phone_numbers').where('number', '=', MARIO_DID).execute());
      await ctx.change(acmeId, (db) => db.insertInto('phone_numbers').values({ tenant_id: acmeId, number: MARIO_DID, route: 'extension', route_target: '1001' }).execute());
      t.ok(apps(text(await ask(lookup('public', MARIO_DID)))).includes(`bridge user/1001@${ACME}`), 'back at Acme');
    });

    t.test("a change to an extension or to a trunk's gateway state is seen by the next call from a phone", async (t) => {
      t.ok((await twice(lookup(ACME, '1002', { authUser: '1001' }))).kept);
      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ do_not_disturb: true }).where('extension', '=', '1002').execute());
      t.equal(apps(text(await ask(lookup(ACME, '1002', { authUser: '1001' })))).at(-1), 'hangup USER_BUSY', 'do-not-disturb');
      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ do_not_disturb: false }).where('extension', '=', '1002').execute());
      t.equal(apps(text(await ask(lookup(ACME, '1002', { authUser: '1001' })))).at(-1), 'hangup ${originate_disposition}', 'back');

      const [main, backup] = await ctx.store.withLookup(async (db) =>
        Promise.all(['acme-main', 'acme-backup'].map(async (name) => (await db.selectFrom('trunks').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id)));
      await ctx.change(acmeId, (db) => db.updateTable('trunks').set({ allow_any_caller_id: true }).where('id', '=', backup!).execute());
      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ caller_id_number: '+15550000001' }).where('extension', '=', '1001').execute());
      const out = lookup(ACME, '+14155550100', { authUser: '1001' });
      const gateways = async () => apps(text(await ask(out))).filter((a) => a.startsWith('limit_execute')).map((a) => a.split(' ')[3]);
      t.same(await gateways(), [main, backup], 'both up');
      t.ok(!(ask(out) instanceof Promise), 'kept');
      const report = async (state: 'FAIL_WAIT' | 'REGED', pingStatus: 'DOWN' | 'UP') => {
        const seen = new Promise<void>((resolve) => ctx.tenants.once('invalidated', () => resolve()));
        await ctx.store.withIngest((trx) => writeGatewayStates(trx, [{ name: main!, state, pingStatus }]));
        await seen;
      };
      await report('FAIL_WAIT', 'DOWN');
      t.same(await gateways(), [backup], 'acme-main down: skipped by the next call');
      await report('REGED', 'UP');
      t.same(await gateways(), [main, backup], 'acme-main up again: tried first again');
      await ctx.change(acmeId, (db) => db.updateTable('extensions').set({ caller_id_number: null }).where('extension', '=', '1001').execute());
      await ctx.change(acmeId, (db) => db.updateTable('trunks').set({ allow_any_caller_id: false }).where('id', '=', backup!).execute());
    });

    t.test('business hours: the clock crossing a boundary and a changed schedule are seen by the next lookup', async (t) => {
      const ai = lookup('public', AI_DID);
      now = new Date(MONDAY_OPEN);
      t.ok(apps((await twice(ai)).second).includes('park'), 'open: AI agent');
      now = new Date('2026-11-23T16:59:59.999Z');
      t.ok(apps(text(await ask(ai))).includes('park'), 'Monday 17:59:59.999: still open');
      now = new Date(MONDAY_CLOSED);
      t.ok(apps(text(await ask(ai))).includes(`bridge user/1002@${ACME}`), 'Monday 18:00: failover extension');
      t.ok(!(ask(ai) instanceof Promise), 'kept for the minute');
      now = new Date(MONDAY_OPEN);
      t.ok(apps(text(await ask(ai))).includes('park'), 'the clock set back: open again');
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ business_hours: JSON.stringify({ monday: null }) }).where('number', '=', AI_DID).execute());
      t.ok(apps(text(await ask(ai))).includes(`bridge user/1002@${ACME}`), 'Monday closed in the schedule: failover');
      await ctx.change(acmeId, (db) => db.updateTable('phone_numbers').set({ business_hours: JSON.stringify(null) }).where('number', '=', AI_DID).execute());
      now = new Date(MONDAY_CLOSED);
      t.ok(apps(text(await ask(ai))).includes('park'), 'no schedule: always open');
    });

    t.test('through FreeSWITCH lookups over HTTP: the second INVITE gets the first one\'s answer', async (t) => {
      const body = rewrite(fixtureBody('dialplan-invite.txt'), {
        'Caller-Context': 'public', 'Hunt-Context': 'public', 'Caller-Destination-Number': MARIO_DID, 'Hunt-Destination-Number': MARIO_DID,
      });
      const first = await postLookup(t, ctx.app, body);
      t.equal(await postLookup(t, ctx.app, body), first);
      t.ok(apps(first).includes(`bridge user/1001@${ACME}`));
    });
  });
}
