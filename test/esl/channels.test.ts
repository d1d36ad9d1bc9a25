import t from 'tap';
import { once } from 'node:events';
import { ChannelTracker, type Channel } from '../../src/esl/channels.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { eslRig } from '../helpers/esl-controller.js';
import { legEvents } from '../helpers/esl-replay.js';

/** Resolves with a copy of the channel once `tracker` reports `uuid` (in `state`, if given). */
function seen(tracker: ChannelTracker, uuid: string, state?: Channel['state']): Promise<Channel> {
  return new Promise((resolve) => {
    const on = (c: Readonly<Channel>) => {
      if (c.uuid !== uuid || (state && c.state !== state)) return;
      tracker.off('channel', on);
      resolve({ ...c });
    };
    tracker.on('channel', on);
  });
}

function hungUp(tracker: ChannelTracker, uuid: string): Promise<string | null> {
  return new Promise((resolve) => {
    const on = (c: Readonly<Channel>, cause: string | null) => {
      if (c.uuid !== uuid) return;
      tracker.off('hangup', on);
      resolve(cause);
    };
    tracker.on('hangup', on);
  });
}

/** Resolves once `tracker` has written `n` channels for `trunkId`. */
function written(tracker: ChannelTracker, trunkId: string, n: number): Promise<void> {
  return new Promise((resolve) => {
    const on = (counts: ReadonlyMap<string, number>) => {
      if (counts.get(trunkId) !== n) return;
      tracker.off('counts', on);
      resolve();
    };
    tracker.on('counts', on);
  });
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

for (const backend of backends) {
  t.test(`${backend.name}: the channel tracker`, async (t) => {
    const ctx = await demoApp(backend);
    const reported: unknown[] = [];
    const tracker = new ChannelTracker({ store: ctx.store, metrics: ctx.metrics, onError: (err) => reported.push(err), countDelayMs: 20 });
    t.teardown(async () => {
      await tracker.close();
      await ctx.close();
    });
    const ids = await ctx.store.withLookup(async (db) => ({
      acme: (await db.selectFrom('tenants').select('id').where('slug', '=', 'acme').executeTakeFirstOrThrow()).id,
      globex: (await db.selectFrom('tenants').select('id').where('slug', '=', 'globex').executeTakeFirstOrThrow()).id,
      trunks: Object.fromEntries((await db.selectFrom('trunks').select(['name', 'id']).execute()).map((r) => [r.name, r.id])),
    }));
    const main = ids.trunks['acme-main']!;
    const backup = ids.trunks['acme-backup']!;
    const channelsOf = async (trunkId: string) =>
      (await ctx.store.withLookup((db) => db.selectFrom('trunks').select('current_channels').where('id', '=', trunkId).executeTakeFirstOrThrow())).current_channels;
    // Left over from an earlier process: the first reconcile clears it.
    await ctx.store.withIngest((db) => db.updateTable('trunks').set({ current_channels: 7 }).where('id', '=', backup).execute());
    const firstSync = once(tracker, 'counts');
    const reconciled = once(tracker, 'reconciled');
    const rig = await eslRig(t, [tracker], ctx.metrics, (cmd) => (cmd === 'show channels as json' ? '{"row_count": 0}\n' : undefined));
    await reconciled;
    await firstSync;
    t.equal(await channelsOf(backup), 0, 'a count left by an earlier process is cleared by the first reconcile');

    t.test('a call bridged out through a trunk: both legs with tenant, numbers, states, times, other leg and trunk', async (t) => {
      const [a, b] = [uuid(1), uuid(2)];
      const vars = { 'variable_accountcode': ids.acme };
      const events = legEvents('call-loopback-bridge-plain.txt', {
        '2ac7b841-a6ac-41a5-952f-fa28eb56893a': a,
        '1caefa75-fad3-4027-887a-71f8f0ce4131': b,
      }, { [a]: vars, [b]: { ...vars, variable_sip_gateway_name: main } });
      t.same(events.map((e) => `${e['Event-Name']} ${e['Unique-ID'] === a ? 'a' : 'b'}`), [
        'CHANNEL_CREATE a', 'CHANNEL_PROGRESS_MEDIA a', 'CHANNEL_CREATE b', 'CHANNEL_ANSWER b', 'CHANNEL_ANSWER a', 'CHANNEL_BRIDGE a',
        'CHANNEL_HANGUP_COMPLETE a', 'CHANNEL_HANGUP_COMPLETE b',
      ]);

      const early = seen(tracker, a, 'early');
      const oneOnTrunk = written(tracker, main, 1);
      rig.server.pushEvent(events[0]!);
      rig.server.pushEvent(events[1]!);
      t.match(await early, { uuid: a, node: 'fs1', tenantId: ids.acme, direction: 'inbound', name: 'sofia/internal/1001@127.0.0.1', callerNumber: '1001', destination: '9998', answeredAt: null, originator: null, trunkId: null, stale: false });
      const bridged = seen(tracker, a, 'bridged');
      for (const e of events.slice(2, 6)) rig.server.pushEvent(e);
      const aLeg = await bridged;
      t.same(aLeg.createdAt, new Date(1795312020411), 'Caller-Channel-Created-Time');
      t.same(aLeg.answeredAt, new Date(1795312020451), 'Caller-Channel-Answered-Time');
      t.equal(aLeg.otherLeg, b);
      t.match(tracker.channel(b), { direction: 'outbound', state: 'bridged', otherLeg: a, originator: a, trunkId: main, tenantId: ids.acme, destination: '9999' });
      t.same(tracker.aLegs(ids.acme).map((c) => c.uuid), [a], 'the B leg is part of the A leg\'s call');
      t.same(tracker.aLegs(ids.globex), [], 'nothing for another tenant');
      await oneOnTrunk;
      t.equal(await channelsOf(main), 1, 'trunks.current_channels counts the leg on the gateway');

      const causes = Promise.all([hungUp(tracker, a), hungUp(tracker, b)]);
      const none = written(tracker, main, 0);
      for (const e of events.slice(6)) rig.server.pushEvent(e);
      t.same(await causes, ['NORMAL_CLEARING', 'NORMAL_CLEARING']);
      t.equal(tracker.channel(a), undefined);
      t.same(tracker.aLegs(ids.acme), []);
      await none;
      t.equal(await channelsOf(main), 0, 'and back to 0');
    });

    t.test('a burst of channels on a trunk is counted in one write', async (t) => {
      const legs = [3, 4, 5, 6, 7].map(uuid);
      const counts: Array<ReadonlyMap<string, number>> = [];
      const onCounts = (c: ReadonlyMap<string, number>) => counts.push(c);
      tracker.on('counts', onCounts);
      const five = written(tracker, backup, 5);
      // One TCP write, as FreeSWITCH flushes a listener's queued events: handled in one go.
      rig.server.pushRaw(legs.map((id) => {
        const json = JSON.stringify(rig.server.event('CHANNEL_CREATE', { 'Unique-ID': id, 'Call-Direction': 'outbound', 'Answer-State': 'ringing', variable_accountcode: ids.acme, variable_sip_gateway_name: backup }));
        return `Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`;
      }).join(''));
      await five;
      t.same(counts.map((c) => [...c]), [[[backup, 5]]], 'one write for five events');
      t.equal(await channelsOf(backup), 5);
      const zero = written(tracker, backup, 0);
      for (const id of legs) rig.server.pushEvent(rig.server.event('CHANNEL_HANGUP_COMPLETE', { 'Unique-ID': id, 'Hangup-Cause': 'NORMAL_CLEARING' }));
      await zero;
      tracker.off('counts', onCounts);
      t.equal(await channelsOf(backup), 0);
    });

    t.test('after a lost link, channels are kept as stale, then reconciled with show channels and uuid_dump', async (t) => {
      const [gone, kept, found, ended] = [uuid(8), uuid(9), uuid(10), uuid(11)];
      const create = (id: string, extra: Record<string, string> = {}) =>
        rig.server.event('CHANNEL_CREATE', { 'Unique-ID': id, 'Call-Direction': 'inbound', 'Answer-State': 'ringing', 'Caller-Destination-Number': '1002', variable_accountcode: ids.acme, ...extra });
      const both = Promise.all([seen(tracker, gone), seen(tracker, kept), seen(tracker, ended)]);
      const oneOnTrunk = written(tracker, main, 1);
      rig.server.pushEvent(create(gone, { variable_sip_gateway_name: main }));
      rig.server.pushEvent(create(kept));
      rig.server.pushEvent(create(ended));
      await both;
      await oneOnTrunk;

      // While the link is down `gone` hangs up, `kept` is answered, `found` starts, `ended` is ending.
      const dump = (id: string, fields: Record<string, string>) => JSON.stringify(rig.server.event('CHANNEL_DATA', { 'Unique-ID': id, 'Call-Direction': 'inbound', variable_accountcode: ids.acme, ...fields }));
      const rows = [kept, found, ended].map((id) => ({ uuid: id, direction: 'inbound', created_epoch: '1795312020', name: `sofia/internal/${id}`, state: 'CS_EXECUTE', cid_num: '1001', dest: '1002', callstate: 'ACTIVE', accountcode: ids.acme }));
      rig.server.api = (cmd) => {
        if (cmd === 'show channels as json') return JSON.stringify({ row_count: rows.length, rows });
        if (cmd === `uuid_dump ${kept} json`) return dump(kept, { 'Answer-State': 'answered', 'Caller-Channel-Answered-Time': '1795312021000000' });
        if (cmd === `uuid_dump ${found} json`) return dump(found, { 'Answer-State': 'ringing', 'Caller-Caller-ID-Number': '+15550001111', variable_sip_gateway_name: backup });
        if (cmd === `uuid_dump ${ended} json`) return dump(ended, { 'Answer-State': 'hangup' });
        return undefined;
      };
      const lost = once(rig.nodes.connections[0]!, 'disconnected');
      const reconciled = once(tracker, 'reconciled');
      const causes = Promise.all([hungUp(tracker, gone), hungUp(tracker, ended)]);
      const counted = Promise.all([written(tracker, main, 0), written(tracker, backup, 1)]);
      const since = rig.server.received.length;
      rig.server.dropAll();
      await lost;
      t.ok([gone, kept, ended].every((id) => tracker.channel(id)?.stale), 'kept, marked stale');
      t.same(await reconciled, ['fs1']);
      t.same(rig.server.commands.slice(since).filter((c) => c.startsWith('api ')), [
        'api show channels as json', `api uuid_dump ${kept} json`, `api uuid_dump ${found} json`, `api uuid_dump ${ended} json`,
      ], 'only channels not confirmed since the reconnect are read');
      t.same(await causes, [null, null], 'a channel FreeSWITCH no longer lists, and one hanging up, end without a cause');
      t.match(tracker.channel(kept), { state: 'answered', stale: false, answeredAt: new Date(1795312021000) });
      t.match(tracker.channel(found), { state: 'ringing', stale: false, tenantId: ids.acme, callerNumber: '+15550001111', trunkId: backup, node: 'fs1' });
      t.same(tracker.aLegs(ids.acme).map((c) => c.uuid), [kept, found]);
      await counted;
      t.equal(await channelsOf(main), 0);
      t.equal(await channelsOf(backup), 1);

      rig.server.api = (cmd) => (cmd === 'show channels as json' ? '{"row_count": 0}\n' : undefined);
      const again = once(tracker, 'reconciled');
      const zero = written(tracker, backup, 0);
      rig.server.dropAll();
      await again;
      await zero;
      t.same(tracker.aLegs(ids.acme), [], 'FreeSWITCH lists no channel ({"row_count": 0}, no rows): every stale one ends');
      t.equal(await channelsOf(backup), 0);
      t.same(reported, [], 'no errors');
    });

    t.test('a channel whose hangup shares a TCP read with its uuid_dump reply is not revived by the dump', async (t) => {
      const ghost = uuid(12);
      const up = seen(tracker, ghost);
      const oneOnTrunk = written(tracker, main, 1);
      rig.server.pushEvent(rig.server.event('CHANNEL_CREATE', { 'Unique-ID': ghost, 'Call-Direction': 'outbound', 'Answer-State': 'ringing', variable_accountcode: ids.acme, variable_sip_gateway_name: main }));
      await up;
      await oneOnTrunk;

      // FreeSWITCH runs the api command, writes its reply, then flushes the queued events: the
      // channel's CHANNEL_HANGUP_COMPLETE goes out right behind the dump that still shows it.
      // Both are written before this process polls its sockets again, so the client reads them
      // in one chunk and modesl handles the hangup before the reconcile's await resumes.
      const row = { uuid: ghost, direction: 'outbound', created_epoch: '1795312020', name: `sofia/gateway/${main}/1002`, state: 'CS_EXECUTE', cid_num: '1001', dest: '1002', callstate: 'ACTIVE', accountcode: ids.acme };
      rig.server.api = (cmd) => {
        if (cmd === 'show channels as json') return JSON.stringify({ row_count: 1, rows: [row] });
        if (cmd === `uuid_dump ${ghost} json`) {
          setImmediate(() => rig.server.pushEvent(rig.server.event('CHANNEL_HANGUP_COMPLETE', { 'Unique-ID': ghost, 'Answer-State': 'hangup', 'Hangup-Cause': 'NORMAL_CLEARING' })));
          return JSON.stringify(rig.server.event('CHANNEL_DATA', { 'Unique-ID': ghost, 'Call-Direction': 'outbound', 'Answer-State': 'answered', variable_accountcode: ids.acme, variable_sip_gateway_name: main }));
        }
        return undefined;
      };
      const lost = once(rig.nodes.connections[0]!, 'disconnected');
      const reconciled = once(tracker, 'reconciled');
      const cause = hungUp(tracker, ghost);
      const counted = once(tracker, 'counts');
      const since = rig.server.received.length;
      rig.server.dropAll();
      await lost;
      t.ok(tracker.channel(ghost)?.stale, 'kept, marked stale');
      await reconciled;
      t.same(rig.server.commands.slice(since).filter((c) => c.startsWith('api ')), ['api show channels as json', `api uuid_dump ${ghost} json`]);
      t.equal(await cause, 'NORMAL_CLEARING', 'ended by its hangup event');
      t.equal(tracker.channel(ghost), undefined, 'no ghost channel');
      t.same(tracker.aLegs(ids.acme), [], 'not listed for the tenant');
      const [counts] = (await counted) as [ReadonlyMap<string, number>];
      t.equal(counts.get(main), 0, 'the trunk\'s count written after the reconcile is 0');
      t.equal(await channelsOf(main), 0, 'trunks.current_channels back to 0');
      rig.server.api = (cmd) => (cmd === 'show channels as json' ? '{"row_count": 0}\n' : undefined);
      t.same(reported, [], 'no errors');
    });
  });
}
