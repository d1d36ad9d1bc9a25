/**
 * The test doubles of the media path, checked against the real clients they stand in for:
 * - the mock OpenAI Realtime server (helpers/mock-realtime.ts) driven by the `openai` package's
 *   own OpenAIRealtimeWS (GA protocol, audio/pcmu both ways, server_vad), with espeak-ng speech
 *   from test/fixtures/speech/ as the caller;
 * - the fake mod_audio_stream client (helpers/media-client.ts) against a plain ws server.
 * Assertions are on the audio timeline and on event order, never on wall-clock time.
 */
import t from 'tap';
import type { Test } from 'tap';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { OpenAIRealtimeError } from 'openai/realtime/internal-base';
import type { RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import alawmulaw from 'alawmulaw';
import { WebSocketServer, type RawData } from 'ws';
import { connectMediaClient } from '../helpers/media-client.js';
import { startMockRealtime, type MockRealtime, type MockScript } from '../helpers/mock-realtime.js';
import { readWav } from '../helpers/wav.js';

const GREETING = 'Hello, thank you for calling, how can I help you?';
const CALLER = 'Hello, my internet connection has been down since this morning.';

type ServerEvent<K extends RealtimeServerEvent['type']> = Extract<RealtimeServerEvent, { type: K }>;

interface Connected {
  rt: OpenAIRealtimeWS;
  /** Every server event, in arrival order. */
  events: RealtimeServerEvent[];
  errors: OpenAIRealtimeError[];
  /** The `occurrence`-th server event of `type` matching `pred`, already arrived or to come. */
  next<K extends RealtimeServerEvent['type']>(type: K, pred?: (e: ServerEvent<K>) => boolean, occurrence?: number): Promise<ServerEvent<K>>;
  closed: Promise<number>;
}

/** Opens the real SDK client against the mock: the ca goes through `options` to `ws`. */
function connect(t: Test, mock: MockRealtime, apiKey = 'sk-test'): Connected {
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca: mock.ca } }, new OpenAI({ apiKey, baseURL: mock.baseURL }));
  const events: RealtimeServerEvent[] = [];
  const errors: OpenAIRealtimeError[] = [];
  const waiters = new Set<() => void>();
  const closed = new Promise<number>((resolve) => rt.socket.on('close', (code) => resolve(code)));
  rt.on('event', (event) => {
    events.push(event);
    for (const waiter of waiters) waiter();
  });
  rt.on('error', (error) => {
    errors.push(error);
    for (const waiter of waiters) waiter();
  });
  t.teardown(() => {
    if (rt.socket.readyState === rt.socket.OPEN) rt.close();
  });
  const next: Connected['next'] = (type, pred = () => true, occurrence = 1) =>
    new Promise((resolve) => {
      const check = () => {
        const hits = events.filter((e) => e.type === type && pred(e as never));
        if (hits.length < occurrence) return;
        waiters.delete(check);
        resolve(hits[occurrence - 1] as never);
      };
      waiters.add(check);
      check();
    });
  return { rt, events, errors, next, closed };
}

/** The GA session.update a telephony bridge sends: G.711 μ-law both ways, server VAD. */
function telephonySession(rt: OpenAIRealtimeWS): void {
  rt.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      instructions: 'You are the helpdesk of an internet provider.',
      output_modalities: ['audio'],
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          transcription: { model: 'gpt-4o-mini-transcribe' },
          turn_detection: { type: 'server_vad', silence_duration_ms: 500 },
        },
        output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
      },
      tools: [
        {
          type: 'function',
          name: 'open_ticket',
          description: 'Opens a support ticket',
          parameters: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] },
        },
      ],
      tool_choice: 'auto',
    },
  });
}

/** Appends 8 kHz samples as μ-law in 20 ms events (160 bytes), as fast as the socket takes them. */
function appendMulaw(rt: OpenAIRealtimeWS, samples: Int16Array): void {
  const bytes = alawmulaw.mulaw.encode(samples);
  for (let i = 0; i < bytes.length; i += 160) {
    rt.send({ type: 'input_audio_buffer.append', audio: Buffer.from(bytes.subarray(i, i + 160)).toString('base64') });
  }
}

const silence = (ms: number) => new Int16Array(ms * 8);

/** The decoded bytes of every output_audio.delta of one response. */
function audioOf(events: RealtimeServerEvent[], responseId: string): Buffer[] {
  return events.flatMap((e) => (e.type === 'response.output_audio.delta' && e.response_id === responseId ? [Buffer.from(e.delta, 'base64')] : []));
}

async function mockFor(t: Test, script: MockScript): Promise<MockRealtime> {
  const mock = await startMockRealtime(script);
  t.teardown(() => mock.close());
  return mock;
}

t.test('a call through the SDK: greeting, caller turn on server VAD, a tool call, truncate', async (t) => {
  const mock = await mockFor(t, {
    model: 'gpt-realtime',
    apiKey: 'sk-test',
    greeting: { type: 'audio', text: GREETING, audio: { wav: 'agent-greeting.wav' } },
    turns: [
      {
        transcript: CALLER,
        steps: [
          { type: 'function_call', name: 'open_ticket', arguments: { summary: 'internet down since this morning' }, callId: 'call_ticket1' },
          { type: 'audio', text: 'I have opened ticket 42 for you.', audio: { toneHz: 440, ms: 600 } },
        ],
      },
    ],
  });
  const { rt, events, errors, next } = connect(t, mock);
  t.match(String(rt.url), `wss://127.0.0.1:${mock.port}/v1/realtime?model=gpt-realtime`, 'the SDK forces wss: onto the https baseURL');
  await once(rt.socket, 'open');
  const session = await mock.waitForSession();
  t.equal(session.headers.authorization, 'Bearer sk-test');
  t.equal(session.model, 'gpt-realtime');
  const created = await next('session.created');
  t.match(created.session, { type: 'realtime', id: session.id });
  t.match(session.id, /^sess_/);

  telephonySession(rt);
  const updated = await next('session.updated');
  t.match(updated.session, {
    type: 'realtime',
    model: 'gpt-realtime',
    audio: {
      input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad', silence_duration_ms: 500, prefix_padding_ms: 300, create_response: true } },
      output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
    },
    tools: [{ name: 'open_ticket' }],
  });
  t.equal(session.inputFormat, 'audio/pcmu');

  // the greeting: response.create before any speech
  rt.send({ type: 'response.create' });
  const greetingDone = await next('response.done');
  const greetingId = greetingDone.response.id!;
  t.equal(greetingDone.response.status, 'completed');
  const greetingAudio = audioOf(events, greetingId);
  const greetingWav = readWav('agent-greeting.wav');
  t.equal(greetingWav.sampleRate, 8000);
  t.equal(Buffer.concat(greetingAudio).length, greetingWav.samples.length, 'μ-law 8 kHz: one byte per sample of the WAV');
  t.same(Buffer.concat(greetingAudio), Buffer.from(alawmulaw.mulaw.encode(greetingWav.samples)), 'the WAV itself, μ-law encoded');
  t.ok(greetingAudio.slice(0, -1).every((chunk) => chunk.length === 800), '100 ms chunks: 800 bytes');
  const transcriptDone = await next('response.output_audio_transcript.done');
  t.equal(transcriptDone.transcript, GREETING);
  const deltas = events.filter((e) => e.type === 'response.output_audio_transcript.delta' && e.response_id === greetingId);
  t.equal(deltas.map((e) => (e as ServerEvent<'response.output_audio_transcript.delta'>).delta).join(''), GREETING);
  const greetingOrder = events.filter((e) => 'response_id' in e || e.type.startsWith('response.')).map((e) => e.type);
  t.same([...new Set(greetingOrder)], [
    'response.created',
    'response.output_item.added',
    'response.content_part.added',
    'response.output_audio_transcript.delta',
    'response.output_audio.delta',
    'response.output_audio.done',
    'response.output_audio_transcript.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.done',
  ]);

  // the caller: 1 s of silence, the sentence, 1 s of silence
  const caller = readWav('caller-internet-down.wav');
  appendMulaw(rt, silence(1000));
  appendMulaw(rt, caller.samples);
  appendMulaw(rt, silence(1000));
  const started = await next('input_audio_buffer.speech_started');
  const stopped = await next('input_audio_buffer.speech_stopped');
  const committed = await next('input_audio_buffer.committed');
  const transcript = await next('conversation.item.input_audio_transcription.completed');
  t.ok(started.audio_start_ms >= 1000 - 300 && started.audio_start_ms < 1000, `speech starts near 1000 ms less the 300 ms prefix: ${started.audio_start_ms}`);
  const speechMs = (caller.samples.length / 8000) * 1000;
  t.ok(stopped.audio_end_ms > 1000 + speechMs / 2 + 500 && stopped.audio_end_ms <= 1000 + speechMs + 500 + 20, `stops 500 ms after the speech: ${stopped.audio_end_ms}`);
  t.equal(stopped.item_id, started.item_id);
  t.equal(committed.item_id, started.item_id);
  t.equal(transcript.item_id, started.item_id);
  t.equal(transcript.transcript, CALLER);
  const order = (e: RealtimeServerEvent) => events.indexOf(e);
  t.ok(order(started) < order(stopped) && order(stopped) < order(committed) && order(committed) < order(transcript), 'started, stopped, committed, transcript');

  // speech stopped → the response (create_response): a tool call
  const call = await next('response.function_call_arguments.done');
  t.match(call, { name: 'open_ticket', call_id: 'call_ticket1' });
  t.same(JSON.parse(call.arguments), { summary: 'internet down since this morning' });
  const callDone = await next('response.done', (e) => e.response.id === call.response_id);
  t.match(callDone.response, { status: 'completed', output: [{ type: 'function_call', call_id: 'call_ticket1', name: 'open_ticket' }] });
  t.ok(order(transcript) < order(call), 'the tool call follows the transcript');

  // the tool result, then response.create → the spoken answer
  rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_ticket1', output: JSON.stringify({ ticket: 42 }) } });
  rt.send({ type: 'response.create' });
  const answerDone = await next('response.done', (e) => e.response.status === 'completed', 3);
  const answerItem = answerDone.response.output?.[0];
  t.match(answerItem, { type: 'message', role: 'assistant', content: [{ type: 'output_audio', transcript: 'I have opened ticket 42 for you.' }] });
  t.equal(Buffer.concat(audioOf(events, answerDone.response.id!)).length, 600 * 8, '600 ms of μ-law');

  // the caller heard only 300 ms of it
  rt.send({ type: 'conversation.item.truncate', item_id: answerItem!.id!, content_index: 0, audio_end_ms: 300 });
  const truncated = await next('conversation.item.truncated');
  t.match(truncated, { item_id: answerItem!.id, content_index: 0, audio_end_ms: 300 });
  t.match(session.truncations, [{ item_id: answerItem!.id, audio_end_ms: 300 }]);

  t.same(errors, [], 'no error events');
  t.equal(session.appends.length, session.receivedOf('input_audio_buffer.append').length, 'every append timed');
  t.ok(session.appends.slice(0, 50).every((a) => a.bytes === 160 && a.ms === 20), '20 ms appends');
  t.equal(session.inputMs, 1000 + speechMs + 1000, 'the input timeline is the audio appended');
  t.equal(session.appends.at(-1)?.endMs, session.inputMs);
  t.equal(session.deltas.length, greetingAudio.length + 6, 'every delta timed');
  t.ok(session.received.every((r, i, all) => i === 0 || r.at >= all[i - 1]!.at), 'client events stamped in order');
});

t.test('barge-in: caller speech cancels the streaming greeting; the reply follows', async (t) => {
  const mock = await mockFor(t, {
    greeting: { type: 'audio', text: 'A very long greeting.', audio: { silenceMs: 30_000 }, chunkIntervalMs: 50 },
    turns: [{ transcript: 'Can I talk to a person please?', steps: [{ type: 'audio', text: 'One moment.', audio: { toneHz: 300, ms: 200 } }] }],
  });
  const { rt, events, next } = connect(t, mock);
  await once(rt.socket, 'open');
  telephonySession(rt);
  await next('session.updated');
  rt.send({ type: 'response.create' });
  const first = await next('response.output_audio.delta');
  appendMulaw(rt, readWav('caller-ask-person.wav').samples);
  appendMulaw(rt, silence(800));
  const started = await next('input_audio_buffer.speech_started');
  const cancelled = await next('response.done', (e) => e.response.id === first.response_id);
  t.match(cancelled.response, { status: 'cancelled', status_details: { type: 'cancelled', reason: 'turn_detected' }, output: [{ status: 'incomplete' }] });
  const after = events.slice(events.indexOf(started));
  t.notOk(after.some((e) => e.type === 'response.output_audio.delta' && e.response_id === first.response_id), 'no greeting audio after speech_started');
  t.ok(events.indexOf(started) < events.indexOf(cancelled));
  const reply = await next('response.done', (e) => e.response.status === 'completed');
  t.equal(Buffer.concat(audioOf(events, reply.response.id!)).length, 1600);

  // the client plays 100 ms of the greeting before the cut: truncate within what was sent
  const session = mock.sessions[0]!;
  const sentMs = session.deltas.filter((d) => d.response_id === first.response_id).reduce((sum, d) => sum + d.ms, 0);
  rt.send({ type: 'conversation.item.truncate', item_id: first.item_id, content_index: 0, audio_end_ms: sentMs + 1000 });
  const tooLong = await next('error');
  t.match(tooLong.error, { type: 'invalid_request_error', code: 'invalid_value', param: 'audio_end_ms' });
  rt.send({ type: 'conversation.item.truncate', item_id: first.item_id, content_index: 0, audio_end_ms: 100 });
  t.match(await next('conversation.item.truncated'), { item_id: first.item_id, audio_end_ms: 100 });
});

t.test('response.cancel, and the errors the API gives for misuse', async (t) => {
  const mock = await mockFor(t, {
    greeting: [
      { type: 'audio', text: 'Long.', audio: { silenceMs: 30_000 }, chunkIntervalMs: 50 },
      { type: 'function_call', name: 'lookup', arguments: '{}', callId: 'call_lookup' },
    ],
  });
  const { rt, next, errors } = connect(t, mock);
  await once(rt.socket, 'open');
  rt.send({ type: 'session.update', session: { instructions: 'no type' } } as never);
  t.match((await next('error')).error, { code: 'missing_required_parameter', param: 'session.type' });
  telephonySession(rt);
  await next('session.updated');

  rt.send({ type: 'response.create' });
  const first = await next('response.output_audio.delta');
  rt.send({ type: 'response.create' });
  t.match((await next('error', undefined, 2)).error, { code: 'conversation_already_has_active_response' });
  rt.send({ type: 'response.cancel' });
  const done = await next('response.done');
  t.match(done.response, { id: first.response_id, status: 'cancelled', status_details: { reason: 'client_cancelled' } });
  rt.send({ type: 'response.cancel' });
  t.match((await next('error', undefined, 3)).error, { code: 'response_cancel_not_active', message: 'Cancellation failed: no active response found' });

  rt.send({ type: 'response.create' });
  await next('response.function_call_arguments.done');
  await next('response.done', undefined, 2);
  rt.send({ type: 'response.create' });
  t.match((await next('error', undefined, 4)).error, { code: 'mock_missing_function_call_output' });
  rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_nope', output: '{}' } });
  t.match((await next('error', undefined, 5)).error, { code: 'invalid_tool_call_id', message: "Tool call ID 'call_nope' not found in conversation." });
  t.equal(errors.length, 5, 'each one reached rt.on("error") as an OpenAIRealtimeError');
  t.match(errors[0]!.error, { code: 'missing_required_parameter' });
});

t.test('failure: refuse answers the upgrade with 503; a wrong key gets 401', async (t) => {
  const mock = await mockFor(t, { failure: 'refuse' });
  const { errors, closed } = connect(t, mock);
  await closed;
  t.match(errors[0]?.message, /Unexpected server response: 503/);
  t.match(mock.rejected, [{ status: 503 }]);
  t.equal(mock.sessions.length, 0);

  mock.script = { apiKey: 'sk-right' };
  const wrong = connect(t, mock, 'sk-wrong');
  await wrong.closed;
  t.match(wrong.errors[0]?.message, /Unexpected server response: 401/);
  t.match(mock.rejected[1], { status: 401 });
});

t.test('failure: silent answers session.update and nothing else', async (t) => {
  const mock = await mockFor(t, { failure: 'silent', greeting: { type: 'audio', text: 'never', audio: { silenceMs: 100 } } });
  const { rt, next } = connect(t, mock);
  await once(rt.socket, 'open');
  telephonySession(rt);
  await next('session.updated');
  const session = await mock.waitForSession();
  rt.send({ type: 'response.create' });
  appendMulaw(rt, readWav('caller-open-ticket.wav').samples);
  await session.waitFor('input_audio_buffer.append', undefined, 10);
  await session.waitFor('response.create');
  t.same(session.sent.map((s) => s.type), ['session.created', 'session.updated']);
  t.ok(session.appends.length >= 10, 'appends still recorded');
});

t.test('failure: error sends an error event after session.update, then closes', async (t) => {
  const mock = await mockFor(t, { failure: 'error', error: { type: 'server_error', code: 'server_error', message: 'boom' } });
  const { rt, next, errors, closed } = connect(t, mock);
  await once(rt.socket, 'open');
  telephonySession(rt);
  const error = await next('error');
  t.match(error.error, { type: 'server_error', code: 'server_error', message: 'boom' });
  t.equal(await closed, 1011);
  t.match(errors[0]?.message, /boom code=server_error/);
});

t.test('failure: dropAfterMs destroys the connection (1006 at the client)', async (t) => {
  const mock = await mockFor(t, { dropAfterMs: 50 });
  const { closed, next } = connect(t, mock);
  await next('session.created');
  t.equal(await closed, 1006);
  const session = await mock.waitForSession();
  t.match(await session.closed, { code: 1006 });
});

t.test('the fake media fork: metadata first, then 320-byte L16 frames; replies recorded', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => [...protocols][0] ?? false });
  await once(wss, 'listening');
  t.teardown(() => new Promise((resolve) => wss.close(resolve)));
  const frames: { binary: boolean; data: Buffer }[] = [];
  let protocol = '';
  let path = '';
  const done = new Promise<void>((resolve) =>
    wss.on('connection', (ws, req) => {
      protocol = ws.protocol;
      path = req.url ?? '';
      ws.on('message', (data: RawData, binary) => {
        frames.push({ binary, data: data as Buffer });
        if (frames.length === 1) {
          ws.send(JSON.stringify({ type: 'streamAudio', data: { audioDataType: 'raw', sampleRate: 8000 } }));
          ws.send(Buffer.alloc(160));
        }
      });
      ws.on('close', () => resolve());
    }),
  );
  const port = (wss.address() as AddressInfo).port;
  const metadata = JSON.stringify({ callId: '5b5393d7-2767-484e-ad67-f2eaf74239aa' });
  const client = await connectMediaClient({ url: `ws://127.0.0.1:${port}/audio/5b5393d7`, subprotocol: 'audio.drachtio.org', metadata });
  t.equal(client.frameBytes, 320);
  const samples = Int16Array.from({ length: 400 }, (_, i) => i - 200); // 50 ms: 2 frames and a half
  await client.sendAudio(samples);
  await client.sendSilence(40);
  t.equal(client.framesSent, 5);
  const reply = await client.waitForJson<{ type: string }>((json) => json.type === 'streamAudio');
  t.equal(reply.type, 'streamAudio');
  await client.waitForBinaryBytes(160);
  t.equal(client.binary[0]?.data.length, 160);
  t.type(client.binary[0]?.at, 'number');
  t.match(await client.close(), { code: 1000, reason: 'Normal closure' });
  await done;

  t.equal(protocol, 'audio.drachtio.org');
  t.equal(path, '/audio/5b5393d7');
  t.same(frames[0], { binary: false, data: Buffer.from(metadata) }, 'metadata first, as a text frame');
  const audio = frames.slice(1);
  t.ok(audio.every((f) => f.binary && f.data.length === 320), 'then 320-byte binary frames');
  t.equal(audio.length, 5);
  const pcm = Buffer.concat(audio.map((f) => f.data));
  t.equal(pcm.readInt16LE(0), -200, 'L16 little-endian');
  t.equal(pcm.readInt16LE(399 * 2), 199);
  t.equal(pcm.readInt16LE(400 * 2), 0, 'the last partial frame padded with silence');
});
