/**
 * W3 Suite guide, `recordingUrl: "https://…"`: a recorded call's audio reaches Switchplane over the
 * media fork (a WebSocket client sends what mod_audio_stream sends: stereo 8 kHz L16 frames, then
 * a normal close) and is downloadable through the API as a WAV, with the tenant's permission only:
 * another customer gets 404, an agent only its own extension's recordings. A fork cut short keeps
 * its audio as `partial` and reports `recording.failed`; a fork with a wrong token is refused.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import wavefile from 'wavefile';
import { WebSocket } from 'ws';
import { RECORDING_FORK_KEY_LABEL, RecordingForks, type RecordingFork } from '../../src/domain/recording-forks.js';
import type { CaptureResult } from '../../src/media/recording-capture.js';
import { attachRecordingServer } from '../../src/media/recording-server.js';
import { call, demoKeys } from '../helpers/api.js';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';
import { login, sessionCall } from '../helpers/sessions.js';

/** `ms` of 20 ms stereo frames: left a 440 Hz tone, right silent (or a 1 kHz tone when `rightTone`). */
function frames(ms: number, rightTone = false): Buffer[] {
  const out: Buffer[] = [];
  for (let f = 0; f < ms / 20; f++) {
    const b = Buffer.alloc(160 * 4);
    for (let i = 0; i < 160; i++) {
      const n = f * 160 + i;
      b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * n) / 8000)), i * 4);
      b.writeInt16LE(rightTone ? Math.round(8000 * Math.sin((2 * Math.PI * 1000 * n) / 8000)) : 0, i * 4 + 2);
    }
    out.push(b);
  }
  return out;
}

const rms = (s: Int16Array) => Math.sqrt(s.reduce((a, v) => a + v * v, 0) / Math.max(1, s.length));

for (const backend of backends) {
  t.test(`${backend.name}: recordings through the media fork and the API`, async (t) => {
    const ctx = await demoApp(backend);
    const keys = await demoKeys(ctx.store);
    const { app } = ctx;
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const forks = new RecordingForks(ctx.secrets.derive(RECORDING_FORK_KEY_LABEL), base);
    const captured: CaptureResult[] = [];
    const waiters: Array<() => void> = [];
    const close = attachRecordingServer(app.server, {
      forks, store: ctx.store, metrics: ctx.metrics, log: { info: () => {}, error: () => {} },
      onCaptured: (r) => {
        captured.push(r);
        waiters.shift()?.();
      },
    });
    t.teardown(async () => {
      await close();
      await ctx.close();
    });
    const ext = Object.fromEntries(
      (await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('extensions').select(['extension', 'id']).execute())).map((r) => [r.extension, r.id]),
    );
    const hook = await call(app, keys.acme, 'POST', '/api/v1/webhooks', { url: 'https://crm.example.com/hook', events: ['recording.saved', 'recording.failed'] });
    t.equal(hook.status, 201, 'Acme subscribes to recording events');

    /** GET of a WAV: the status (and the bytes, unparsed). */
    const download = async (url: string, headers: Record<string, string>) => (await app.inject({ method: 'GET', url, headers })).statusCode;
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

    /** Streams `audio` on a fork as mod_audio_stream does and ends it with `end`; resolves once it is stored. */
    async function record(fork: RecordingFork, callUuid: string, audio: Buffer[], end: 'close' | 'cut'): Promise<CaptureResult> {
      const stored = new Promise<void>((resolve) => waiters.push(resolve));
      const ws = new WebSocket(forks.url(fork, callUuid));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(JSON.stringify({ callId: callUuid }));
      for (const f of audio) ws.send(f);
      await new Promise<void>((resolve) => ws.send(Buffer.alloc(0), { fin: true }, () => resolve()));
      if (end === 'close') ws.close(1000);
      else ws.terminate();
      await stored;
      return captured.at(-1)!;
    }

    const acmeCall = randomUUID();
    const rec1001 = { recordingId: randomUUID(), tenantId: keys.acmeId, extensionId: ext['1001']! };
    const result = await record(rec1001, acmeCall, frames(3000, true), 'close');
    t.match(result, { status: 'complete', durationMs: 3000, stored: true }, 'a fork closed normally is a complete recording');

    t.test('the customer downloads a valid stereo WAV of the call\'s length', async (t) => {
      const meta = await call(app, keys.acme, 'GET', `/api/v1/recordings/${rec1001.recordingId}`);
      t.equal(meta.status, 200);
      t.match(meta.body.data, {
        id: rec1001.recordingId, callId: acmeCall, extensionId: ext['1001'], status: 'complete', failureReason: null,
        durationSeconds: 3, sampleRate: 8000, channels: 2, recordingUrl: `/api/v1/customers/${keys.acmeId}/recordings/${rec1001.recordingId}/audio`,
      });
      const res = await app.inject({ method: 'GET', url: meta.body.data.recordingUrl, headers: { authorization: `Bearer ${keys.acmeRead}` } });
      t.equal(res.statusCode, 200, 'a read-only key of the customer downloads it');
      t.equal(res.headers['content-type'], 'audio/wav');
      t.equal(res.rawPayload.length, meta.body.data.bytes, 'bytes as listed');
      const wav = new wavefile.WaveFile(res.rawPayload);
      const fmt = wav.fmt as { audioFormat: number; numChannels: number; sampleRate: number; bitsPerSample: number };
      t.match(fmt, { audioFormat: 1, numChannels: 2, sampleRate: 8000, bitsPerSample: 16 }, 'PCM 16-bit stereo 8 kHz');
      const [left, right] = wav.getSamples(false, Int16Array) as unknown as Int16Array[];
      t.equal(left!.length / 8000, 3, 'three seconds, as streamed');
      t.ok(Math.abs(rms(left!) - 8000 / Math.SQRT2) < 100, 'left: the 440 Hz tone');
      t.ok(Math.abs(rms(right!) - 8000 / Math.SQRT2) < 100, 'right: the 1 kHz tone');
      t.equal(left![80], Math.round(8000 * Math.sin((2 * Math.PI * 440 * 80) / 8000)), 'samples unchanged');
    });

    t.test('another customer and strangers get nothing', async (t) => {
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/recordings/${rec1001.recordingId}`)).status, 404, 'Globex: not found');
      t.equal((await call(app, keys.globex, 'GET', `/api/v1/customers/${keys.acmeId}/recordings/${rec1001.recordingId}/audio`)).status, 404, 'Globex naming Acme: not found');
      t.equal((await call(app, keys.globex, 'GET', '/api/v1/recordings')).body.pagination.total, 0, 'Globex lists none');
      t.equal((await call(app, null, 'GET', `/api/v1/recordings/${rec1001.recordingId}/audio`)).status, 401, 'no key: 401');
      t.equal(await download(`/api/v1/customers/${keys.acmeId}/recordings/${rec1001.recordingId}/audio`, bearer(keys.admin)), 200, 'the operator\'s admin key');
    });

    const rec1002 = { recordingId: randomUUID(), tenantId: keys.acmeId, extensionId: ext['1002']! };
    await record(rec1002, randomUUID(), frames(1000), 'close');

    t.test('an agent hears only its own extension\'s calls', async (t) => {
      const agent = await login(app, 'agent@acme.switchplane.test', 'acme-agent-demo');
      const list = await sessionCall(app, agent, 'GET', '/api/v1/recordings');
      t.same(list.body.data.map((r: { id: string }) => r.id), [rec1001.recordingId], 'the list holds 1001\'s recording only');
      t.equal(await download(`/api/v1/recordings/${rec1001.recordingId}/audio`, { cookie: agent.cookie }), 200, 'its own: downloadable');
      t.equal((await sessionCall(app, agent, 'GET', `/api/v1/recordings/${rec1002.recordingId}/audio`)).status, 404, '1002\'s: not found');
      const all = await call(app, keys.acme, 'GET', '/api/v1/recordings');
      t.equal(all.body.pagination.total, 2, 'the customer\'s key lists both');
    });

    t.test('a fork cut short keeps its audio as partial and reports recording.failed', async (t) => {
      const cut = { recordingId: randomUUID(), tenantId: keys.acmeId, extensionId: ext['1001']! };
      const r = await record(cut, randomUUID(), frames(1000), 'cut');
      t.match(r, { status: 'partial', durationMs: 1000, stored: true });
      const meta = (await call(app, keys.acme, 'GET', `/api/v1/recordings/${cut.recordingId}`)).body.data;
      t.match(meta, { status: 'partial', failureReason: /ended early \(WebSocket close 1006/, durationSeconds: 1 });
      t.equal((await app.inject({ method: 'GET', url: meta.recordingUrl, headers: { authorization: `Bearer ${keys.acme}` } })).statusCode, 200, 'the partial audio is downloadable');
      const events = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('webhook_deliveries').select(['event_type', 'data']).execute());
      t.match(events.find((e) => e.event_type === 'recording.failed')?.data, { recordingId: cut.recordingId, status: 'partial', error: /1006/ });
      t.match(events.find((e) => e.event_type === 'recording.saved')?.data, { recordingId: rec1001.recordingId, status: 'complete', durationSeconds: 3 });
      t.equal(Number((await ctx.metrics.recordings.get()).values.find((v) => v.labels.result === 'partial')?.value), 1, 'counted as partial');
    });

    t.test('a fork with a wrong token or another tenant\'s extension is refused', async (t) => {
      const forged = forks.url({ recordingId: randomUUID(), tenantId: keys.globexId, extensionId: ext['1001']! }, randomUUID()).replace(`tenant=${keys.globexId}`, `tenant=${keys.acmeId}`);
      const ws = new WebSocket(forged);
      const status = await new Promise((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode)).once('open', () => resolve('open')));
      t.equal(status, 401, 'refused on upgrade');
      t.equal((await call(app, keys.acme, 'GET', '/api/v1/recordings')).body.pagination.total, 3, 'nothing stored');
    });

    t.test('a fork that sent no audio is stored as failed, and reported', async (t) => {
      const empty = { recordingId: randomUUID(), tenantId: keys.acmeId, extensionId: ext['1001']! };
      t.match(await record(empty, randomUUID(), [], 'close'), { status: 'failed', durationMs: 0, bytes: 0, stored: true });
      t.match((await call(app, keys.acme, 'GET', `/api/v1/recordings/${empty.recordingId}`)).body.data, { status: 'failed', failureReason: 'no audio was received', recordingUrl: null });
      t.equal(await download(`/api/v1/recordings/${empty.recordingId}/audio`, bearer(keys.acme)), 404, 'nothing to download');
      const events = await ctx.store.withTenant(keys.acmeId, (db) => db.selectFrom('webhook_deliveries').select('data').where('event_type', '=', 'recording.failed').execute());
      t.ok(events.some((e) => (e.data as { recordingId?: string; url?: unknown }).recordingId === empty.recordingId && (e.data as { url?: unknown }).url === null), 'recording.failed without a URL');
    });
  });
}
