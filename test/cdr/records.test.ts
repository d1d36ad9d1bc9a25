import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dispositionOf } from '../../src/domain/cdr-disposition.js';
import { cdrFromEvent, cdrFromJsonCdr, type JsonCdrDocument } from '../../src/cdr/records.js';
import { recordedEvents, recordedPlainEvents, type JsonEvent } from '../helpers/esl-server.js';
import { SHARED_DIR } from '../helpers/repo-paths.js';

const JSON_CDR = path.join(SHARED_DIR, 'fixtures/freeswitch/cdr/json_cdr-call-9999.json');
const usToIso = (us: string) => new Date(Math.floor(Number(us) / 1000)).toISOString();
const hangups = (events: JsonEvent[]) => events.filter((e) => e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE');

t.test('the CDR of the recorded 9999 call carries the values of its CHANNEL_HANGUP_COMPLETE event', async (t) => {
  const [event] = hangups(recordedEvents('call-json.txt'));
  const e = event as Record<string, string>;
  const cdr = cdrFromEvent(event!)!;
  t.equal(cdr.uniqueId, e['Unique-ID']);
  t.equal(cdr.uniqueId, 'b1c6c29f-fd6a-4f7a-bc35-49cac6eb65fa');
  t.equal(cdr.otherLegUniqueId, null, 'a call answered by the dialplan has no other leg');
  t.equal(cdr.accountcode, null);
  t.equal(cdr.domain, e.variable_domain_name);
  t.equal(cdr.did, null, 'not a call from a trunk');
  t.equal(cdr.direction, 'internal');
  t.equal(cdr.callType, 'voice');
  t.equal(cdr.callerNumber, e['Caller-Caller-ID-Number']);
  t.equal(cdr.callerName, e['Caller-Caller-ID-Name']);
  t.equal(cdr.calledNumber, e['Caller-Destination-Number']);
  t.equal(cdr.calledNumber, '9999');
  t.equal(cdr.calledName, null);
  t.equal(cdr.startAt, usToIso(e.variable_start_uepoch!));
  t.equal(cdr.answerAt, usToIso(e.variable_answer_uepoch!));
  t.equal(cdr.endAt, usToIso(e.variable_end_uepoch!));
  t.equal(cdr.startAt, '2026-11-22T01:46:33.011Z');
  t.equal(cdr.durationSeconds, Number(e.variable_duration));
  t.equal(cdr.billsec, Number(e.variable_billsec));
  t.equal(cdr.billsec, 3);
  t.equal(cdr.hangupCause, e.variable_hangup_cause);
  t.equal(cdr.sipStatus, null, 'FreeSWITCH answered it itself: no SIP final status was received');
  t.equal(cdr.disposition, 'ANSWERED');
  t.equal(cdr.gateway, null);
  t.equal(cdr.extension, e.variable_user_name, 'the caller authenticated as directory user 1001');
  t.equal(cdr.recordingUrl, null);
  t.equal(cdr.reportedAtMs, Math.floor(Number(e['Event-Date-Timestamp']) / 1000));
  const variables = Object.keys(e).filter((k) => k.startsWith('variable_'));
  t.equal(Object.keys(cdr.metadata).length, variables.length, 'every channel variable is kept');
  for (const k of variables) if (cdr.metadata[k.slice(9)] !== e[k]) t.fail(`metadata ${k}`);
});

t.test('both legs of the recorded sofia-to-sofia bridge link to each other and carry the SIP status', async (t) => {
  const legs = hangups(recordedPlainEvents('call-user-bridge-plain.txt')).map((e) => cdrFromEvent(e)!);
  t.equal(legs.length, 2);
  const [first, second] = legs as [NonNullable<(typeof legs)[0]>, NonNullable<(typeof legs)[0]>];
  t.equal(first.otherLegUniqueId, second.uniqueId);
  t.equal(second.otherLegUniqueId, first.uniqueId);
  const a = legs.find((l) => l.metadata.direction === 'inbound')!;
  const b = legs.find((l) => l.metadata.direction === 'outbound')!;
  t.equal(a.extension, '1001', 'the leg from the phone names the user that authenticated');
  t.equal(a.calledNumber, '9997');
  t.equal(b.extension, '1001', 'the leg to the phone names the dialled user');
  t.equal(b.calledNumber, '1001');
  t.equal(a.sipStatus, 200, 'sip_term_status of the caller\'s leg');
  t.equal(legs.filter((l) => l.disposition === 'ANSWERED').length, 2);
});

t.test('a mod_json_cdr document gives the same CDR as the event of the same leg would', async (t) => {
  const doc = JSON.parse(readFileSync(JSON_CDR, 'utf8')) as JsonCdrDocument & { variables: Record<string, string> };
  const cdr = cdrFromJsonCdr(doc)!;
  const v = doc.variables;
  t.equal(cdr.uniqueId, v.uuid);
  t.equal(cdr.uniqueId, '95f577b5-851f-4c2d-bbd7-182352e6c2c3');
  t.equal(cdr.callerNumber, '1001');
  t.equal(cdr.calledNumber, '9999');
  t.equal(cdr.startAt, usToIso(v.start_uepoch!));
  t.equal(cdr.answerAt, usToIso(v.answer_uepoch!));
  t.equal(cdr.endAt, usToIso(v.end_uepoch!));
  t.equal(cdr.durationSeconds, Number(v.duration));
  t.equal(cdr.billsec, Number(v.billsec));
  t.equal(cdr.hangupCause, 'NORMAL_CLEARING');
  t.equal(cdr.disposition, 'ANSWERED');
  t.equal(cdr.extension, '1001');
  t.equal(cdr.direction, 'internal');
  t.equal(cdr.metadata.sip_from_uri, '1001@127.0.0.1', 'URL-encoded values (encode-values) are decoded');
  t.equal(cdr.metadata.channel_name, 'sofia/internal/1001@127.0.0.1');
  t.equal(cdr.reportedAtMs, Math.floor(Number(v.end_uepoch) / 1000));

  const plain = structuredClone(doc);
  for (const [k, value] of Object.entries(plain.variables)) plain.variables[k] = decodeURIComponent(value);
  t.same(cdrFromJsonCdr(plain), cdr, 'encode-values=false gives the same record');
  t.equal(cdrFromJsonCdr({ variables: {} }), null, 'no uuid: no CDR');
});

t.test('an event and a mod_json_cdr document of the same FreeSWITCH name the same node', async (t) => {
  const [event] = hangups(recordedEvents('call-json.txt'));
  const doc = JSON.parse(readFileSync(JSON_CDR, 'utf8')) as JsonCdrDocument;
  const fromEvent = cdrFromEvent(event!, 'fs1')!;
  const fromPost = cdrFromJsonCdr(doc)!;
  t.equal(fromEvent.coreUuid, event!['Core-UUID']);
  t.equal(fromPost.coreUuid, doc['core-uuid']);
  t.equal(fromPost.coreUuid, fromEvent.coreUuid, 'both recorded from one run of FreeSWITCH');
  t.equal(fromEvent.node, 'fs1', 'the event socket names its node');
  t.equal(fromPost.node, null, 'a post does not know the ESL_NODES name');
  t.equal(cdrFromEvent(event!)!.node, null);
  t.equal(cdrFromJsonCdr({ variables: { uuid: 'u' } })!.coreUuid, null, 'a document without core-uuid names no node');
});

t.test('the dialplan\'s exported variables give direction, tenant, DID, call type and recording', async (t) => {
  const [base] = hangups(recordedEvents('call-json.txt'));
  const make = (extra: Record<string, string>) => cdrFromEvent({ ...base!, ...extra })!;
  t.equal(make({ 'Caller-Context': 'public', 'Caller-Destination-Number': '390510510511' }).did, '+390510510511');
  t.equal(make({ 'Caller-Context': 'public' }).direction, 'inbound');
  t.equal(make({ variable_sip_gateway_name: 'f3b0c2a4-0000-4000-8000-000000000001' }).direction, 'outbound');
  t.equal(make({ variable_switchplane_direction: 'outbound', 'Caller-Context': 'public' }).direction, 'outbound', 'the export wins');
  t.equal(make({ variable_switchplane_ai_profile: 'customer-care-voice' }).callType, 'ai_voice');
  t.equal(make({ variable_transfer_history: '1795311993:x:bl_xfer:1002/acme/XML' }).callType, 'transfer');
  t.equal(make({ variable_transfer_history: '1795311993:x:bl_xfer:+3900/acme/XML', variable_switchplane_click_to_call: 'true' }).callType, 'voice');
  t.equal(make({ variable_switchplane_recording_path: '/rec/a.wav' }).recordingUrl, '/rec/a.wav');
  t.equal(make({ variable_accountcode: 'T' }).accountcode, 'T');
  t.equal(make({ variable_sip_term_status: '486' }).sipStatus, 486);
  t.equal(make({ variable_proto_specific_hangup_cause: 'sip:503' }).sipStatus, 503);
  t.equal(cdrFromEvent({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE' }), null);
  const garbage = make({ variable_start_uepoch: '1e30', variable_answer_uepoch: 'soon', variable_end_uepoch: '-5', 'Caller-Channel-Created-Time': '9'.repeat(40) });
  t.equal(garbage.startAt, garbage.endAt ?? usToIso(base!['Event-Date-Timestamp'] as string), 'times no Date can hold fall back, not throw');
  t.equal(garbage.answerAt, usToIso(base!['Caller-Channel-Answered-Time'] as string));
});

t.test('dispositions follow the hangup cause as in the Welcomedly guide', async (t) => {
  const cases: Array<[boolean, string, string | undefined, string]> = [
    [true, 'NORMAL_CLEARING', 'recv_bye', 'ANSWERED'],
    [true, 'USER_BUSY', undefined, 'ANSWERED'],
    [false, 'USER_BUSY', 'recv_refuse', 'BUSY'],
    [false, 'NO_ANSWER', undefined, 'NO ANSWER'],
    [false, 'NO_USER_RESPONSE', undefined, 'NO ANSWER'],
    [false, 'ALLOTTED_TIMEOUT', undefined, 'NO ANSWER'],
    [false, 'NORMAL_CLEARING', 'send_cancel', 'NO ANSWER'],
    [false, 'ORIGINATOR_CANCEL', 'recv_cancel', 'CANCELLED'],
    [false, 'NORMAL_CLEARING', 'recv_cancel', 'CANCELLED'],
    [false, 'LOSE_RACE', undefined, 'CANCELLED'],
    [false, 'CALL_REJECTED', 'send_refuse', 'FAILED'],
    [false, 'UNALLOCATED_NUMBER', undefined, 'FAILED'],
    [false, 'NORMAL_TEMPORARY_FAILURE', undefined, 'FAILED'],
    [false, 'USER_NOT_REGISTERED', undefined, 'FAILED'],
    [false, 'GATEWAY_DOWN', undefined, 'FAILED'],
  ];
  for (const [answered, cause, sip, expected] of cases) t.equal(dispositionOf(answered, cause, sip), expected, `${answered ? 'answered' : 'unanswered'} ${cause} ${sip ?? ''}`);
});
