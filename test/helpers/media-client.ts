/**
 * A fake FreeSWITCH media fork: the WebSocket client side of mod_audio_stream (amigniter), as
 * recorded in ../shared/fixtures/freeswitch/media-fork/ws-audio-stream.txt and described in
 * ../shared/reference/freeswitch-facts.md §6.3:
 * - the metadata (if any) goes first, as one text frame right after the upgrade;
 * - then binary frames of raw L16 (16-bit signed little-endian) mono at `sampleRate` (default
 *   8000), one per 20 ms, so 320 bytes each at 8 kHz, paced in real time against a drift-free
 *   clock (frame n is due at start + n × 20 ms; the clock restarts when the sender fell idle);
 *   a last partial frame is padded with silence, as the module only sends whole frames.
 * Binary frames the server sends back (jambonz-style bidirectional audio) are recorded with their
 * arrival time (performance.now() ms), text frames as JSON (or raw text if not JSON).
 * Timers are unref'd; the socket is the only thing keeping the process alive.
 */
import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';

export interface MediaClientOptions {
  /** ws:// or wss:// URL of the media server. */
  url: string;
  /** The WebSocket subprotocol to offer (mod_audio_fork: `audio.drachtio.org`; mod_audio_stream: none). */
  subprotocol?: string;
  /** The text frame sent first, e.g. JSON with the call's uuid. */
  metadata?: string;
  /** Samples per second of the L16 sent (default 8000). */
  sampleRate?: number;
  /** Extra upgrade headers (mod_audio_stream's STREAM_EXTRA_HEADERS). */
  headers?: Record<string, string>;
}

export interface ReceivedBinary {
  /** performance.now() on arrival, ms. */
  at: number;
  data: Buffer;
}

export interface ReceivedText {
  at: number;
  text: string;
  /** The parsed JSON, or undefined if the text is not JSON. */
  json: unknown;
}

export interface MediaClient {
  readonly ws: WebSocket;
  /** Bytes per 20 ms frame: sampleRate / 50 × 2 (320 at 8 kHz). */
  readonly frameBytes: number;
  /** Binary frames received, in order. */
  readonly binary: ReceivedBinary[];
  /** Text frames received, in order. */
  readonly texts: ReceivedText[];
  /** Audio frames sent so far. */
  readonly framesSent: number;
  /**
   * Sends `samples` as 20 ms frames in real time; resolves after the last frame is written, or
   * early if the socket stops being open.
   */
  sendAudio(samples: Int16Array): Promise<void>;
  /** sendAudio() of `ms` of zeros. */
  sendSilence(ms: number): Promise<void>;
  /** Resolves with the first text frame (already received or to come) whose JSON matches. */
  waitForJson<T = unknown>(pred: (json: T) => boolean): Promise<T>;
  /** Resolves once at least `bytes` bytes of binary frames have arrived. */
  waitForBinaryBytes(bytes: number): Promise<void>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Closes (default 1000 "Normal closure", as mod_audio_stream does) and waits for the close. */
  close(code?: number, reason?: string): Promise<{ code: number; reason: string }>;
}

const FRAME_MS = 20;

/** Connects like mod_audio_stream's `uuid_audio_stream <uuid> start <url> mono 8k [metadata]`. */
export async function connectMediaClient(opts: MediaClientOptions): Promise<MediaClient> {
  const sampleRate = opts.sampleRate ?? 8000;
  const frameSamples = (sampleRate * FRAME_MS) / 1000;
  const ws = new WebSocket(opts.url, opts.subprotocol ? [opts.subprotocol] : [], { headers: opts.headers, perMessageDeflate: false });
  const events = new EventEmitter();
  const binary: ReceivedBinary[] = [];
  const texts: ReceivedText[] = [];
  let binaryBytes = 0;
  let framesSent = 0;
  /** When the next frame is due (performance.now() ms); 0 = idle. */
  let nextDue = 0;
  /** Sends are serialised: a second sendAudio waits for the first. */
  let queue: Promise<void> = Promise.resolve();

  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      events.emit('change');
    }),
  );
  ws.on('message', (data, isBinary) => {
    const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const at = performance.now();
    if (isBinary) {
      binary.push({ at, data: buffer });
      binaryBytes += buffer.length;
    } else {
      const text = buffer.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      texts.push({ at, text, json });
    }
    events.emit('change');
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => undefined); // surfaces as the close code
      resolve();
    });
    ws.once('error', reject);
  });
  if (opts.metadata !== undefined) ws.send(opts.metadata);

  const sendFrames = async (samples: Int16Array) => {
    const now = performance.now();
    if (nextDue < now) nextDue = now; // idle: restart the clock
    for (let offset = 0; offset < samples.length; offset += frameSamples) {
      const wait = nextDue - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
      if (ws.readyState !== WebSocket.OPEN) return;
      const frame = Buffer.alloc(frameSamples * 2); // zero-padded if samples run out
      const part = samples.subarray(offset, offset + frameSamples);
      part.forEach((s, i) => frame.writeInt16LE(s, i * 2));
      ws.send(frame);
      framesSent++;
      nextDue += FRAME_MS;
    }
  };

  const waitUntil = (ready: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (ready()) {
          events.off('change', check);
          resolve();
        } else if (ws.readyState === WebSocket.CLOSED) {
          events.off('change', check);
          reject(new Error(`media socket closed while waiting for ${what}`));
        }
      };
      events.on('change', check);
      check();
    });

  const sendAudio = (samples: Int16Array) => {
    const sent = queue.then(() => sendFrames(samples));
    queue = sent.catch(() => undefined);
    return sent;
  };

  return {
    ws,
    frameBytes: frameSamples * 2,
    binary,
    texts,
    get framesSent() {
      return framesSent;
    },
    sendAudio,
    sendSilence: (ms) => sendAudio(new Int16Array(Math.round((ms * sampleRate) / 1000))),
    async waitForJson<T>(pred: (json: T) => boolean) {
      let found: T | undefined;
      await waitUntil(() => {
        const hit = texts.find((t) => t.json !== undefined && pred(t.json as T));
        found = hit?.json as T | undefined;
        return hit !== undefined;
      }, 'a matching JSON text frame');
      return found as T;
    },
    waitForBinaryBytes(bytes) {
      return waitUntil(() => binaryBytes >= bytes, `${bytes} bytes of binary frames`);
    },
    closed,
    close(code = 1000, reason = 'Normal closure') {
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      return closed;
    },
  };
}
