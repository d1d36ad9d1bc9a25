/**
 * The caller talks over the agent: playback in FreeSWITCH is emptied at once and the agent's item
 * is truncated at what the caller actually heard, with both fork modules.
 */
import t from 'tap';
import { backends } from '../helpers/backends.js';
import { agentRig } from '../helpers/agent-rig.js';
import { readWav } from '../helpers/wav.js';
import { FORK_LEAD_MS } from '../../src/media/fork-modules.js';

const LONG_GREETING = { type: 'audio' as const, text: 'Welcome to Acme. Let me tell you about all our offers this month, one by one.', audio: { toneHz: 440, ms: 6000 } };
const SPEECH = readWav('caller-ask-person.wav').samples;

for (const backend of backends) {
  t.test(backend.name, async (t) => {
    t.test('mod_audio_fork: stop_play at once, truncated at the frames the caller got', async (t) => {
      const rig = await agentRig(t, backend, { greeting: LONG_GREETING, turns: [{ transcript: 'Can I talk to a person please?' }] }, { MEDIA_FORK_MODULE: 'audio_fork' });
      const callId = rig.park();
      const media = await rig.fork(callId);
      const session = await rig.mock.waitForSession();
      await media.waitForBinaryBytes(16000); // one second of the greeting, 8 kHz L16
      await media.sendAudio(SPEECH);
      const flush = await rig.esl.server.waitForCommand(`api uuid_audio_fork ${callId} stop_play`);
      t.ok(flush, 'FreeSWITCH playback is emptied');
      const truncate = await session.waitFor('conversation.item.truncate');
      const heardMs = truncate.event.audio_end_ms as number;
      const greeting = session.sentOf('response.output_audio.delta')[0]!.event.item_id;
      t.equal(truncate.event.item_id, greeting, 'the greeting item is cut');
      const received = media.binary.filter((f) => f.at <= truncate.at).reduce((n, f) => n + f.data.length, 0) / 16; // ms of L16 8 kHz
      // Frames go FORK_LEAD_MS ahead into the module's buffer: what was heard is what arrived, less that lead.
      t.ok(received - heardMs >= 0 && received - heardMs <= FORK_LEAD_MS + 20, `truncated at ${heardMs} ms; the fork had received ${received} ms`);
      t.ok(heardMs >= 1000 - FORK_LEAD_MS && heardMs < 6000, 'at a point inside the greeting');
      const after = media.binary.filter((f) => f.at > truncate.at + 100).length;
      t.equal(after, 0, 'no greeting frame is sent after the flush');

      rig.hangup(callId);
      const row = await rig.session(callId);
      const entry = (row.transcript as unknown as Array<{ itemId: string; interrupted?: boolean; heardMs?: number }>).find((e) => e.itemId === greeting);
      t.match(entry, { interrupted: true, heardMs }, 'the transcript says how much of the greeting was heard');
    });

    t.test('mod_audio_stream: uuid_break all, truncated no later than the audio sent', async (t) => {
      const rig = await agentRig(t, backend, { greeting: LONG_GREETING, turns: [{ transcript: 'Can I talk to a person please?' }] });
      const callId = rig.park();
      const media = await rig.fork(callId);
      const session = await rig.mock.waitForSession();
      await media.waitForJson((j: { type?: string }) => j.type === 'streamAudio');
      await media.sendSilence(800);
      await media.sendAudio(SPEECH);
      await rig.esl.server.waitForCommand(`api uuid_break ${callId} all`);
      const truncate = await session.waitFor('conversation.item.truncate');
      const sentMs = media.texts
        .filter((m) => m.at <= truncate.at && (m.json as { type?: string })?.type === 'streamAudio')
        .reduce((n, m) => n + Buffer.from((m.json as { data: { audioData: string } }).data.audioData, 'base64').length / 16, 0);
      const heardMs = truncate.event.audio_end_ms as number;
      t.ok(heardMs > 0 && heardMs <= sentMs, `truncated at ${heardMs} ms of the ${sentMs} ms sent as files`);
      rig.hangup(callId);
      await rig.session(callId);
    });
  });
}
