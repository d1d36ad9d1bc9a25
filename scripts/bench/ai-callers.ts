/**
 * The callers of `npm run bench:ai`, a child process of the bench so that their event loop is not
 * the mock Realtime server's: one UDP socket on 127.0.0.1 per call speaking RTP (RFC 3550) with
 * PCMU (payload type 0, 160 bytes a 20 ms packet), as test/helpers/rtp-peer.ts does for one call,
 * but paced by one timer for all of them so that a few hundred calls stay cheap. Each call sends
 * silence every 20 ms once it knows FreeSWITCH's RTP port, speech when told to, and keeps every
 * PCMU packet it receives: arrival time (wallMs, comparable with the bench's), sequence number,
 * RTP timestamp and the packet's peak sample.
 *
 * Messages (IPC): `open` {calls} → `opened` {ports}; `start` {media: [mediaPort, rtpPort][]};
 * `speak` {at: wallMs per call (null: not this turn)}; `report` → `report` {calls, and since the first `speak`: lag, cpuMs};
 * `close` → `closed`.
 */
import dgram from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { decodeMulaw, encodeMulaw } from '../../src/media/g711.js';
import { readWav } from '../../test/helpers/wav.js';
import { wallMs } from './media-stats.js';

const FRAME_BYTES = 160;
const FRAME_MS = 20;
const SILENCE = 0xff; // μ-law of 0
/** |sample| of each μ-law byte. */
const MAGNITUDE = Int16Array.from(decodeMulaw(Uint8Array.from({ length: 256 }, (_, i) => i)), Math.abs);
/** What each caller says: 8 kHz, μ-law. */
export const CALLER_SAYS = 'caller-ask-person.wav';
const speech = (() => {
  const { samples, sampleRate } = readWav(CALLER_SAYS);
  if (sampleRate !== 8000) throw new Error(`${CALLER_SAYS}: ${sampleRate} Hz, expected 8000`);
  return encodeMulaw(samples);
})();

/** What one call received and said. */
export interface CallRecord {
  mediaPort: number;
  /** Per packet received, in arrival order. */
  at: number[];
  seq: number[];
  ts: number[];
  peak: number[];
  /** Each utterance: when its first and last frame was sent, wallMs. */
  spoke: Array<{ start: number; end: number }>;
}

export type CallersMessage =
  | { kind: 'opened'; ports: number[] }
  | { kind: 'report'; calls: CallRecord[]; lag: { p99: number; max: number }; cpuMs: number }
  | { kind: 'closed' };
export type CallersCommand =
  | { kind: 'open'; calls: number }
  | { kind: 'start'; media: Array<[number, number]> }
  | { kind: 'speak'; at: Array<number | null> }
  | { kind: 'report' }
  | { kind: 'close' };

interface Call {
  socket: dgram.Socket;
  record: CallRecord;
  remote: number;
  started: number;
  sent: number;
  /** Speech being sent (a view of `speech`), and when the next utterance starts. */
  saying: Uint8Array | null;
  sayAt: number | null;
  seq: number;
  ssrc: number;
}

const send = (message: CallersMessage) => process.send!(message);
let calls: Call[] = [];
const byPort = new Map<number, Call>();
const lag = monitorEventLoopDelay({ resolution: 1 });
/** From the first `speak` to the `report`: CPU and event-loop lag. */
let cpu = process.cpuUsage();
let measuring = false;

async function open(n: number): Promise<void> {
  calls = await Promise.all(Array.from({ length: n }, async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const record: CallRecord = { mediaPort: socket.address().port, at: [], seq: [], ts: [], peak: [], spoke: [] };
    socket.on('message', (msg) => {
      const at = wallMs();
      if (msg.length < 12 + FRAME_BYTES || (msg[1]! & 0x7f) !== 0) return;
      let peak = 0;
      for (let i = 12; i < 12 + FRAME_BYTES; i++) peak = Math.max(peak, MAGNITUDE[msg[i]!]!);
      record.at.push(at);
      record.seq.push(msg.readUInt16BE(2));
      record.ts.push(msg.readUInt32BE(4));
      record.peak.push(peak);
    });
    return { socket, record, remote: 0, started: 0, sent: 0, saying: null, sayAt: null, seq: 0, ssrc: Math.floor(Math.random() * 0xffffffff) };
  }));
  for (const c of calls) byPort.set(c.record.mediaPort, c);
  send({ kind: 'opened', ports: calls.map((c) => c.record.mediaPort) });
}

/** Sends every frame that is due, for every call: paced on the clock, not on the timer's ticks. */
function tick(): void {
  const now = wallMs();
  for (const c of calls) {
    if (!c.remote) continue;
    while (c.started + c.sent * FRAME_MS <= now) {
      const due = c.started + c.sent * FRAME_MS;
      if (!c.saying && c.sayAt !== null && due >= c.sayAt) {
        c.saying = speech;
        c.sayAt = null;
        c.record.spoke.push({ start: now, end: NaN });
      }
      const packet = Buffer.alloc(12 + FRAME_BYTES, SILENCE);
      packet[0] = 0x80; // version 2
      packet[1] = 0; // no marker, payload type 0 (PCMU)
      packet.writeUInt16BE(c.seq++ & 0xffff, 2);
      packet.writeUInt32BE((c.sent * FRAME_BYTES) >>> 0, 4);
      packet.writeUInt32BE(c.ssrc, 8);
      if (c.saying) {
        const n = Math.min(FRAME_BYTES, c.saying.length);
        packet.set(c.saying.subarray(0, n), 12);
        c.saying = c.saying.subarray(n);
        if (c.saying.length === 0) {
          c.saying = null;
          c.record.spoke.at(-1)!.end = now;
        }
      }
      c.socket.send(packet, c.remote, '127.0.0.1');
      c.sent++;
    }
  }
}
const timer = setInterval(tick, 5);

process.on('message', (cmd: CallersCommand) => {
  switch (cmd.kind) {
    case 'open':
      void open(cmd.calls);
      break;
    case 'start':
      for (const [media, rtp] of cmd.media) {
        const c = byPort.get(media);
        if (c && !c.remote) Object.assign(c, { remote: rtp, started: wallMs() });
      }
      break;
    case 'speak':
      cmd.at.forEach((at, i) => at !== null && calls[i] && (calls[i]!.sayAt = at));
      if (!measuring) {
        measuring = true;
        cpu = process.cpuUsage();
        lag.enable();
      }
      break;
    case 'report': {
      const { user, system } = process.cpuUsage(cpu);
      send({ kind: 'report', calls: calls.map((c) => c.record), lag: { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 }, cpuMs: (user + system) / 1000 });
      lag.disable();
      lag.reset();
      measuring = false;
      break;
    }
    case 'close':
      for (const c of calls) c.socket.close();
      calls = [];
      byPort.clear();
      send({ kind: 'closed' });
      break;
  }
});
process.on('disconnect', () => {
  clearInterval(timer);
  process.exit(0);
});
