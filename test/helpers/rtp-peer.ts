/**
 * The caller's media in an end-to-end call: a UDP socket on 127.0.0.1 speaking RTP (RFC 3550)
 * with PCMU (payload type 0, 8 kHz, 20 ms = 160 bytes a packet). It sends a packet every 20 ms
 * once it knows where to (silence, or speech queued with `say`), and keeps every packet the switch
 * sends with its arrival time, so a test can tell what the caller heard and when. Closed when the
 * test ends.
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
    loud(threshold = 500) {
      return received.filter((p) => p.peak > threshold);
    },
  };
}
