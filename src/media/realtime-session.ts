/**
 * One OpenAI Realtime session (GA protocol) for one call, through the `openai` package's
 * WebSocket client (`openai/realtime/ws`, OpenAIRealtimeWS: `wss://<base>/realtime?model=...`).
 *
 * Audio in is 8 kHz L16 from FreeSWITCH, 20 ms frames (160 samples). With `format: 'pcmu'` it is
 * G.711 μ-law encoded (1 byte per sample) and appended as `audio/pcmu` both ways, so nothing is
 * resampled; with `'pcm24k'` it is resampled to 24 kHz L16 (`audio/pcm`, rate 24000) and the
 * model's audio is resampled back to 8 kHz. Every frame is sent at once as its own
 * `input_audio_buffer.append` (no acknowledgement exists; 20 ms is within the 20–100 ms the
 * Realtime guide suggests).
 *
 * Server events handled (names of the GA protocol, openai `resources/realtime/realtime.d.ts`):
 * `session.created` (the session id), `input_audio_buffer.speech_started` (barge-in),
 * `input_audio_buffer.speech_stopped` (a reply is due), `conversation.item.input_audio_transcription.completed`
 * (what the caller said), `response.created`, `response.output_audio.delta` / `.done` (the agent's
 * audio, per item), `response.output_audio_transcript.done` (what the agent said),
 * `response.function_call_arguments.done` (a tool call), `response.done`, and `error`.
 *
 * Failure: the socket not open and configured within `connectTimeoutMs`, an `error` event that is
 * not one of the harmless ones below, the socket closing, or a response asked for (`respond()`, or
 * the caller's turn ending) not starting within `responseTimeoutMs` all call `handlers.failed`
 * once, with a reason (`openai_unreachable`, `openai_error`, `openai_closed`, `openai_timeout`).
 */
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { RealtimeClientEvent, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import type { AiSettings } from '../config.js';
import { bytesFromL16, decodeMulaw, encodeMulaw, l16FromBytes } from './g711.js';
import { createResampler, type Resampler } from './resampler.js';

/** Error codes of events that do not end the session (e.g. a cancel that raced the response's end). */
const HARMLESS_ERRORS = new Set(['response_cancel_not_active', 'conversation_already_has_active_response', 'input_audio_buffer_commit_empty']);

const caFiles = new Map<string, Buffer>();
/** OPENAI_CA_FILE's PEM, read once per process. */
function trustedCa(file: string): Buffer {
  let pem = caFiles.get(file);
  if (!pem) caFiles.set(file, (pem = readFileSync(file)));
  return pem;
}

/** Why a Realtime session failed: it could not be opened, sent an error, closed, or did not respond in time. */
export const REALTIME_FAILURES = ['openai_unreachable', 'openai_error', 'openai_closed', 'openai_timeout'] as const;
export type RealtimeFailure = (typeof REALTIME_FAILURES)[number];

export interface RealtimeHandlers {
  /** The agent's audio for assistant item `itemId`, 8 kHz L16. */
  audio(itemId: string, pcm: Int16Array): void;
  /** The agent's audio of `itemId` is complete. */
  audioDone(itemId: string): void;
  /** The caller started speaking (server VAD) in the input item `itemId`. */
  speechStarted(itemId: string): void;
  /** The caller's words, transcribed (asynchronous, approximate). */
  callerTranscript(itemId: string, text: string): void;
  /** What the agent said in `itemId`. */
  agentTranscript(itemId: string, text: string): void;
  /** The model called a tool: `args` is its JSON string. */
  functionCall(call: { callId: string; name: string; args: string }): void;
  /** A response ended (`completed`, `cancelled`, `failed`, `incomplete`). */
  responseDone(status: string): void;
  /** The session can no longer be used; called once. */
  failed(reason: RealtimeFailure, detail: string): void;
}

export interface RealtimeOptions {
  settings: Readonly<AiSettings>;
  apiKey: string;
  instructions: string;
  /** GA function tools (`{ type: 'function', name, description, parameters }`). */
  tools: unknown[];
}

export class RealtimeSession {
  /** The OpenAI session id (`sess_...`), from `session.created`. */
  sessionId: string | null = null;
  private readonly rt: OpenAIRealtimeWS;
  private readonly up?: Resampler;
  private readonly down?: Resampler;
  private ended = false;
  private responseTimer: NodeJS.Timeout | undefined;
  private responding = false;

  private constructor(
    private readonly opts: RealtimeOptions,
    private readonly handlers: RealtimeHandlers,
    resamplers: [Resampler, Resampler] | undefined,
  ) {
    [this.up, this.down] = resamplers ?? [];
    const { settings } = opts;
    const ca = settings.caFile ? trustedCa(settings.caFile) : undefined;
    const client = new OpenAI({ apiKey: opts.apiKey, baseURL: settings.baseUrl });
    this.rt = new OpenAIRealtimeWS({ model: settings.model, options: ca ? { ca } : {} }, client);
    this.rt.on('error', (err) => {
      const code = err.error?.code ?? '';
      if (HARMLESS_ERRORS.has(code)) return;
      this.fail(this.sessionId ? 'openai_error' : 'openai_unreachable', err.message);
    });
    this.rt.on('event', (event) => this.onEvent(event));
    this.rt.socket.on('close', (code, reason) => this.fail('openai_closed', `socket closed ${code} ${reason.toString()}`));
  }

  /**
   * Opens the session and sends `session.update`; resolves once `session.updated` arrived.
   * @throws Error (`reason` on it: a RealtimeFailure) when that does not happen within `connectTimeoutMs`,
   *   or the socket fails first
   */
  static async open(opts: RealtimeOptions, handlers: RealtimeHandlers): Promise<RealtimeSession> {
    let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
    const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Made before the socket, so that its `open` cannot pass while they are created.
    const resamplers = opts.settings.audioFormat === 'pcm24k'
      ? await Promise.all([createResampler(8000, 24000), createResampler(24000, 8000)])
      : undefined;
    const session = new RealtimeSession(opts, {
      ...handlers,
      failed: (reason, detail) => {
        if (settle) settle.reject(Object.assign(new Error(detail), { reason }));
        else handlers.failed(reason, detail);
      },
    }, resamplers);
    const timer = setTimeout(() => session.fail('openai_unreachable', `no session within ${opts.settings.connectTimeoutMs} ms`), opts.settings.connectTimeoutMs);
    try {
      session.rt.socket.once('open', () => session.configure());
      session.rt.once('session.updated', () => settle?.resolve());
      await ready;
      return session;
    } catch (err) {
      session.close();
      throw err;
    } finally {
      clearTimeout(timer);
      settle = undefined;
    }
  }

  private configure(): void {
    const { settings, instructions, tools } = this.opts;
    const format = settings.audioFormat === 'pcmu' ? { type: 'audio/pcmu' as const } : { type: 'audio/pcm' as const, rate: 24000 as const };
    this.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions,
        output_modalities: ['audio'],
        tools: tools as never,
        tool_choice: 'auto',
        audio: {
          input: {
            format,
            noise_reduction: { type: 'near_field' },
            transcription: { model: 'gpt-4o-mini-transcribe' },
            turn_detection: {
              type: 'server_vad',
              threshold: settings.vad.threshold,
              prefix_padding_ms: settings.vad.prefixPaddingMs,
              silence_duration_ms: settings.vad.silenceDurationMs,
              create_response: true,
              interrupt_response: true,
            },
          },
          output: { format, voice: settings.voice },
        },
      },
    });
  }

  /** Appends 8 kHz L16 caller audio (any length; FreeSWITCH sends 20 ms). */
  appendAudio(pcm: Int16Array): void {
    if (this.ended) return;
    const ulaw = this.up ? undefined : encodeMulaw(pcm);
    const bytes = ulaw ? Buffer.from(ulaw.buffer, ulaw.byteOffset, ulaw.byteLength) : bytesFromL16(this.up!.process(pcm));
    this.send({ type: 'input_audio_buffer.append', audio: bytes.toString('base64') });
  }

  /** Asks for a response (`response.create`), e.g. the greeting or the reply to a tool output. */
  respond(instructions?: string): void {
    this.send(instructions ? { type: 'response.create', response: { instructions } } : { type: 'response.create' });
    this.expectResponse();
  }

  /** Barge-in: cancels the response in progress and cuts item `itemId` at `audioEndMs` (what the caller heard). */
  interrupt(itemId: string, audioEndMs: number): void {
    if (this.responding) this.send({ type: 'response.cancel' });
    this.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: Math.max(0, Math.round(audioEndMs)) });
  }

  /** Gives a tool's result (`output`, serialised as JSON) for call `callId`; `respond()` makes the model use it. */
  toolOutput(callId: string, output: unknown): void {
    this.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output: JSON.stringify(output) } });
  }

  /** Closes the socket; no handler is called after this. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.responseTimer);
    this.up?.close();
    this.down?.close();
    try {
      this.rt.close({ code: 1000, reason: 'call ended' });
    } catch {
      this.rt.socket.terminate();
    }
  }

  private send(event: RealtimeClientEvent): void {
    if (!this.ended && this.rt.socket.readyState === this.rt.socket.OPEN) this.rt.send(event);
  }

  private expectResponse(): void {
    clearTimeout(this.responseTimer);
    this.responseTimer = setTimeout(
      () => this.fail('openai_timeout', `no response within ${this.opts.settings.responseTimeoutMs} ms`),
      this.opts.settings.responseTimeoutMs,
    );
  }

  private fail(reason: RealtimeFailure, detail: string): void {
    if (this.ended) return;
    this.close();
    this.handlers.failed(reason, detail);
  }

  private onEvent(event: RealtimeServerEvent): void {
    if (this.ended) return;
    const h = this.handlers;
    switch (event.type) {
      case 'session.created':
        this.sessionId = (event.session as { id?: string }).id ?? null; // the GA server sends the id the request type lacks
        break;
      case 'input_audio_buffer.speech_started':
        h.speechStarted(event.item_id);
        break;
      case 'input_audio_buffer.speech_stopped':
        this.expectResponse();
        break;
      case 'conversation.item.input_audio_transcription.completed':
        h.callerTranscript(event.item_id, event.transcript);
        break;
      case 'response.created':
        this.responding = true;
        clearTimeout(this.responseTimer);
        break;
      case 'response.output_audio.delta': {
        const bytes = Buffer.from(event.delta, 'base64');
        const pcm = this.down ? this.down.process(l16FromBytes(bytes)) : decodeMulaw(bytes);
        h.audio(event.item_id, pcm);
        break;
      }
      case 'response.output_audio.done':
        h.audioDone(event.item_id);
        break;
      case 'response.output_audio_transcript.done':
        h.agentTranscript(event.item_id, event.transcript);
        break;
      case 'response.function_call_arguments.done':
        h.functionCall({ callId: event.call_id, name: event.name, args: event.arguments });
        break;
      case 'response.done':
        this.responding = false;
        h.responseDone(event.response.status ?? 'completed');
        break;
      default:
        break;
    }
  }
}
