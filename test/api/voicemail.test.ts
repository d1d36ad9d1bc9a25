/**
 * The voicemail API of an extension (VoIP extensions guide) against a FreeSWITCH event socket that
 * answers mod_voicemail's commands: a customer lists, reads, marks read and deletes the messages
 * of its own extension's mailbox; another customer, a message of another mailbox, or an agent on
 * another extension get 404/403; without an event socket the answer is 503. A message's audio
 * reaches Switchplane over its media fork (a WebSocket client sends what mod_audio_stream sends:
 * mono 8 kHz L16 frames, then a normal close) and downloads as a WAV with the customer's key only;
 * a message without stored audio, or unknown to the mailbox, answers 404; DELETE removes the audio.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import wavefile from 'wavefile';
import { WebSocket } from 'ws';
import { VOICEMAIL_FORK_KEY_LABEL, VoicemailForks, type VoicemailFork } from '../../src/domain/voicemail-forks.js';
import { attachVoicemailCapture, type VoicemailCaptureResult } from '../../src/media/voicemail-capture.js';
import { buildApp } from '../../src/wiring/http.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { eslRig } from '../helpers/esl-controller.js';

const MSG = '0b9f1c52-7d0a-4f4e-9d55-0a4c1f3c2e10';
const OTHER = '7e1d2c3b-4a59-4687-9123-456789abcdef';

for (const backend of backends) {
  t.test(`${backend.name}: voicemail API`, async (t) => {
    const ctx = await demoApp(backend);
    const keys = await demoKeys(ctx.store);
    t.teardown(() => ctx.close());
    /** Acme 1001's mailbox holds MSG; OTHER is in 1002's. */
    let read = 0;
    let deleted = false;
    const sent: string[] = [];
    const rig = await eslRig(t, [], ctx.metrics, (cmd) => {
      sent.push(cmd);
      const list = /^vm_fsdb_msg_list json default acme\.switchplane\.test (\S+) inbox (not-read|read)$/.exec(cmd);
      if (list) {
        const mine = list[1] === '1001' && !deleted && (list[2] === 'read') === read > 0;
        return JSON.stringify({ 'VM-List-Count': mine ? '1' : '0', ...(mine ? { 'VM-List-Message-1-UUID': MSG } : {}) });
      }
      const get = /^vm_fsdb_msg_get json default acme\.switchplane\.test (\S+) (\S+)$/.exec(cmd);
      if (get) {
        const found = get[1] === '1001' && get[2] === MSG && !deleted;
        return JSON.stringify(found ? {
          'VM-Message-UUID': MSG, 'VM-Message-Received-Epoch': '1796454000', 'VM-Message-Read-Epoch': String(read),
          'VM-Message-Caller-Name': 'Giulia Bianchi', 'VM-Message-Caller-Number': '1002', 'VM-Message-Duration': '7', 'VM-Message-Read-Flags': 'A_URGENT',
          'VM-Message-File-Path': '/var/lib/freeswitch/storage/voicemail/default/acme.switchplane.test/1001/msg_5d4e3f2a-1b0c-4d9e-8f7a-6b5c4d3e2f1a.wav',
        } : { 'Event-Name': 'REQUEST_PARAMS' });
      }
      if (cmd === `vm_read 1001@acme.switchplane.test/default read ${MSG}`) read = 1796454100;
      else if (cmd === `vm_read 1001@acme.switchplane.test/default unread ${MSG}`) read = 0;
      else if (cmd === `vm_delete 1001@acme.switchplane.test/default ${MSG}`) deleted = true;
      else return undefined;
      return '+OK\n';
    });
    const app = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics, esl: rig.nodes });
    t.teardown(() => app.close());
    const ext = Object.fromEntries((await call(app, keys.acme, 'GET', '/api/v1/extensions')).body.data.map((e: any) => [e.extensionNumber, e.id]));
    const box = `/api/v1/extensions/${ext['1001']}/voicemail`;

    t.test('the customer lists and reads its extension\'s messages', async (t) => {
      const list = await call(app, keys.acme, 'GET', box);
      t.equal(list.status, 200);
      t.same(list.body.data, [{
        id: MSG, node: 'fs1', callerName: 'Giulia Bianchi', callerNumber: '1002', receivedAt: '2026-12-05T07:00:00.000Z',
        readAt: null, read: false, durationSeconds: 7, urgent: true, audioUrl: null,
      }]);
      t.match(await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}${box.slice(7)}/${MSG}`), { status: 200, body: { data: { id: MSG } } }, 'an admin, under /customers/{id}');
      t.match(await call(app, keys.acme, 'GET', `/api/v1/extensions/${ext['1002']}/voicemail`), { status: 200, body: { data: [] } });
    });

    t.test('mark read, mark new again', async (t) => {
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${MSG}`, { read: true }), { status: 200, body: { data: { read: true, readAt: '2026-12-05T07:01:40.000Z' } } });
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${MSG}`, { read: false }), { status: 200, body: { data: { read: false, readAt: null } } });
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${MSG}`, { read: 'yes' }), { status: 400 });
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${MSG}`, { read: true, folder: 'old' }), { status: 400 });
    });

    await app.listen({ host: '127.0.0.1', port: 0 });
    const forks = new VoicemailForks(ctx.secrets.derive(VOICEMAIL_FORK_KEY_LABEL), `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    const captured: VoicemailCaptureResult[] = [];
    const waiters: Array<() => void> = [];
    const closeCapture = attachVoicemailCapture(app.server, {
      forks, store: ctx.store, log: { info: () => {}, error: () => {} },
      onCaptured: (r) => {
        captured.push(r);
        waiters.shift()?.();
      },
    });
    t.teardown(() => closeCapture());
    /** `ms` of 20 ms mono frames of a 440 Hz tone. */
    const frames = (ms: number) => Array.from({ length: ms / 20 }, (_, f) => {
      const b = Buffer.alloc(320);
      for (let i = 0; i < 160; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * (f * 160 + i)) / 8000)), i * 2);
      return b;
    });
    /** Streams `audio` on the message's fork as mod_audio_stream does, ends it with `end`; resolves once it is stored. */
    async function leave(fork: VoicemailFork, audio: Buffer[], end: 'close' | 'cut'): Promise<VoicemailCaptureResult> {
      const stored = new Promise<void>((resolve) => waiters.push(resolve));
      const ws = new WebSocket(forks.url(fork));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(JSON.stringify({ metadata: 'ignored' }));
      for (const f of audio) ws.send(f);
      await new Promise<void>((resolve) => ws.send(Buffer.alloc(0), { fin: true }, () => resolve()));
      if (end === 'close') ws.close(1000);
      else ws.terminate();
      await stored;
      return captured.at(-1)!;
    }
    const stored = (messageUuid: string) => ctx.store.withTenant(keys.acmeId, (db) =>
      db.selectFrom('voicemail_audio').select(['status', 'duration_ms', 'bytes', 'channels', 'extension_id']).where('message_uuid', '=', messageUuid).executeTakeFirst());

    t.test('the message\'s audio, streamed by its media fork, downloads as a WAV', async (t) => {
      t.match(await call(app, keys.acme, 'GET', `${box}/${MSG}/audio`), { status: 404, body: { error: { code: 'not_found' } } }, 'no audio yet: 404');
      const wrong = new WebSocket(forks.url({ messageId: MSG, tenantId: keys.acmeId, extensionId: ext['1001'] }).replace(/token=.{4}/, 'token=AAAA'));
      t.equal(await new Promise((resolve) => wrong.once('unexpected-response', (_req, res) => resolve(res.statusCode)).once('open', () => resolve('open'))), 401, 'a fork with a wrong token is refused');

      t.match(await leave({ messageId: MSG, tenantId: keys.acmeId, extensionId: ext['1001'] }, frames(2000), 'close'), { status: 'complete', durationMs: 2000, stored: true });
      const listed = (await call(app, keys.acme, 'GET', box)).body.data[0];
      t.equal(listed.audioUrl, `/api/v1/customers/${keys.acmeId}/extensions/${ext['1001']}/voicemail/${MSG}/audio`, 'the list names the audio\'s URL');
      t.equal((await call(app, keys.acme, 'GET', `${box}/${MSG}`)).body.data.audioUrl, listed.audioUrl, 'and so does the message');
      const res = await app.inject({ method: 'GET', url: listed.audioUrl, headers: { authorization: `Bearer ${keys.acmeRead}` } });
      t.equal(res.statusCode, 200, 'a read-only key of the customer downloads it');
      t.equal(res.headers['content-type'], 'audio/wav');
      const wav = new wavefile.WaveFile(res.rawPayload);
      t.match(wav.fmt, { audioFormat: 1, numChannels: 1, sampleRate: 8000, bitsPerSample: 16 }, 'PCM 16-bit mono 8 kHz');
      const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
      t.equal(samples.length, 16000, 'two seconds, as streamed');
      t.equal(samples[80], Math.round(8000 * Math.sin((2 * Math.PI * 440 * 80) / 8000)), 'samples unchanged');
      /** The status of a download (the WAV is not JSON). */
      const status = async (key: string, url: string) => (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } })).statusCode;
      t.equal(await status(keys.acme, `${box}/${MSG}/audio`), 200, 'under /extensions/{id}');
      t.equal(await status(keys.admin, listed.audioUrl), 200, 'an admin key');
      t.equal((await call(app, keys.globex, 'GET', listed.audioUrl)).status, 404, 'another customer: 404');
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/extensions/${ext['1001']}/voicemail/${MSG}/audio`)).status, 404);
      t.equal((await call(app, keys.acme, 'GET', `${box}/${randomUUID()}/audio`)).status, 404, 'an unknown message: 404');
      t.equal((await call(app, null, 'GET', listed.audioUrl)).status, 401, 'no key: 401');
    });

    t.test('a fork cut short keeps its audio as partial; a fork that sent nothing stores nothing', async (t) => {
      const cut = { messageId: OTHER, tenantId: keys.acmeId, extensionId: ext['1002'] };
      t.match(await leave(cut, frames(1000), 'cut'), { status: 'partial', durationMs: 1000, stored: true });
      t.match(await stored(OTHER), { status: 'partial', duration_ms: 1000, channels: 1, extension_id: ext['1002'] });
      t.equal((await call(app, keys.acme, 'GET', `/api/v1/extensions/${ext['1001']}/voicemail/${OTHER}/audio`)).status, 404, 'not through another extension\'s mailbox');
      const silent = randomUUID();
      t.match(await leave({ messageId: silent, tenantId: keys.acmeId, extensionId: ext['1001'] }, [], 'close'), { status: null, stored: false });
      t.equal(await stored(silent), undefined, 'no row');
    });

    t.test('another mailbox\'s message, another customer, a bad id: nothing changes', async (t) => {
      const before = sent.length;
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${OTHER}`, { read: true }), { status: 404, body: { error: { code: 'not_found' } } });
      t.match(await call(app, keys.acme, 'DELETE', `${box}/${OTHER}`), { status: 404 });
      t.match(await call(app, keys.globex, 'GET', box), { status: 404 });
      t.match(await call(app, keys.globex, 'DELETE', `${box}/${MSG}`), { status: 404 });
      t.match(await call(app, keys.acme, 'GET', `${box}/not-a-uuid`), { status: 400 });
      t.notOk(sent.slice(before).some((c) => c.startsWith('vm_read') || c.startsWith('vm_delete')), 'FreeSWITCH was told to change nothing');
      t.match(await call(app, keys.acmeRead, 'DELETE', `${box}/${MSG}`), { status: 403 }, 'a read-only key cannot delete');
    });

    t.test('delete', async (t) => {
      t.ok(await stored(MSG), 'the audio is stored');
      t.equal((await call(app, keys.acme, 'DELETE', `${box}/${MSG}`)).status, 204);
      t.match(await call(app, keys.acme, 'GET', box), { status: 200, body: { data: [] } });
      t.match(await call(app, keys.acme, 'GET', `${box}/${MSG}`), { status: 404 });
      t.match(await call(app, keys.acme, 'GET', `${box}/${MSG}/audio`), { status: 404 }, 'its audio: 404');
      t.equal(await stored(MSG), undefined, 'the audio is deleted with the message');
    });

    t.test('without ESL_NODES: 503 esl_unavailable', async (t) => {
      const bare = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics });
      t.teardown(() => bare.close());
      t.match(await call(bare, keys.acme, 'GET', box), { status: 503, body: { error: { code: 'esl_unavailable' } } });
    });
  });
}
