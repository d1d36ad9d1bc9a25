/**
 * The media fork of a voicemail message being recorded, as the ESL events drive it: RECORD_START
 * of a channel naming its mailbox (and still answered) queues one `eval` starting a mono 8 kHz
 * mod_audio_stream fork to the message's signed URL; RECORD_STOP of that channel stops it while the
 * caller is on the line, and sends nothing once the caller hung up. Channels without a mailbox
 * (a greeting recorded from the mailbox menu, any other `record`) are left alone, and a refusal
 * because the channel is gone is not a failure.
 */
import t from 'tap';
import { VOICEMAIL_BOX_VARIABLE, VoicemailForks } from '../../src/domain/voicemail-forks.js';
import type { EslEvent } from '../../src/esl/events.js';
import { expandingApi, VoicemailRecording } from '../../src/esl/voicemail-recording.js';

const TENANT = '091db39c-db88-4614-9658-339935d66329';
const EXTENSION = '59bad476-248b-4aef-a64c-ced7e5471656';
const UUID = 'a7b383b9-dbad-407e-8f52-98a0d41eab49';
const forks = new VoicemailForks(Buffer.alloc(32, 7), 'ws://127.0.0.1:8080');

function event(name: 'RECORD_START' | 'RECORD_STOP', answer = 'answered', box: string | null = `${TENANT}/${EXTENSION}`, uuid = UUID): EslEvent {
  return {
    'Event-Name': name, 'Unique-ID': uuid, 'Answer-State': answer, 'Record-File-Path': '/tmp/msg.wav',
    ...(box === null ? {} : { [`variable_${VOICEMAIL_BOX_VARIABLE}`]: box }),
  };
}

function rig(fail?: (arg: string) => Error | undefined) {
  const sent: Array<[string, string, string, string]> = [];
  const errors: unknown[] = [];
  const handler = new VoicemailRecording({
    forks,
    execute: async (node, uuid, app, arg) => {
      sent.push([node, uuid, app, arg]);
      const err = fail?.(arg);
      if (err) throw err;
    },
    onError: (err) => errors.push(err),
  });
  return { handler, sent, errors };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

t.test('expandingApi: an API command as the ${api(args)} expansion FreeSWITCH runs when it expands the argument', async (t) => {
  t.equal(expandingApi('uuid_audio_stream abc stop'), '${uuid_audio_stream(abc stop)}');
});

t.test('RECORD_START of a voicemail deposit starts the fork; RECORD_STOP with the caller on the line stops it', async (t) => {
  const { handler, sent, errors } = rig();
  t.same(handler.events, ['RECORD_START', 'RECORD_STOP']);
  handler.handle(event('RECORD_START'), 'fs1');
  handler.handle(event('RECORD_START'), 'fs1');
  const url = forks.url({ messageId: UUID, tenantId: TENANT, extensionId: EXTENSION });
  t.same(sent, [['fs1', UUID, 'eval', `\${uuid_audio_stream(${UUID} start ${url} mono 8k)}`]], 'one start, on the node that reported it, to the message\'s own URL');
  t.same(forks.accept(new URL(url).pathname + new URL(url).search), { tenantId: TENANT, extensionId: EXTENSION, messageId: UUID }, 'a URL the capture endpoint accepts');
  handler.handle(event('RECORD_STOP'), 'fs1');
  handler.handle(event('RECORD_STOP'), 'fs1');
  t.same(sent.slice(1), [['fs1', UUID, 'eval', `\${uuid_audio_stream(${UUID} stop)}`]], 'one stop');
  await flush();
  t.same(errors, []);
});

t.test('a caller who hung up: no stop (the fork ends with the channel), and no start for a channel already down', async (t) => {
  const { handler, sent } = rig();
  handler.handle(event('RECORD_START'), 'fs1');
  handler.handle(event('RECORD_STOP', 'hangup'), 'fs1');
  t.equal(sent.length, 1, 'the start only');
  handler.handle(event('RECORD_START', 'hangup', undefined, 'b1b383b9-dbad-407e-8f52-98a0d41eab49'), 'fs1');
  t.equal(sent.length, 1, 'a recording that starts on a channel hung up meanwhile forks nothing');
});

t.test('other recordings are left alone', async (t) => {
  const { handler, sent } = rig();
  handler.handle(event('RECORD_START', 'answered', null), 'fs1');
  handler.handle(event('RECORD_START', 'answered', 'not-a-mailbox'), 'fs1');
  handler.handle(event('RECORD_STOP', 'answered', null), 'fs1');
  handler.handle(event('RECORD_STOP'), 'fs1');
  t.same(sent, [], 'no mailbox named, or a stop of a fork never started');
});

t.test('a channel gone before its start ran is not a failure; any other refusal is, and a later RECORD_START may try again', async (t) => {
  let refusal: Error | undefined = new Error(`sendmsg ${UUID} execute eval refused by fs1: -ERR invalid session id [${UUID}]`);
  const { handler, sent, errors } = rig(() => refusal);
  handler.handle(event('RECORD_START'), 'fs1');
  await flush();
  t.same(errors, [], 'gone: nothing reported');
  refusal = new Error('ESL node fs1 is not connected');
  handler.handle(event('RECORD_START'), 'fs1');
  await flush();
  t.equal(errors.length, 1, 'reported');
  t.equal(sent.length, 2, 'tried again after the first failed');
  handler.handle(event('RECORD_STOP'), 'fs1');
  t.equal(sent.length, 2, 'nothing to stop: the start failed');
});

t.test('a lost link forgets its node\'s forks', async (t) => {
  const { handler, sent } = rig();
  handler.handle(event('RECORD_START'), 'fs1');
  handler.handle(event('RECORD_START'), 'fs2');
  handler.disconnected('fs1');
  handler.handle(event('RECORD_STOP'), 'fs1');
  handler.handle(event('RECORD_STOP'), 'fs2');
  t.same(sent.map(([node, , , arg]) => `${node} ${arg.includes(' stop') ? 'stop' : 'start'}`), ['fs1 start', 'fs2 start', 'fs2 stop']);
});
