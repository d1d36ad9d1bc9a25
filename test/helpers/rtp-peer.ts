/**
 * The caller's media in an end-to-end call: a UDP socket on 127.0.0.1 speaking RTP (RFC 3550)
 * with PCMU (payload type 0, 8 kHz, 20 ms = 160 bytes a packet). It sends a packet every 20 ms
 * once it knows where to (silence, or speech queued with `say`), and keeps every packet the switch
 * sends with its arrival time, so a test can tell what the caller heard and when; it presses keys
 * as RFC 4733 telephone-events (payload type 101, as the SDP of the scenarios offering it says).
 * Closed when the test ends.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Test } from 'tap';
import { decodeMulaw, encodeMulaw } from '../../src/media/g711.js';
import { readWav } from './wav.js';

const FRAME_BYTES = 160;
const SILENCE = 0xff; // μ-law of 0

export interface ReceivedPacket {
  /** performance.now() at arrival, milliseconds. */
  at: number;
  seq: number;
  /** RTP timestamp (8 kHz units: +160 a 20 ms frame). */
  ts: number;
  /** Largest absolute sample of the decoded packet. */
  peak: number;
}

export interface RtpPeer {
  port: number;
  received: ReceivedPacket[];
  /** Starts sending to the switch's RTP port. */
  start(remotePort: number): void;
  /** Queues a WAV fixture (8 kHz mono) to be sent as the caller's voice; resolves when it has been sent. */
  say(wav: string): Promise<void>;
  /**
   * Presses `digits` (0-9, *, #) one after the other: each a 100 ms RFC 4733 event (payload type
   * 101, three end packets), then 100 ms of silence; resolves when the last has been sent.
   */
  dtmf(digits: string): Promise<void>;
  /** Packets whose peak is above `threshold` (not silence). */
  loud(threshold?: number): ReceivedPacket[];
}

export async function startRtpPeer(t: Test): Promise<RtpPeer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: ReceivedPacket[] = [];
  socket.on('message', (msg) => {
    if (msg.length < 12 + FRAME_BYTES || (msg[1]! & 0x7f) !== 0) return;
    const pcm = decodeMulaw(msg.subarray(12, 12 + FRAME_BYTES));
    let peak = 0;
    for (const s of pcm) peak = Math.max(peak, Math.abs(s));
    received.push({ at: performance.now(), seq: msg.readUInt16BE(2), ts: msg.readUInt32BE(4), peak });
  });
  const queue: Array<{ bytes: Uint8Array; sent: () => void }> = [];
  /** Keys to press; `frame` counts the 20 ms frames of the current one (5 event, 3 end, 5 silence). */
  const keys: Array<{ code: number; frame: number; startTs: number; sent: () => void }> = [];
  const EVENT_PT = 101;
  let timer: NodeJS.Timeout | undefined;
  t.teardown(() => {
    clearInterval(timer);
    socket.close();
  });
  const ssrc = Math.floor(Math.random() * 0xffffffff);
  return {
    port: socket.address().port,
    received,
    start(remotePort) {
      let seq = 0;
      let ts = 0;
      const started = performance.now();
      let sentFrames = 0;
      const send = () => {
        // Paced on the clock, not on the timer's ticks: as many frames as are due.
        while (sentFrames * 20 <= performance.now() - started) {
          const packet = Buffer.alloc(12 + FRAME_BYTES, SILENCE);
          packet[0] = 0x80;
          packet[1] = 0;
          packet.writeUInt16BE(seq++ & 0xffff, 2);
          packet.writeUInt32BE(ts >>> 0, 4);
          packet.writeUInt32BE(ssrc, 8);
          const key = keys[0];
          if (key && key.frame < 8) {
            if (key.frame === 0) key.startTs = ts;
            const end = key.frame >= 5;
            packet[1] = EVENT_PT | (key.frame === 0 ? 0x80 : 0);
            packet.writeUInt32BE(key.startTs >>> 0, 4);
            const event = Buffer.from([key.code, (end ? 0x80 : 0) | 10, 0, 0]);
            event.writeUInt16BE(Math.min(key.frame + 1, 5) * FRAME_BYTES, 2);
            socket.send(Buffer.concat([packet.subarray(0, 12), event]), remotePort, '127.0.0.1');
          }
          if (key && ++key.frame >= 13) {
            keys.shift();
            key.sent();
          }
          if (key && key.frame <= 8) {
            ts += FRAME_BYTES;
            sentFrames++;
            continue;
          }
          const head = queue[0];
          if (head) {
            const n = Math.min(FRAME_BYTES, head.bytes.length);
            packet.set(head.bytes.subarray(0, n), 12);
            head.bytes = head.bytes.subarray(n);
            if (head.bytes.length === 0) {
              queue.shift();
              head.sent();
            }
          }
          socket.send(packet, remotePort, '127.0.0.1');
          ts += FRAME_BYTES;
          sentFrames++;
        }
      };
      timer = setInterval(send, 10);
    },
    say(wav) {
      const { samples, sampleRate } = readWav(wav);
      if (sampleRate !== 8000) throw new Error(`${wav}: ${sampleRate} Hz, expected 8000`);
      return new Promise((sent) => queue.push({ bytes: encodeMulaw(samples), sent }));
    },
    dtmf(digits) {
      const codes = [...digits].map((d) => '0123456789*#'.indexOf(d));
      if (codes.some((c) => c < 0)) throw new Error(`${digits}: only 0-9, * and # can be pressed`);
      return Promise.all(codes.map((code) => new Promise<void>((sent) => keys.push({ code, frame: 0, startTs: 0, sent })))).then(() => undefined);
    },
    loud(threshold = 500) {
      return received.filter((p) => p.peak > threshold);
    },
  };
}
