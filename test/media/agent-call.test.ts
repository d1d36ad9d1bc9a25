/**
 * A caller meets the AI voice agent: FreeSWITCH (the rig) parks the call, Switchplane forks its
 * audio, talks to the (mock) OpenAI Realtime API, opens a ticket in the customer's CRM, hands the
 * call to a person, and stores the session linked to the CDR.
 */
import t from 'tap';
import { createHmac } from 'node:crypto';
import { backends } from '../helpers/backends.js';
import { agentRig, FAILOVER_EXTENSION, toolOutput } from '../helpers/agent-rig.js';
import { readWav } from '../helpers/wav.js';

const CRM_SECRET = 'crm-webhook-secret-0123456789';

for (const backend of backends) {
  t.test(backend.name, async (t) => {
    t.test('a full call: greeting, question, ticket, transfer, stored session and CDR link', async (t) => {
      const rig = await agentRig(t, backend, {
        greeting: { type: 'audio', text: 'Hello, thank you for calling Acme, how can I help you?', audio: { wav: 'agent-greeting.wav' } },
        turns: [
          {
            transcript: 'Hello, my internet connection has been down since this morning.',
            steps: [
              { type: 'function_call', name: 'create_ticket', arguments: { subject: 'Internet down', description: 'No connection since this morning', priority: 'high' }, callId: 'call_ticket' },
              { type: 'audio', text: 'I opened ticket TCK-1 for you.', audio: { toneHz: 440, ms: 400 } },
            ],
          },
          {
            transcript: 'Can I talk to a person please?',
            steps: [
              { type: 'function_call', name: 'transfer_to_human', arguments: { extension: '1001', reason: 'caller asked for a person' }, callId: 'call_transfer' },
              { type: 'audio', text: 'Of course, I am transferring you now, goodbye.', audio: { toneHz: 523, ms: 300 } },
            ],
          },
        ],
      });
      await rig.useCrm(CRM_SECRET);

      const callId = rig.park();
      const media = await rig.fork(callId);
      const session = await rig.mock.waitForSession();
      await session.waitFor('session.update');
      t.match(session.config, { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad' } }, output: { format: { type: 'audio/pcmu' } } } }, 'μ-law both ways, server VAD');
      t.match(String((session.config as { instructions?: string }).instructions), /Acme Corp/, 'the profile instructions name the tenant');
      t.same(((session.config as { tools?: Array<{ name: string }> }).tools ?? []).map((x) => x.name), ['create_ticket', 'transfer_to_human', 'end_call']);

      await session.waitForSent('response.done');
      const greetingBytes = session.deltas.reduce((n, d) => n + d.bytes, 0); // μ-law: one byte a sample
      await media.waitForJson((j: { type?: string }) => j.type === 'streamAudio');

      await media.sendSilence(300);
      await media.sendAudio(readWav('caller-internet-down.wav').samples);
      await media.sendSilence(800);
      t.same(await toolOutput(session, 'call_ticket'), { ticketId: 'TCK-1' }, 'the model gets the CRM ticket id');
      const [ticket] = rig.crm.requests;
      const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(ticket!.headers['x-switchplane-signature']));
      t.ok(sig, 'the webhook is signed');
      t.equal(sig![2], createHmac('sha256', CRM_SECRET).update(`${sig![1]}.${ticket!.body}`).digest('hex'), 'the signature verifies with the secret');
      t.match(JSON.parse(ticket!.body), { subject: 'Internet down', priority: 'high', callId, did: '+390510510510', callerNumber: '+393331112222' });

      await session.waitForSent('response.done', () => true, 3);
      await media.sendSilence(600);
      await media.sendAudio(readWav('caller-ask-person.wav').samples);
      await media.sendSilence(800);
      const transfer = await rig.esl.server.waitForCommand(`api uuid_transfer ${callId} 1001 XML acme.switchplane.test`);
      t.ok(transfer, 'the call goes to extension 1001 in the tenant context');
      const commands = rig.esl.server.commands;
      t.ok(commands.indexOf(`api uuid_audio_stream ${callId} stop`) < commands.indexOf(transfer.command), 'the fork is stopped before the transfer');
      t.ok(
        rig.esl.server.received.some((r) => r.command === `sendmsg ${callId}` && r.headers['execute-app-name'] === 'playback' && r.headers['execute-app-arg']?.startsWith(`/tmp/${callId}_`)),
        'the agent audio files are queued for playback on the call',
      );

      rig.hangup(callId);
      const row = await rig.session(callId);
      t.equal(row.openai_session_id, session.id);
      t.match(row, { agent_profile: 'customer-care-voice', did: '+390510510510', caller_number: '+393331112222', transfer_target: '1001', transfer_reason: 'caller asked for a person', failure_reason: null });
      const transcript = row.transcript as unknown as Array<{ role: string; text: string; at: string }>;
      t.same(transcript.map((e) => e.role), ['agent', 'caller', 'agent', 'caller', 'agent'], 'both sides, in order');
      t.match(transcript[1]!.text, /internet/);
      t.ok(transcript.every((e, i) => i === 0 || e.at >= transcript[i - 1]!.at), 'timestamps in order');
      const actions = row.actions_taken as unknown as Array<{ action: string; result: Record<string, unknown> }>;
      t.same(actions.map((a) => a.action), ['create_ticket', 'transfer_to_human']);
      t.same(actions[0]!.result, { ticketId: 'TCK-1' });
      t.equal(row.sentiment, 'positive', 'the analysis read the transcript (the agent thanked the caller)');
      t.equal(row.satisfaction_score, 5);
      t.ok(greetingBytes > 8000, 'the greeting was several seconds of audio');

      const cdr = await rig.cdr(callId);
      t.equal(cdr.call_type, 'ai_voice');
      t.equal(cdr.ai_session_id, row.id, 'the CDR links to the session');
    });

    t.test('two Switchplane instances on one event socket: one of them runs the call', async (t) => {
      const rig = await agentRig(t, backend, { greeting: { type: 'audio', text: 'Hello', audio: { toneHz: 440, ms: 200 } } }, {}, { instances: 2 });
      const callId = rig.park();
      await rig.fork(callId);
      await rig.mock.waitForSession();
      await new Promise((resolve) => setTimeout(resolve, 300));
      t.equal(rig.esl.server.commands.filter((c) => c.startsWith(`api uuid_audio_stream ${callId} start`)).length, 1, 'one media fork');
      t.equal(rig.mock.sessions.length, 1, 'one Realtime session');
      rig.hangup(callId);
      t.equal((await rig.session(callId)).failure_reason, null);
    });

    t.test('OpenAI refuses the connection: the caller goes to the failover extension', async (t) => {
      const rig = await agentRig(t, backend, { failure: 'refuse' });
      const callId = rig.park();
      const transfer = await rig.esl.server.waitForCommand(new RegExp(`^api uuid_transfer ${callId} `));
      t.equal(transfer.command, `api uuid_transfer ${callId} ${FAILOVER_EXTENSION} XML acme.switchplane.test`);
      rig.hangup(callId);
      const row = await rig.session(callId);
      t.equal(row.failure_reason, 'openai_unreachable');
      t.equal(row.transfer_target, FAILOVER_EXTENSION);
      t.match(row.actions_taken, [{ action: 'failover', params: { reason: 'openai_unreachable' } }]);
      const metrics = await rig.ctx.metrics.registry.metrics();
      t.match(metrics, /switchplane_ai_sessions_total\{outcome="failover",reason="openai_unreachable"\} 1/, 'the failover is counted');
      t.match(metrics, /switchplane_ai_active_calls 0/);
    });

    t.test('OpenAI answers with an error: failover, the reason stored', async (t) => {
      const rig = await agentRig(t, backend, { failure: 'error', error: { type: 'server_error', code: 'server_error', message: 'The server had an error' } });
      const callId = rig.park();
      await rig.esl.server.waitForCommand(`api uuid_transfer ${callId} ${FAILOVER_EXTENSION} XML acme.switchplane.test`);
      t.equal((await rig.session(callId)).failure_reason, 'openai_error');
    });

    t.test('OpenAI stops answering: failover after the response timeout', async (t) => {
      const rig = await agentRig(t, backend, { failure: 'silent' }, { AI_RESPONSE_TIMEOUT_MS: '300' });
      const callId = rig.park();
      await rig.fork(callId);
      await rig.esl.server.waitForCommand(`api uuid_transfer ${callId} ${FAILOVER_EXTENSION} XML acme.switchplane.test`);
      t.equal((await rig.session(callId)).failure_reason, 'openai_timeout');
    });

    t.test('the media fork drops: failover', async (t) => {
      const rig = await agentRig(t, backend, { greeting: { type: 'audio', text: 'Hello', audio: { toneHz: 440, ms: 200 } } });
      const callId = rig.park();
      const media = await rig.fork(callId);
      await rig.mock.waitForSession();
      await media.close(1001, 'going away');
      await rig.esl.server.waitForCommand(`api uuid_transfer ${callId} ${FAILOVER_EXTENSION} XML acme.switchplane.test`);
      t.equal((await rig.session(callId)).failure_reason, 'media_disconnected');
    });

    t.test('the caller hangs up: the fork closing first is not a failover', async (t) => {
      const rig = await agentRig(t, backend, { greeting: { type: 'audio', text: 'Hello', audio: { toneHz: 440, ms: 200 } } });
      const callId = rig.park();
      const media = await rig.fork(callId);
      await rig.mock.waitForSession();
      await media.close(1000, 'Normal closure'); // FreeSWITCH closes the fork as the channel hangs up
      rig.esl.server.pushEvent(rig.esl.server.event('CHANNEL_HANGUP', { 'Unique-ID': callId, 'Hangup-Cause': 'NORMAL_CLEARING' }));
      const row = await rig.session(callId);
      t.equal(row.failure_reason, null);
      t.equal(row.transfer_target, null);
      t.notOk(rig.esl.server.commands.some((c) => /^api uuid_(transfer|kill) /.test(c)), 'nothing is sent to the channel that hung up');
      t.match(await rig.ctx.metrics.registry.metrics(), /switchplane_ai_sessions_total\{outcome="caller_hangup",reason="none"\} 1/);
    });

    t.test('a media fork with a wrong token is refused', async (t) => {
      const rig = await agentRig(t, backend, { greeting: { type: 'audio', text: 'Hello', audio: { toneHz: 440, ms: 200 } } });
      const callId = rig.park();
      const { command } = await rig.esl.server.waitForCommand(new RegExp(`^api uuid_audio_stream ${callId} start `));
      const url = new URL(command.split(' ')[4]!);
      url.searchParams.set('token', 'wrong');
      const { WebSocket } = await import('ws');
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => {});
      });
      t.equal(status, 401);
      rig.hangup(callId);
      await rig.session(callId);
    });
  });
}
