/**
 * The agent's tools and limits as a customer sees them: a transfer only reaches the tenant's own
 * active extensions, a CRM webhook the destination policy refuses is never called, `end_call`
 * hangs up once the goodbye has played, 24 kHz PCM keeps the audio's length, and a call past the
 * session limit goes to the failover extension.
 */
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { agentRig, FAILOVER_EXTENSION, toolOutput } from '../helpers/agent-rig.js';
import { readWav } from '../helpers/wav.js';

const SPEECH = readWav('caller-ask-person.wav').samples;
const HELLO = { type: 'audio' as const, text: 'Hello, how can I help?', audio: { toneHz: 440, ms: 300 } };

for (const backend of backends) {
  t.test(backend.name, async (t) => {
    t.test('a transfer to a suspended extension is refused to the model, not carried out', async (t) => {
      const rig = await agentRig(t, backend, {
        greeting: HELLO,
        turns: [{
          transcript: 'Put me through to 1003.',
          steps: [
            { type: 'function_call', name: 'transfer_to_human', arguments: { extension: '1003', reason: 'asked for 1003' }, callId: 'call_bad' },
            { type: 'audio', text: 'That colleague is not available.', audio: { toneHz: 440, ms: 300 } },
          ],
        }],
      });
      const callId = rig.park();
      const media = await rig.fork(callId);
      const session = await rig.mock.waitForSession();
      await session.waitForSent('response.done');
      await media.sendAudio(SPEECH);
      await media.sendSilence(800);
      t.match(await toolOutput(session, 'call_bad'), { error: /1003 is not available/, extensions: ['1001', '1002'] });
      await session.waitForSent('response.done', () => true, 3);
      t.notOk(rig.esl.server.commands.some((c) => c.startsWith(`api uuid_transfer ${callId}`)), 'no transfer');
      rig.hangup(callId);
      const row = await rig.session(callId);
      t.equal(row.transfer_target, null);
    });

    t.test('a tool call with arguments that are not JSON gets an error, nothing is sent to the CRM', async (t) => {
      const rig = await agentRig(t, backend, {
        greeting: HELLO,
        turns: [{
          transcript: 'My internet is down.',
          steps: [
            { type: 'function_call', name: 'create_ticket', arguments: '{"subject": "Internet', callId: 'call_broken' },
            { type: 'audio', text: 'Sorry, could you say that again?', audio: { toneHz: 440, ms: 300 } },
          ],
        }, {
          transcript: 'It is still down.',
          steps: [
            { type: 'function_call', name: 'create_ticket', arguments: 'null', callId: 'call_null' },
            { type: 'audio', text: 'Sorry, once more please?', audio: { toneHz: 440, ms: 300 } },
          ],
        }],
      });
      await rig.useCrm('crm-webhook-secret-0123456789');
      const callId = rig.park();
      const media = await rig.fork(callId);
      const session = await rig.mock.waitForSession();
      await session.waitForSent('response.done');
      await media.sendAudio(SPEECH);
      await media.sendSilence(800);
      t.same(await toolOutput(session, 'call_broken'), { error: 'a ticket needs a subject' });
      await session.waitForSent('response.done', () => true, 3);
      await media.sendAudio(SPEECH);
      await media.sendSilence(800);
      t.same(await toolOutput(session, 'call_null'), { error: 'a ticket needs a subject' }, 'arguments that are JSON but not an object count as none');
      t.equal(rig.crm.requests.length, 0);
      rig.hangup(callId);
      t.match(await rig.session(callId), { actions_taken: [
        { action: 'create_ticket', params: {}, result: { error: 'a ticket needs a subject' } },
        { action: 'create_ticket', params: {}, result: { error: 'a ticket needs a subject' } },
      ] });
    });

    t.test('a CRM webhook on loopback is not called unless DESTINATION_ALLOW holds it', async (t) => {
      const rig = await agentRig(t, backend, {
        greeting: HELLO,
        turns: [{
          transcript: 'My internet is down.',
          steps: [
            { type: 'function_call', name: 'create_ticket', arguments: { subject: 'Internet down', priority: 'high' }, callId: 'call_ticket' },
            { type: 'audio', text: 'I could not open a ticket.', audio: { toneHz: 440, ms: 300 } },
          ],
        }],
      }, { DESTINATION_ALLOW: '' });
      await rig.useCrm('crm-webhook-secret-0123456789');
      const callId = rig.park();
      const media = await rig.fork(callId);
      const session = await rig.mock.waitForSession();
      await session.waitForSent('response.done');
      await media.sendAudio(SPEECH);
      await media.sendSilence(800);
      t.same(await toolOutput(session, 'call_ticket'), { error: 'the ticket could not be created', reason: 'destination_not_allowed' });
      t.equal(rig.crm.requests.length, 0, 'nothing reached the CRM on 127.0.0.1');
      rig.hangup(callId);
      await rig.session(callId);
    });

    t.test('end_call hangs up after the goodbye has played', async (t) => {
      const rig = await agentRig(t, backend, {
        greeting: HELLO,
        turns: [{
          transcript: 'That is all, thanks.',
          steps: [
            { type: 'function_call', name: 'end_call', arguments: { reason: 'caller done' }, callId: 'call_end' },
            { type: 'audio', text: 'Goodbye and thank you for calling.', audio: { toneHz: 330, ms: 1200 } },
          ],
        }],
      }, { MEDIA_FORK_MODULE: 'audio_fork' });
      const callId = rig.park();
      const media = await rig.fork(callId);
      const session = await rig.mock.waitForSession();
      await media.waitForBinaryBytes(300 * 16); // the whole greeting, so that the caller does not talk over it
      await media.sendAudio(SPEECH);
      await media.sendSilence(600);
      const kill = await rig.esl.server.waitForCommand(`api uuid_kill ${callId} NORMAL_CLEARING`);
      t.ok(kill);

      const goodbye = session.deltas.filter((d) => d.item_id === session.deltas.at(-1)!.item_id).reduce((n, d) => n + d.ms, 0);
      const framesOfGoodbye = media.binary.length - 300 / 20; // the greeting was 300 ms
      t.ok(framesOfGoodbye * 20 >= goodbye, `all ${goodbye} ms of the goodbye reached FreeSWITCH before the hangup (${framesOfGoodbye * 20} ms had)`);
      rig.hangup(callId);
      t.match(await rig.session(callId), { failure_reason: null, actions_taken: [{ action: 'end_call' }] });
    });

    t.test('audio/pcm at 24 kHz: resampled both ways, the same length', async (t) => {
      const rig = await agentRig(t, backend, { greeting: { type: 'audio', text: 'Hello', audio: { toneHz: 1000, ms: 1000 } } }, { AI_AUDIO_FORMAT: 'pcm24k', MEDIA_FORK_MODULE: 'audio_fork' });
      const callId = rig.park();
      const media = await rig.fork(callId);
      const session = await rig.mock.waitForSession();
      await session.waitFor('session.update');
      t.match(session.config, { audio: { input: { format: { type: 'audio/pcm', rate: 24000 } }, output: { format: { type: 'audio/pcm', rate: 24000 } } } });
      await media.waitForBinaryBytes(16000 - 320);
      await media.sendAudio(SPEECH);
      const appended = session.appends.reduce((n, a) => n + a.bytes, 0) / 48; // ms of L16 24 kHz
      t.ok(Math.abs(appended - media.framesSent * 20) <= 20, `${appended} ms appended for ${media.framesSent * 20} ms sent`);
      rig.hangup(callId);
      await rig.session(callId);
    });

    t.test('a call longer than the session limit goes to the failover extension', async (t) => {
      const rig = await agentRig(t, backend, { greeting: HELLO }, { AI_SESSION_LIMIT_SECONDS: '5' });
      const callId = rig.park();
      await rig.fork(callId);
      await rig.esl.server.waitForCommand(`api uuid_transfer ${callId} ${FAILOVER_EXTENSION} XML acme.switchplane.test`);
      t.equal((await rig.session(callId)).failure_reason, 'session_limit');
    });
  });
}
