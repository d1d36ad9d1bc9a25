/**
 * A fake OpenAI Realtime API (GA protocol, as typed in node_modules/openai/resources/realtime/
 * realtime.d.ts and summarised in ../shared/reference/freeswitch-facts.md §6.4) on
 * wss://127.0.0.1:<random port>/v1/realtime, close enough for the `openai` package's
 * OpenAIRealtimeWS. That client always dials `wss:` (realtime/internal-base.mjs
 * buildRealtimeURL), so this server speaks TLS with a self-signed certificate for IP 127.0.0.1;
 * pass `ca` through `new OpenAIRealtimeWS({ model, options: { ca } }, new OpenAI({ apiKey, baseURL }))`
 * (the `options` are spread into the `ws` WebSocket options, realtime/ws.mjs).
 *
 * The upgrade must be `GET /v1/realtime?model=<model>` with `Authorization: Bearer <key>`
 * (else HTTP 404/400/401). Then, per connection (a MockSession):
 * - `session.created` (id `sess_…`, GA defaults: audio/pcm 24 kHz both ways, server_vad);
 *   `session.update` (whose `session.type` must be `realtime`) is deep-merged and echoed whole in
 *   `session.updated`.
 * - `input_audio_buffer.append` is decoded by the input format (`audio/pcmu` or `audio/pcma`:
 *   G.711 at 8 kHz, one byte per sample; `audio/pcm`: 16-bit LE at 24 kHz) and fed to a server VAD
 *   on the buffer's own timeline (ms of audio appended this session, not wall time): RMS per 20 ms
 *   frame against −60 + 40 × `threshold` dBFS (0.5 → −40 dBFS, RMS ≈ 328); speech_started with
 *   `audio_start_ms` = first loud frame − `prefix_padding_ms` (default 300); after
 *   `silence_duration_ms` (default 500) of quiet, speech_stopped with `audio_end_ms` = the end of
 *   that silence, then committed, conversation.item.added/done (a user message) and, when
 *   `audio.input.transcription` is set, `conversation.item.input_audio_transcription.completed`
 *   with the transcript of the script's next turn. `turn_detection: null` turns VAD off
 *   (`input_audio_buffer.commit` then commits; `semantic_vad` is treated as server_vad).
 * - A response runs the next scripted step, when speech stops (unless `create_response: false`)
 *   or on `response.create`; the greeting is what `response.create` runs before any commit.
 *   Audio steps stream response.created, output_item.added, content_part.added,
 *   `response.output_audio.delta` chunks (`chunkMs` of audio each, default 100, one every
 *   `chunkIntervalMs`, default 10, so faster than real time) in the output format (μ-law/A-law
 *   8 kHz or PCM 24 kHz) interleaved with output_audio_transcript.delta, then
 *   output_audio.done, output_audio_transcript.done, content_part.done, output_item.done,
 *   response.done (completed). Function-call steps send function_call_arguments.delta/.done,
 *   output_item.done and response.done with the function_call item; the next step then waits for
 *   a `conversation.item.create` of `function_call_output` with that call_id and a
 *   `response.create` (a `response.create` without the output gets an `error`).
 * - Barge-in: speech_started during a response cancels it (unless `interrupt_response: false`),
 *   as does `response.cancel`: the done events follow at once, `response.done` has status
 *   `cancelled` and reason `turn_detected` or `client_cancelled`. `conversation.item.truncate`
 *   of an assistant audio item is answered with `conversation.item.truncated` (and recorded);
 *   errors as the API documents them (no active response, audio_end_ms past the audio, unknown
 *   item or call id, a second response while one is active).
 * - Failure modes: `failure: 'refuse'` (HTTP 503 to the upgrade), `'error'` (an `error` event
 *   in place of session.updated, then close 1011), `'silent'` (session.updated, then nothing),
 *   and `dropAfterMs` (the TCP connection destroyed N ms after connect: close code 1006).
 * Every client event is recorded with `at` (performance.now() ms) after it is handled, every
 * server event likewise when sent; `appends` and `deltas` keep the timings a latency benchmark
 * needs. Timers are unref'd; close() ends everything.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import alawmulaw from 'alawmulaw';
import { WebSocketServer, type WebSocket } from 'ws';
import { readWav } from './wav.js';

/** Audio for a reply: a WAV file (fixture name or absolute path), a sine tone, or silence. */
export type MockAudio = { wav: string } | { toneHz: number; ms: number; amplitude?: number } | { silenceMs: number };

export type MockStep =
  | {
      type: 'audio';
      /** The reply's text, streamed as output_audio_transcript deltas. */
      text: string;
      audio: MockAudio;
      /** Overrides the script's chunkIntervalMs for this reply (e.g. slow, to barge in on). */
      chunkIntervalMs?: number;
    }
  | {
      type: 'function_call';
      name: string;
      /** The arguments (objects are JSON-encoded). */
      arguments: string | Record<string, unknown>;
      /** Default `call_<random>`. */
      callId?: string;
    };

/** One caller utterance (one commit) and what the model does about it. */
export interface MockTurn {
  /** What `input_audio_transcription.completed` says the caller said. */
  transcript: string;
  /** Responses, in order: the first on speech stop or response.create, each next on response.create. */
  steps?: MockStep[];
}

export interface MockScript {
  /** The `model` query the upgrade must carry (default: any non-empty). */
  model?: string;
  /** The bearer key the upgrade must carry (default: any non-empty). */
  apiKey?: string;
  /** Run by response.create before the caller's first commit. */
  greeting?: MockStep | MockStep[];
  /** Consumed one per commit; past the end, transcripts are '' and responses empty. */
  turns?: MockTurn[];
  failure?: 'refuse' | 'error' | 'silent';
  /** The `error` event of failure 'error' (default a server_error). */
  error?: { type: string; code: string | null; message: string };
  /** Destroys each connection this many ms after it opens. */
  dropAfterMs?: number;
  /** Audio per output_audio.delta, ms (default 100). */
  chunkMs?: number;
  /** Wall-clock gap between deltas, ms (default 10). */
  chunkIntervalMs?: number;
  /** Wall-clock "thinking" before a response's first event, ms (default 0). */
  responseDelayMs?: number;
}

export type AudioFormatType = 'audio/pcm' | 'audio/pcmu' | 'audio/pcma';

/** Any JSON event; `type` says which. */
export type RealtimeJson = { type: string; [key: string]: unknown };

export interface EventRecord {
  /** performance.now() when received (after handling) or sent, ms. */
  at: number;
  type: string;
  event: RealtimeJson;
}

export interface AppendRecord {
  at: number;
  /** Bytes of audio (decoded from base64). */
  bytes: number;
  /** Duration of those bytes in the input format, ms. */
  ms: number;
  /** The input buffer's timeline after this append, ms. */
  endMs: number;
}

export interface DeltaRecord {
  at: number;
  response_id: string;
  item_id: string;
  bytes: number;
  ms: number;
}

export interface TruncateRecord {
  at: number;
  item_id: string;
  content_index: number;
  audio_end_ms: number;
}

export interface RejectedUpgrade {
  at: number;
  status: number;
  url: string;
  message: string;
}

const VAD_DEFAULTS = {
  type: 'server_vad',
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 500,
  idle_timeout_ms: null,
  create_response: true,
  interrupt_response: true,
};

/** Samples per second of a GA audio format (`audio/pcm` is 24 kHz only). */
export function formatRate(format: AudioFormatType): number {
  return format === 'audio/pcm' ? 24000 : 8000;
}

/** Bytes per sample: 2 for 16-bit PCM, 1 for G.711. */
export function bytesPerSample(format: AudioFormatType): number {
  return format === 'audio/pcm' ? 2 : 1;
}

/** 16-bit samples, already at formatRate(format), to the wire bytes of `format`. */
export function encodeAudio(samples: Int16Array, format: AudioFormatType): Buffer {
  if (format === 'audio/pcmu') return Buffer.from(alawmulaw.mulaw.encode(samples));
  if (format === 'audio/pcma') return Buffer.from(alawmulaw.alaw.encode(samples));
  const bytes = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => bytes.writeInt16LE(s, i * 2));
  return bytes;
}

/** Wire bytes of `format` to 16-bit samples (an odd trailing PCM byte is dropped). */
export function decodeAudio(bytes: Uint8Array, format: AudioFormatType): Int16Array {
  if (format === 'audio/pcmu') return alawmulaw.mulaw.decode(bytes);
  if (format === 'audio/pcma') return alawmulaw.alaw.decode(bytes);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const samples = new Int16Array(view.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = view.readInt16LE(i * 2);
  return samples;
}

/** Linear-interpolation resampling: good enough for test audio. */
export function resample(samples: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return samples;
  const out = new Int16Array(Math.round((samples.length * to) / from));
  for (let i = 0; i < out.length; i++) {
    const pos = (i * from) / to;
    const j = Math.floor(pos);
    const a = samples[j] ?? 0;
    const b = samples[j + 1] ?? a;
    out[i] = Math.round(a + (b - a) * (pos - j));
  }
  return out;
}

/** The samples of a MockAudio at `rate`. */
export function mockAudioSamples(audio: MockAudio, rate: number): Int16Array {
  if ('wav' in audio) {
    const wav = readWav(audio.wav);
    return resample(wav.samples, wav.sampleRate, rate);
  }
  if ('silenceMs' in audio) return new Int16Array(Math.round((audio.silenceMs * rate) / 1000));
  const out = new Int16Array(Math.round((audio.ms * rate) / 1000));
  const amplitude = audio.amplitude ?? 8000;
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * audio.toneHz * i) / rate));
  return out;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** session.update semantics: present fields replace, objects merge, null clears; turn_detection is refilled with server_vad defaults. */
function mergeSession(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (key === 'turn_detection' && isObject(value)) target[key] = value.type === 'semantic_vad' ? { ...value } : { ...VAD_DEFAULTS, ...value };
    else if (isObject(value) && isObject(current)) mergeSession(current, value);
    else target[key] = structuredClone(value);
  }
}

function defaultSession(id: string, model: string): Record<string, unknown> {
  const pcm24k = { type: 'audio/pcm', rate: 24000 };
  return {
    type: 'realtime',
    object: 'realtime.session',
    id,
    model,
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    output_modalities: ['audio'],
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    prompt: null,
    include: null,
    audio: {
      input: { format: { ...pcm24k }, transcription: null, noise_reduction: null, turn_detection: { ...VAD_DEFAULTS } },
      output: { format: { ...pcm24k }, voice: 'alloy', speed: 1 },
    },
  };
}

let certificate: Promise<{ key: Buffer; cert: Buffer }> | undefined;

/** A self-signed certificate for 127.0.0.1/localhost, made once per process by openssl. */
export function selfSignedCertificate(): Promise<{ key: Buffer; cert: Buffer }> {
  certificate ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'switchplane-realtime-tls-'));
    try {
      const key = path.join(dir, 'key.pem');
      const cert = path.join(dir, 'cert.pem');
      const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert];
      args.push('-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
      await promisify(execFile)('openssl', args);
      return { key: await readFile(key), cert: await readFile(cert) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificate;
}

/** A promise of `ms` wall-clock milliseconds on an unref'd timer. */
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

interface ActiveResponse {
  id: string;
  itemId: string;
  kind: 'audio' | 'function_call' | 'empty';
  cancelled: boolean;
  /** Sends the remaining done events for a cancellation. */
  finishCancelled: (reason: 'turn_detected' | 'client_cancelled') => void;
}

interface ItemInfo {
  type: string;
  role?: string;
  /** Assistant audio actually sent, ms. */
  audioMs: number;
}

/** One WebSocket connection to the mock: what the client sent and what it was told. */
export class MockSession extends EventEmitter<{ received: [EventRecord]; sent: [EventRecord]; close: [] }> {
  readonly id = newId('sess');
  /** The effective session configuration (as in session.updated). */
  readonly config: Record<string, unknown>;
  /** Every client event, in order, recorded after it was handled. */
  readonly received: EventRecord[] = [];
  /** Every server event, in order. */
  readonly sent: EventRecord[] = [];
  readonly appends: AppendRecord[] = [];
  readonly deltas: DeltaRecord[] = [];
  readonly truncations: TruncateRecord[] = [];
  /** Resolves with the close code and reason once the socket is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  isClosed = false;
  /** The input buffer's timeline: audio appended so far, ms. */
  inputMs = 0;

  private pending: Int16Array = new Int16Array(0);
  private pendingByte: Uint8Array = new Uint8Array(0);
  private inputSamples = 0;
  private inputRate = 24000;
  private speaking = false;
  private speechItemId = '';
  private lastSpeechEndMs = 0;
  private bufferStartMs = 0;
  private lastItemId: string | null = null;
  private turnIndex = 0;
  private queue: MockStep[];
  private awaitingCallId: string | null = null;
  private callOutputReceived = false;
  private active: ActiveResponse | null = null;
  private readonly items = new Map<string, ItemInfo>();
  private readonly knownCalls = new Set<string>();
  private eventCounter = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly model: string,
    readonly headers: IncomingHttpHeaders,
    private readonly script: MockScript,
  ) {
    super();
    this.config = defaultSession(this.id, model);
    const greeting = script.greeting;
    this.queue = greeting === undefined ? [] : Array.isArray(greeting) ? [...greeting] : [greeting];
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        this.active = null;
        resolve({ code, reason: reason.toString() });
        this.emit('close');
      }),
    );
    ws.on('error', () => undefined); // a client that resets is not a test failure
    ws.on('message', (data, isBinary) => this.onMessage(isBinary ? null : data.toString()));
    if (script.dropAfterMs !== undefined) setTimeout(() => ws.terminate(), script.dropAfterMs).unref();
    this.send({ type: 'session.created', session: structuredClone(this.config) });
  }

  get inputFormat(): AudioFormatType {
    return this.formatOf('input');
  }

  get outputFormat(): AudioFormatType {
    return this.formatOf('output');
  }

  /** Client events of `type` received so far. */
  receivedOf(type: string): EventRecord[] {
    return this.received.filter((r) => r.type === type);
  }

  /** Server events of `type` sent so far. */
  sentOf(type: string): EventRecord[] {
    return this.sent.filter((r) => r.type === type);
  }

  /** Resolves with the `occurrence`-th client event of `type` (matching `pred`), once handled. */
  waitFor(type: string, pred: (event: RealtimeJson) => boolean = () => true, occurrence = 1): Promise<EventRecord> {
    return this.waitIn('received', type, pred, occurrence);
  }

  /** Resolves with the `occurrence`-th server event of `type` (matching `pred`) once sent. */
  waitForSent(type: string, pred: (event: RealtimeJson) => boolean = () => true, occurrence = 1): Promise<EventRecord> {
    return this.waitIn('sent', type, pred, occurrence);
  }

  /** Closes the socket from the server side (default 1000). */
  close(code = 1000, reason = ''): void {
    this.ws.close(code, reason);
  }

  /** Destroys the connection without a close frame. */
  terminate(): void {
    this.ws.terminate();
  }

  private waitIn(list: 'received' | 'sent', type: string, pred: (event: RealtimeJson) => boolean, occurrence: number): Promise<EventRecord> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hits = this[list].filter((r) => r.type === type && pred(r.event));
        if (hits.length >= occurrence) {
          this.off(list, check).off('close', gone);
          resolve(hits[occurrence - 1]!);
        }
      };
      const gone = () => {
        check();
        this.off(list, check);
        reject(new Error(`mock realtime session closed before ${list} ${type} #${occurrence}`));
      };
      this.on(list, check).on('close', gone);
      check();
      if (this.isClosed) gone();
    });
  }

  private formatOf(direction: 'input' | 'output'): AudioFormatType {
    const audio = this.config.audio as Record<string, Record<string, unknown>>;
    const format = audio[direction]?.format as { type?: AudioFormatType } | undefined;
    return format?.type ?? 'audio/pcm';
  }

  private get turnDetection(): Record<string, unknown> | null {
    const audio = this.config.audio as { input?: { turn_detection?: Record<string, unknown> | null } };
    return audio.input?.turn_detection ?? null;
  }

  private send(event: RealtimeJson): void {
    if (this.isClosed || this.ws.readyState !== this.ws.OPEN) return;
    const full = { event_id: `event_${this.id.slice(5, 13)}${++this.eventCounter}`, ...event };
    this.ws.send(JSON.stringify(full));
    const record = { at: performance.now(), type: event.type, event: full };
    this.sent.push(record);
    this.emit('sent', record);
  }

  private error(type: string, code: string | null, message: string, clientEvent?: RealtimeJson, param: string | null = null): void {
    const eventId = typeof clientEvent?.event_id === 'string' ? clientEvent.event_id : null;
    this.send({ type: 'error', error: { type, code, message, param, event_id: eventId } });
  }

  private onMessage(text: string | null): void {
    let event: RealtimeJson;
    try {
      if (text === null) throw new Error('binary frame');
      const parsed: unknown = JSON.parse(text);
      if (!isObject(parsed) || typeof parsed.type !== 'string') throw new Error('no type');
      event = parsed as RealtimeJson;
    } catch {
      this.error('invalid_request_error', 'invalid_json', "The server failed to parse the client event: expected a JSON object with a string 'type'.");
      return;
    }
    if (this.script.failure !== 'silent' || event.type === 'session.update') this.handle(event);
    else if (event.type === 'input_audio_buffer.append') this.recordAppend(event);
    const record = { at: performance.now(), type: event.type, event };
    this.received.push(record);
    this.emit('received', record);
  }

  private handle(event: RealtimeJson): void {
    switch (event.type) {
      case 'session.update':
        return this.onSessionUpdate(event);
      case 'input_audio_buffer.append':
        return this.onAppend(event);
      case 'input_audio_buffer.commit':
        return this.onCommit(event);
      case 'input_audio_buffer.clear':
        this.speaking = false;
        this.bufferStartMs = this.inputMs;
        return this.send({ type: 'input_audio_buffer.cleared' });
      case 'response.create':
        return this.onResponseCreate(event);
      case 'response.cancel':
        if (this.active && !this.active.cancelled) return this.cancel('client_cancelled');
        return this.error('invalid_request_error', 'response_cancel_not_active', 'Cancellation failed: no active response found', event);
      case 'conversation.item.create':
        return this.onItemCreate(event);
      case 'conversation.item.truncate':
        return this.onTruncate(event);
      default:
        return this.error('invalid_request_error', 'invalid_value', `Invalid value: '${event.type}'. Not a client event this mock supports.`, event, 'type');
    }
  }

  private onSessionUpdate(event: RealtimeJson): void {
    const session = event.session;
    if (!isObject(session) || session.type !== 'realtime') {
      return this.error('invalid_request_error', 'missing_required_parameter', "Missing required parameter: 'session.type'.", event, 'session.type');
    }
    if (this.script.failure === 'error') {
      const error = this.script.error ?? { type: 'server_error', code: 'server_error', message: 'The server had an error while processing your request.' };
      this.send({ type: 'error', error: { ...error, param: null, event_id: null } });
      return this.close(1011, 'server_error');
    }
    const before = this.inputFormat;
    const { type: _type, ...patch } = session;
    mergeSession(this.config, patch);
    if (this.inputFormat !== before) {
      this.pending = new Int16Array(0);
      this.pendingByte = new Uint8Array(0);
    }
    this.send({ type: 'session.updated', session: structuredClone(this.config) });
  }

  private recordAppend(event: RealtimeJson): Buffer | null {
    if (typeof event.audio !== 'string') return null;
    const bytes = Buffer.from(event.audio, 'base64');
    const format = this.inputFormat;
    const ms = (bytes.length / bytesPerSample(format) / formatRate(format)) * 1000;
    this.appends.push({ at: performance.now(), bytes: bytes.length, ms, endMs: this.inputMs + ms });
    return bytes;
  }

  private onAppend(event: RealtimeJson): void {
    const bytes = this.recordAppend(event);
    if (!bytes) return this.error('invalid_request_error', 'missing_required_parameter', "Missing required parameter: 'audio'.", event, 'audio');
    const format = this.inputFormat;
    let wire: Uint8Array = bytes;
    if (format === 'audio/pcm') {
      wire = Buffer.concat([this.pendingByte, bytes]);
      this.pendingByte = wire.subarray(wire.length - (wire.length % 2));
      wire = wire.subarray(0, wire.length - (wire.length % 2));
    }
    const decoded = decodeAudio(wire, format);
    const rate = formatRate(format);
    if (rate !== this.inputRate) {
      // the timeline is in ms; restart sample counting at the new rate
      this.inputRate = rate;
      this.inputSamples = Math.round((this.inputMs * rate) / 1000);
    }
    const samples = new Int16Array(this.pending.length + decoded.length);
    samples.set(this.pending);
    samples.set(decoded, this.pending.length);
    const frame = rate / 50;
    let offset = 0;
    for (; offset + frame <= samples.length; offset += frame) this.vadFrame(samples.subarray(offset, offset + frame), rate);
    this.pending = samples.slice(offset);
    this.inputMs = ((this.inputSamples + this.pending.length) * 1000) / rate;
  }

  /** One 20 ms frame through the energy VAD, on the input buffer's timeline. */
  private vadFrame(frame: Int16Array, rate: number): void {
    const startMs = (this.inputSamples * 1000) / rate;
    this.inputSamples += frame.length;
    const endMs = (this.inputSamples * 1000) / rate;
    this.inputMs = endMs;
    const td = this.turnDetection;
    if (!td) return;
    let sum = 0;
    for (const s of frame) sum += s * s;
    const rms = Math.sqrt(sum / frame.length);
    const threshold = typeof td.threshold === 'number' ? td.threshold : 0.5;
    const loud = rms >= 32768 * 10 ** ((-60 + 40 * threshold) / 20);
    if (loud && !this.speaking) {
      this.speaking = true;
      this.speechItemId = newId('item');
      this.lastSpeechEndMs = endMs;
      const prefix = typeof td.prefix_padding_ms === 'number' ? td.prefix_padding_ms : 300;
      const audioStartMs = Math.max(this.bufferStartMs, startMs - prefix);
      this.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.round(audioStartMs), item_id: this.speechItemId });
      if (this.active && !this.active.cancelled && td.interrupt_response !== false) this.cancel('turn_detected');
    } else if (loud) {
      this.lastSpeechEndMs = endMs;
    } else if (this.speaking) {
      const silence = td.type === 'server_vad' && typeof td.silence_duration_ms === 'number' ? td.silence_duration_ms : 500;
      if (endMs - this.lastSpeechEndMs < silence) return;
      this.speaking = false;
      this.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(endMs), item_id: this.speechItemId });
      this.commit(this.speechItemId, endMs);
      if (td.create_response !== false && !this.active) this.runNext();
    }
  }

  private onCommit(event: RealtimeJson): void {
    const ms = this.inputMs - this.bufferStartMs;
    if (ms < 100) {
      const message = `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${ms.toFixed(2)}ms of audio.`;
      return this.error('invalid_request_error', 'input_audio_buffer_commit_empty', message, event);
    }
    const itemId = this.speaking ? this.speechItemId : newId('item');
    this.speaking = false;
    this.commit(itemId, this.inputMs);
  }

  /** input_audio_buffer.committed and the user item; the next turn's transcript and steps take over. */
  private commit(itemId: string, endMs: number): void {
    const durationMs = endMs - this.bufferStartMs;
    this.bufferStartMs = endMs;
    this.send({ type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: this.lastItemId });
    const turn = this.script.turns?.[this.turnIndex++];
    const item = { id: itemId, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] };
    this.addItem(item, { type: 'message', role: 'user', audioMs: 0 });
    this.send({ type: 'conversation.item.done', item });
    const audio = this.config.audio as { input?: { transcription?: unknown } };
    if (audio.input?.transcription) {
      const usage = { type: 'duration', seconds: Math.round(durationMs) / 1000 };
      this.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript: turn?.transcript ?? '', usage });
    }
    this.queue = [...(turn?.steps ?? [])];
    this.awaitingCallId = null;
  }

  private addItem(item: Record<string, unknown> & { id: string }, info: ItemInfo): void {
    this.send({ type: 'conversation.item.added', previous_item_id: this.lastItemId, item });
    this.lastItemId = item.id;
    this.items.set(item.id, info);
  }

  private onResponseCreate(event: RealtimeJson): void {
    if (this.active) {
      const message = `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`;
      return this.error('invalid_request_error', 'conversation_already_has_active_response', message, event);
    }
    if (this.awaitingCallId && !this.callOutputReceived) {
      const message = `mock: response.create before the function_call_output for call_id ${this.awaitingCallId}`;
      return this.error('invalid_request_error', 'mock_missing_function_call_output', message, event);
    }
    this.runNext();
  }

  private onItemCreate(event: RealtimeJson): void {
    const item = event.item;
    if (!isObject(item) || typeof item.type !== 'string') {
      return this.error('invalid_request_error', 'missing_required_parameter', "Missing required parameter: 'item'.", event, 'item');
    }
    if (item.type === 'function_call_output') {
      const callId = item.call_id;
      if (typeof callId !== 'string' || !this.knownCalls.has(callId)) {
        return this.error('invalid_request_error', 'invalid_tool_call_id', `Tool call ID '${String(callId)}' not found in conversation.`, event, 'item.call_id');
      }
      if (callId === this.awaitingCallId) this.callOutputReceived = true;
    }
    const created = { id: typeof item.id === 'string' ? item.id : newId('item'), object: 'realtime.item', status: 'completed', ...item };
    this.addItem(created, { type: item.type, role: typeof item.role === 'string' ? item.role : undefined, audioMs: 0 });
    this.send({ type: 'conversation.item.done', item: created });
  }

  private onTruncate(event: RealtimeJson): void {
    const { item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs } = event;
    if (typeof itemId !== 'string' || typeof audioEndMs !== 'number' || typeof contentIndex !== 'number') {
      return this.error('invalid_request_error', 'missing_required_parameter', 'conversation.item.truncate needs item_id, content_index and audio_end_ms.', event);
    }
    const item = this.items.get(itemId);
    if (!item) return this.error('invalid_request_error', 'item_not_found', `Item with item_id not found: ${itemId}`, event, 'item_id');
    if (item.type !== 'message' || item.role !== 'assistant') {
      return this.error('invalid_request_error', 'invalid_value', 'Only assistant messages can be truncated.', event, 'item_id');
    }
    if (audioEndMs > item.audioMs) {
      const message = `Audio content of ${Math.round(item.audioMs)}ms is shorter than ${audioEndMs}ms.`;
      return this.error('invalid_request_error', 'invalid_value', message, event, 'audio_end_ms');
    }
    this.truncations.push({ at: performance.now(), item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs });
    this.send({ type: 'conversation.item.truncated', item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs });
  }

  private cancel(reason: 'turn_detected' | 'client_cancelled'): void {
    const active = this.active;
    if (!active) return;
    active.cancelled = true;
    active.finishCancelled(reason);
    this.active = null;
  }

  private responseShell(id: string, status: string, output: unknown[], statusDetails: unknown = null): Record<string, unknown> {
    const format = { type: this.outputFormat, ...(this.outputFormat === 'audio/pcm' ? { rate: 24000 } : {}) };
    const voice = (this.config.audio as { output?: { voice?: string } }).output?.voice ?? 'alloy';
    return {
      object: 'realtime.response',
      id,
      status,
      status_details: statusDetails,
      output,
      conversation_id: `conv_${this.id.slice(5)}`,
      output_modalities: ['audio'],
      max_output_tokens: 'inf',
      audio: { output: { format, voice } },
      usage: status === 'in_progress' ? null : { total_tokens: 0, input_tokens: 0, output_tokens: 0 },
      metadata: null,
    };
  }

  /** Starts the next scripted step (or an empty response when the script has none left). */
  private runNext(): void {
    const step = this.queue.shift();
    const id = newId('resp');
    const itemId = newId('item');
    let created = false;
    const active: ActiveResponse = {
      id,
      itemId,
      kind: step?.type ?? 'empty',
      cancelled: false,
      // replaced once the step's items exist; until then (e.g. while "thinking") an empty cancelled response
      finishCancelled: (reason) => {
        if (!created) this.send({ type: 'response.created', response: this.responseShell(id, 'in_progress', []) });
        this.send({ type: 'response.done', response: this.responseShell(id, 'cancelled', [], { type: 'cancelled', reason }) });
      },
    };
    this.active = active;
    this.awaitingCallId = null;
    this.callOutputReceived = false;
    const run = async () => {
      if (this.script.responseDelayMs) await delay(this.script.responseDelayMs);
      if (active.cancelled || this.isClosed) return;
      this.send({ type: 'response.created', response: this.responseShell(id, 'in_progress', []) });
      created = true;
      if (!step) await delay(0);
      else if (step.type === 'audio') await this.streamAudio(active, step);
      else await this.callFunction(active, step);
      if (active.cancelled || this.isClosed) return;
      if (!step) this.send({ type: 'response.done', response: this.responseShell(id, 'completed', []) });
      this.active = null;
    };
    void run();
  }

  private async streamAudio(active: ActiveResponse, step: Extract<MockStep, { type: 'audio' }>): Promise<void> {
    const { id, itemId } = active;
    const format = this.outputFormat;
    const rate = formatRate(format);
    const bytes = encodeAudio(mockAudioSamples(step.audio, rate), format);
    const bytesPerMs = (rate * bytesPerSample(format)) / 1000;
    const chunkBytes = Math.max(bytesPerSample(format), Math.round((this.script.chunkMs ?? 100) * bytesPerMs));
    const interval = step.chunkIntervalMs ?? this.script.chunkIntervalMs ?? 10;
    const words = step.text.match(/\S+\s*/g) ?? [];
    const chunks = Math.ceil(bytes.length / chunkBytes);
    const where = { response_id: id, item_id: itemId, output_index: 0, content_index: 0 };
    const info: ItemInfo = { type: 'message', role: 'assistant', audioMs: 0 };
    let said = 0;
    const item = (status: string) => ({
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      status,
      role: 'assistant',
      content: status === 'in_progress' ? [] : [{ type: 'output_audio', transcript: words.slice(0, said).join('') }],
    });
    const finish = (status: 'completed' | 'cancelled', details: unknown = null) => {
      const transcript = words.slice(0, said).join('');
      this.send({ type: 'response.output_audio.done', ...where });
      this.send({ type: 'response.output_audio_transcript.done', ...where, transcript });
      this.send({ type: 'response.content_part.done', ...where, part: { type: 'audio', transcript } });
      const done = item(status === 'completed' ? 'completed' : 'incomplete');
      this.send({ type: 'response.output_item.done', response_id: id, output_index: 0, item: done });
      this.send({ type: 'conversation.item.done', item: done });
      this.send({ type: 'response.done', response: this.responseShell(id, status, [done], details) });
    };
    active.finishCancelled = (reason) => finish('cancelled', { type: 'cancelled', reason });
    this.send({ type: 'response.output_item.added', response_id: id, output_index: 0, item: item('in_progress') });
    this.addItem(item('in_progress'), info);
    this.send({ type: 'response.content_part.added', ...where, part: { type: 'audio', transcript: '' } });
    for (let n = 0; n < chunks; n++) {
      await delay(interval);
      if (active.cancelled || this.isClosed) return;
      for (const upTo = Math.ceil(((n + 1) * words.length) / chunks); said < upTo; said++) {
        this.send({ type: 'response.output_audio_transcript.delta', ...where, delta: words[said] });
      }
      const chunk = bytes.subarray(n * chunkBytes, (n + 1) * chunkBytes);
      this.send({ type: 'response.output_audio.delta', ...where, delta: chunk.toString('base64') });
      info.audioMs += chunk.length / bytesPerMs;
      this.deltas.push({ at: performance.now(), response_id: id, item_id: itemId, bytes: chunk.length, ms: chunk.length / bytesPerMs });
    }
    finish('completed');
  }

  private async callFunction(active: ActiveResponse, step: Extract<MockStep, { type: 'function_call' }>): Promise<void> {
    const { id, itemId } = active;
    const callId = step.callId ?? newId('call');
    const args = typeof step.arguments === 'string' ? step.arguments : JSON.stringify(step.arguments);
    const item = (status: string, argumentsSoFar: string) => ({ id: itemId, object: 'realtime.item', type: 'function_call', status, call_id: callId, name: step.name, arguments: argumentsSoFar });
    const where = { response_id: id, item_id: itemId, output_index: 0, call_id: callId };
    active.finishCancelled = (reason) => {
      this.send({ type: 'response.output_item.done', response_id: id, output_index: 0, item: item('incomplete', '') });
      this.send({ type: 'response.done', response: this.responseShell(id, 'cancelled', [item('incomplete', '')], { type: 'cancelled', reason }) });
    };
    this.send({ type: 'response.output_item.added', response_id: id, output_index: 0, item: item('in_progress', '') });
    this.addItem(item('in_progress', ''), { type: 'function_call', audioMs: 0 });
    await delay(this.script.chunkIntervalMs ?? 10);
    if (active.cancelled || this.isClosed) return;
    this.knownCalls.add(callId);
    this.send({ type: 'response.function_call_arguments.delta', ...where, delta: args });
    this.send({ type: 'response.function_call_arguments.done', ...where, name: step.name, arguments: args });
    const done = item('completed', args);
    this.send({ type: 'response.output_item.done', response_id: id, output_index: 0, item: done });
    this.send({ type: 'conversation.item.done', item: done });
    this.send({ type: 'response.done', response: this.responseShell(id, 'completed', [done]) });
    this.awaitingCallId = callId;
  }
}

/** A running mock; `script` may be replaced between connections. */
export class MockRealtime extends EventEmitter<{ session: [MockSession] }> {
  baseURL = '';
  port = 0;
  ca: Buffer = Buffer.alloc(0);
  /** Every accepted connection, in order. */
  readonly sessions: MockSession[] = [];
  /** Upgrades answered with an HTTP error. */
  readonly rejected: RejectedUpgrade[] = [];
  private claimed = 0;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private server?: https.Server;

  constructor(public script: MockScript) {
    super();
  }

  async listen(): Promise<void> {
    const { key, cert } = await selfSignedCertificate();
    this.ca = cert;
    const server = https.createServer({ key, cert }, (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'mock: only the realtime WebSocket is served' } }));
    });
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.baseURL = `https://127.0.0.1:${this.port}/v1`;
  }

  /** Resolves with the next session not yet handed out by an earlier call (the first, then the second, …). */
  waitForSession(): Promise<MockSession> {
    const index = this.claimed++;
    return new Promise((resolve) => {
      const check = () => {
        const session = this.sessions[index];
        if (!session) return;
        this.off('session', check);
        resolve(session);
      };
      this.on('session', check);
      check();
    });
  }

  /** Destroys every connection and stops listening. */
  async close(): Promise<void> {
    for (const session of this.sessions) session.terminate();
    this.wss.close();
    const server = this.server;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const script = this.script;
    const reject = (status: number, message: string) => {
      this.rejected.push({ at: performance.now(), status, url: req.url ?? '', message });
      const body = JSON.stringify({ error: { message, type: 'invalid_request_error', code: null } });
      const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
      socket.end(head + body);
    };
    if (script.failure === 'refuse') return reject(503, 'mock: service unavailable');
    if (url.pathname !== '/v1/realtime') return reject(404, `mock: no route ${url.pathname}`);
    const model = url.searchParams.get('model');
    if (!model || (script.model !== undefined && model !== script.model)) return reject(400, `mock: unexpected model ${model}`);
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!auth || (script.apiKey !== undefined && auth[1] !== script.apiKey)) return reject(401, 'Incorrect API key provided.');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new MockSession(ws, model, req.headers, script);
      this.sessions.push(session);
      this.emit('session', session);
    });
  }
}

/** Starts a mock Realtime server on 127.0.0.1 and a free port. */
export async function startMockRealtime(script: MockScript = {}): Promise<MockRealtime> {
  const mock = new MockRealtime(script);
  await mock.listen();
  return mock;
}
