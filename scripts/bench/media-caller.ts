/**
 * One call's fake mod_audio_fork for `npm run bench:media` (run in ./media-peers.ts): a WebSocket
 * client (subprotocol `audio.drachtio.org`) that, from the moment it connects, sends a 20 ms frame
 * of 8 kHz L16 (320 bytes) on its own drift-free 20 ms grid, as FreeSWITCH's media bug does:
 * silence while it listens, and a caller utterance (test/fixtures/speech/caller-*.wav, in turn)
 * once the agent has finished (no agent frame for QUIET_MS) and the caller has paused (0–2 s,
 * different for every call and turn, so the calls' turns do not line up). Every frame carries the
 * marker of ./media-stats.ts, and its send time is kept for the inbound latency.
 *
 * What it hears: agent frames less than QUIET_MS apart are one talk spurt; in a spurt it records
 * each inter-arrival time and how far each frame is behind the spurt's 20 ms grid (anchored at its
 * first frame), and the first frame after `deltaAt` (the time, set by the mock's side, a response's
 * first audio left the mock) gives the outbound latency. All times are wallMs.
 */
import { WebSocket } from 'ws';
import { bytesFromL16 } from '../../src/media/g711.js';
import { readWav } from '../../test/helpers/wav.js';
import { markFrame, Samples, wallMs } from './media-stats.js';

export const FRAME_MS = 20;
/** 20 ms of 8 kHz L16. */
const FRAME_BYTES = 320;
/** No agent frame for this long (ms): the agent has finished; also what separates talk spurts. */
const QUIET_MS = 300;
/** A listening caller that hears nothing for this long (ms) speaks again. */
const REPLY_TIMEOUT_MS = 8000;
/** An inter-arrival time above this (ms) in a talk spurt: a 20 ms slot went without a frame. */
export const GAP_MS = 2 * FRAME_MS;

/** The utterances as L16 bytes, padded with silence to whole frames. */
const UTTERANCES = ['caller-internet-down.wav', 'caller-open-ticket.wav', 'caller-ask-person.wav'].map((file) => {
  const bytes = bytesFromL16(readWav(file).samples);
  return Buffer.concat([bytes, Buffer.alloc((FRAME_BYTES - (bytes.length % FRAME_BYTES)) % FRAME_BYTES)]);
});

/** The caller's pause after the agent finished, ms: 0–2,000, pseudo-random from the call's index and the turn. */
const pauseMs = (call: number, turn: number) => (Math.abs(Math.sin(call * 12.9898 + turn * 78.233) * 43758.5453) % 1) * 2000;

export interface CallerCounts {
  connected: number;
  /** Calls that heard agent audio (their greeting). */
  greeted: number;
  /** Sockets Switchplane closed after the hangup. */
  closedByServer: number;
  utterances: number;
  /** Agent turns heard (greetings and replies), counted when the caller answers one; turns waited for in vain (REPLY_TIMEOUT_MS). */
  agentTurns: number;
  noReply: number;
  framesSent: number;
  framesReceived: number;
  spurts: number;
}

/** What all the callers of a run record. */
export class CallerStats {
  readonly firstFrame = new Samples();
  readonly gaps = new Samples();
  readonly behind = new Samples();
  readonly count: CallerCounts = { connected: 0, greeted: 0, closedByServer: 0, utterances: 0, agentTurns: 0, noReply: 0, framesSent: 0, framesReceived: 0, spurts: 0 };
}

/** Calls `tick` for frame n at start + n × 20 ms, drift-free (frames a late timer missed go at once); returns stop. */
export function pace(tick: () => void): () => void {
  const start = performance.now();
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    for (; start + n * FRAME_MS <= performance.now(); n++) tick();
    timer = setTimeout(run, start + n * FRAME_MS - performance.now());
  };
  run();
  return () => clearTimeout(timer);
}

export class Caller {
  /** When each frame was sent, by sequence number. */
  readonly sentAt: Float64Array;
  /** When the mock sent the first audio of a response the client has not heard yet. */
  deltaAt: number | undefined;
  lastArrival = -Infinity;
  /** Resolves once the socket has closed (at once when it never opened). */
  closed: Promise<void> = Promise.resolve();
  private ws: WebSocket | undefined;
  private stop: (() => void) | undefined;
  private hungUp = false;
  private seq = 0;
  private speech: Buffer | null = null;
  private offset = 0;
  private turn: number;
  private listenSince = 0;
  private heard = 0;
  private spurtStart = 0;
  private spurtFrame = 0;
  private greeted = false;

  /**
   * @param index the call's number in the run, < 4096 (the marker's)
   * @param frames the most frames the call sends (its seconds × 50, and some), < 65536
   */
  constructor(
    readonly index: number,
    readonly callId: string,
    frames: number,
    private readonly stats: CallerStats,
    private readonly onGreeted: () => void,
  ) {
    this.turn = index;
    this.sentAt = new Float64Array(frames);
  }

  /** Opens the fork to `url`, as `uuid_audio_fork <uuid> start <url> …` does. */
  connect(url: string): void {
    const ws = new WebSocket(url, ['audio.drachtio.org'], { perMessageDeflate: false });
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.on('close', () => resolve()));
    ws.on('error', () => undefined); // shows as a call not connected or not greeted
    ws.on('open', () => {
      this.stats.count.connected++;
      this.listenSince = wallMs();
      this.stop = pace(() => this.frame());
    });
    ws.on('message', (_data, isBinary) => isBinary && this.arrived());
    ws.on('close', () => {
      this.stop?.();
      if (this.hungUp) this.stats.count.closedByServer++;
    });
  }

  /** The channel hung up: no more frames; Switchplane is to close the socket. */
  hangUp(): void {
    this.hungUp = true;
    this.stop?.();
  }

  /** Closes the socket if Switchplane has not. */
  terminate(): void {
    this.ws?.terminate();
  }

  private frame(): void {
    const { count } = this.stats;
    const now = wallMs();
    const answered = this.heard > 0 && now - this.lastArrival > QUIET_MS + pauseMs(this.index, this.turn);
    if (!this.speech && (answered || now - this.listenSince > REPLY_TIMEOUT_MS)) {
      if (this.heard > 0) count.agentTurns++;
      else count.noReply++;
      this.speech = UTTERANCES[this.turn++ % UTTERANCES.length]!;
      this.offset = 0;
    }
    const frame = Buffer.alloc(FRAME_BYTES);
    if (this.speech) {
      this.speech.copy(frame, 0, this.offset, this.offset + FRAME_BYTES);
      this.offset += FRAME_BYTES;
      if (this.offset >= this.speech.length) {
        [this.speech, this.listenSince, this.heard] = [null, now, 0];
        count.utterances++;
      }
    }
    markFrame(frame, this.index, this.seq);
    this.sentAt[this.seq++] = wallMs();
    this.ws!.send(frame);
    count.framesSent++;
  }

  private arrived(): void {
    const { count, firstFrame, gaps, behind } = this.stats;
    const now = wallMs();
    count.framesReceived++;
    if (this.deltaAt !== undefined) firstFrame.push(now, now - this.deltaAt);
    this.deltaAt = undefined;
    const gap = now - this.lastArrival;
    if (gap > QUIET_MS) {
      count.spurts++;
      [this.spurtStart, this.spurtFrame] = [now, 0];
    } else {
      this.spurtFrame++;
      gaps.push(now, gap);
      behind.push(now, now - (this.spurtStart + this.spurtFrame * FRAME_MS));
    }
    this.lastArrival = now;
    this.heard++;
    if (!this.greeted) {
      this.greeted = true;
      count.greeted++;
      this.onGreeted();
    }
  }
}
