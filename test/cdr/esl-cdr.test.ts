import t from 'tap';
import { once } from 'node:events';
import { backends } from '../helpers/backends.js';
import { hangupEvent } from '../helpers/cdr.js';
import { recordedEvents, type JsonEvent } from '../helpers/esl-server.js';
import { eventually } from '../helpers/eventually.js';
import { JSON_CDR, JSON_CDR_UUID, jsonCdr, keptAside, metric, postCdr, rig, storedCdr, unansweredCall, type Rig } from './service-rig.js';

/** The CDR service stores what it is handed in the background: asked every 5 ms, up to 30 s. */
const CDR_STORED = { timeoutMs: 30_000, intervalMs: 5 };

/** The recorded 9999 call's events as a call of `tenantId`, with a fresh Unique-ID. */
function recordedCall(tenantId: string): JsonEvent[] {
  const uuid = crypto.randomUUID();
  const old = 'b1c6c29f-fd6a-4f7a-bc35-49cac6eb65fa';
  return recordedEvents('call-json.txt')
    .filter((e) => e['Unique-ID'] === old)
    .map((e) => JSON.parse(JSON.stringify(e).replaceAll(old, uuid)) as JsonEvent)
    .map((e) => (e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE' ? { ...e, variable_accountcode: tenantId, variable_domain_name: 'acme.switchplane.test' } : e));
}

async function rows(r: Rig) {
  return r.ctx.store.withTenant(r.acmeId, (db) => db.selectFrom('cdrs').select(['unique_id', 'caller_name', 'billsec', 'disposition', 'hangup_cause']).execute());
}

for (const backend of backends) {
  t.test(`CDRs from FreeSWITCH on ${backend.name}`, async (t) => {
    t.test('a recorded call replayed over the event socket lands as one CDR', async (t) => {
      const r = await rig(t, backend);
      const call = recordedCall(r.acmeId);
      for (const e of call) r.server.pushEvent(e);
      const uuid = call[0]!['Unique-ID'] as string;
      await eventually('the CDR row stored', async () => (await rows(r)).length > 0, CDR_STORED);
      t.same(await rows(r), [{ unique_id: uuid, caller_name: '1001', billsec: 3, disposition: 'ANSWERED', hangup_cause: 'NORMAL_CLEARING' }]);
    });

    t.test('FreeSWITCH drops the connection mid-call: the controller reconnects and the CDR still lands', async (t) => {
      const r = await rig(t, backend);
      const call = recordedCall(r.acmeId);
      const hangupAt = call.findIndex((e) => e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE');
      for (const e of call.slice(0, hangupAt)) r.server.pushEvent(e);
      const subscribed = r.server.commands.filter((c) => c.startsWith('event json CHANNEL_CREATE')).length;
      const back = once(r.nodes.connections[0]!, 'connected');
      r.server.dropAll();
      await back;
      t.equal(r.server.commands.filter((c) => c.startsWith('event json CHANNEL_CREATE')).length, subscribed + 1, 're-subscribed on the new link');
      t.equal(await metric(r.ctx.metrics, 'switchplane_esl_reconnects_total', 'node="fs1"'), 1);
      for (const e of call.slice(hangupAt)) r.server.pushEvent(e);
      await eventually('the CDR row stored', async () => (await rows(r)).length > 0, CDR_STORED);
      t.equal((await rows(r))[0]!.unique_id, call[0]!['Unique-ID']);
    });

    t.test('a json_cdr post and an ESL event for the same leg give one row', async (t) => {
      const r = await rig(t, backend);
      const doc = JSON.parse(JSON_CDR) as { variables: Record<string, string> };
      doc.variables.accountcode = r.acmeId;
      const post = await r.ctx.app.inject({ method: 'POST', url: `/freeswitch/cdr?uuid=${JSON_CDR_UUID}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(doc) });
      t.equal(post.statusCode, 200);
      t.same(post.json(), { uniqueId: JSON_CDR_UUID });
      await r.service.cdrs.idle();
      r.server.pushEvent(hangupEvent({ 'Unique-ID': JSON_CDR_UUID, variable_uuid: JSON_CDR_UUID, variable_accountcode: r.acmeId }));
      await eventually('an ESL CDR merged', async () => (await metric(r.ctx.metrics, 'switchplane_cdrs_written_total', 'source="esl",result="merged"')) > 0, CDR_STORED);
      const all = await rows(r);
      t.equal(all.length, 1);
      t.equal(all[0]!.unique_id, JSON_CDR_UUID);
      t.equal(await metric(r.ctx.metrics, 'switchplane_cdrs_written_total', 'source="json_cdr",result="inserted"'), 1);
      const row = await storedCdr(r, JSON_CDR_UUID);
      t.equal(row.core_uuid, '400ac0d2-12c8-44e4-9713-8ed589d8ee0e', 'the core-uuid of the recorded FreeSWITCH, in the post and the event');
      t.equal(row.node, 'fs1', 'the event socket\'s report names the node');
      t.same(await keptAside(r), []);
      t.same(r.warnings, []);
      t.equal(await metric(r.ctx.metrics, 'switchplane_cdr_conflicts_total', 'source="esl",reason="node"'), 0);
    });

    t.test('the event socket reports a leg first and mod_json_cdr second: the post fills what the event left empty', async (t) => {
      const r = await rig(t, backend);
      const event = unansweredCall(r.server, r.acmeId);
      const uuid = event['Unique-ID'] as string;
      r.server.pushEvent(event);
      await eventually('an ESL CDR inserted', async () => (await metric(r.ctx.metrics, 'switchplane_cdrs_written_total', 'source="esl",result="inserted"')) > 0, CDR_STORED);
      const post = await postCdr(r, jsonCdr(uuid, r.server.coreUuid, { accountcode: r.acmeId, switchplane_recording_path: '/rec/a.wav' }));
      t.equal(post.statusCode, 200);
      await r.service.cdrs.idle();
      const row = await storedCdr(r, uuid);
      t.equal(row.hangup_cause, 'NORMAL_CLEARING', 'filled from the post');
      t.equal(row.recording_url, '/rec/a.wav', 'filled from the post');
      t.same([row.tenant_id, row.core_uuid, row.node], [r.acmeId, r.server.coreUuid, 'fs1']);
      t.equal(await metric(r.ctx.metrics, 'switchplane_cdrs_written_total', 'source="json_cdr",result="merged"'), 1);
      t.same(await keptAside(r), []);
      t.same(r.warnings, []);
    });

    t.test('json_cdr posts in every mod_json_cdr encoding are read; other bodies are refused with 400', async (t) => {
      const r = await rig(t, backend);
      const text = (uuid: string) => JSON_CDR.replaceAll(JSON_CDR_UUID, uuid).replace('"variables":{', `"variables":{"accountcode":"${r.acmeId}",`);
      const form = crypto.randomUUID();
      const b64 = crypto.randomUUID();
      const urlencoded = await r.ctx.app.inject({ method: 'POST', url: '/freeswitch/cdr', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `cdr=${encodeURIComponent(text(form))}` });
      t.same(urlencoded.json(), { uniqueId: form });
      const base64 = await r.ctx.app.inject({ method: 'POST', url: '/freeswitch/cdr', headers: { 'content-type': 'application/x-www-form-base64-encoded' }, payload: `cdr=${encodeURIComponent(Buffer.from(text(b64)).toString('base64'))}` });
      t.same(base64.json(), { uniqueId: b64 });
      for (const [type, payload] of [['application/json', '{not json'], ['application/json', '{"variables": {}}'], ['application/x-www-form-urlencoded', 'x=1'], ['application/json', '[]']]) {
        const res = await r.ctx.app.inject({ method: 'POST', url: '/freeswitch/cdr', headers: { 'content-type': type! }, payload });
        t.equal(res.statusCode, 400, `${type} ${payload}`);
        t.type(res.json().error, 'string');
      }
      await r.service.cdrs.idle();
      t.same((await rows(r)).map((x) => x.unique_id).sort(), [form, b64].sort());
    });

    t.test('json_cdr posts need the xml_curl credentials when they are set', async (t) => {
      const r = await rig(t, backend, { XMLCURL_USERNAME: 'fs', XMLCURL_PASSWORD: 'secret' });
      const post = (auth?: string) =>
        r.ctx.app.inject({ method: 'POST', url: '/freeswitch/cdr', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, payload: JSON_CDR });
      t.equal((await post()).statusCode, 401);
      t.equal((await post(`Basic ${Buffer.from('fs:wrong').toString('base64')}`)).statusCode, 401);
      t.equal((await post(`Basic ${Buffer.from('fs:secret').toString('base64')}`)).statusCode, 200);
    });

    t.test('malformed frames and unknown events are counted and skipped; the next call still lands', async (t) => {
      const r = await rig(t, backend);
      const bad = '{"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": ';
      r.server.pushRaw(`Content-Length: ${bad.length}\nContent-Type: text/event-json\n\n${bad}`);
      const unknown = JSON.stringify(r.server.event('PRESENCE_IN', { 'Unique-ID': crypto.randomUUID() }));
      r.server.pushRaw(`Content-Length: ${Buffer.byteLength(unknown)}\nContent-Type: text/event-json\n\n${unknown}`);
      const call = recordedCall(r.acmeId);
      for (const e of call) r.server.pushEvent(e);
      await eventually('the CDR row stored', async () => (await rows(r)).length > 0, CDR_STORED);
      t.equal((await rows(r)).length, 1);
      t.equal(await metric(r.ctx.metrics, 'switchplane_esl_events_total', 'node="fs1",event="unknown",result="malformed"'), 1);
      t.equal(await metric(r.ctx.metrics, 'switchplane_esl_events_total', 'node="fs1",event="other",result="ignored"'), 1);
      t.equal(await metric(r.ctx.metrics, 'switchplane_esl_events_total', 'node="fs1",event="CHANNEL_HANGUP_COMPLETE",result="handled"'), 1);
      t.ok(r.nodes.connections[0]!.health().connected, 'the link survived');
    });
  });
}
