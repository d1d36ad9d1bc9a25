/**
 * The two FreeSWITCH media fork modules Switchplane drives (MEDIA_FORK_MODULE), as ESL commands
 * and as what goes back on the fork's WebSocket. Both capture `mono` (the caller only, so the
 * agent's own voice is not fed back to the model) at `8k`: binary L16 frames, little-endian.
 *
 * - `audio_stream`, amigniter mod_audio_stream (MIT; mod_audio_stream.c, audio_streamer_glue.cpp):
 *   `uuid_audio_stream <uuid> start <url> mono 8k <metadata>`. Audio back is a text frame
 *   `{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":8000,"audioData":<base64 L16>}}`;
 *   the module writes it to `<temp_dir>/<uuid>_<n>.tmp.r8` and fires `mod_audio_stream::play`
 *   with body `{"audioDataType":"raw","sampleRate":8000,"file":"<path>"}`, and the controller
 *   plays the file (`sendmsg <uuid>` execute `playback <file>`; queued playbacks run in order).
 *   Barge-in: `uuid_break <uuid> all` stops the playing file and drops the queued ones. Segments
 *   of `SEGMENT_MS` are sent `LEAD_MS` ahead of real time so that the next file is queued before
 *   the one playing ends.
 * - `audio_fork`, mod_audio_fork with bidirectional streaming (jambonz fork; mod_audio_fork.c,
 *   lws_glue.cpp): `uuid_audio_fork <uuid> start <url> mono 8k switchplane <metadata> true true 8000`
 *   (bugname, metadata, bidirectional_enabled, bidirectional_stream_enabled,
 *   bidirectional_sample_rate). Audio back is binary L16 8 kHz frames, mixed into the call as
 *   they arrive (SMBF_WRITE_REPLACE), so they are sent paced in real time, 20 ms each, `FORK_LEAD_MS`
 *   ahead (the module's buffer grows to hold them).
 *   Barge-in: `uuid_audio_fork <uuid> stop_play` empties its playback buffer. The WebSocket
 *   subprotocol it asks for is `audio.drachtio.org`.
 */
import type { WebSocket } from 'ws';
import type { ForkModuleName } from '../esl/call-channel.js';
import { audioFork as audioForkCommands, uuidBreakAll } from '../freeswitch/commands.js';
import { bytesFromL16 } from './g711.js';

export type { ForkModuleName };

/** Milliseconds of audio per mod_audio_stream playback file. */
export const SEGMENT_MS = 200;
/**
 * How far ahead of real time the audio of mod_audio_stream segments is released, milliseconds. A
 * segment goes out once its last frame is released, `LEAD_MS − SEGMENT_MS + 20` ms before it is
 * due to play; in that time it must reach the module, be written to a file, announced
 * (`mod_audio_stream::play`) and queued as a playback over the event socket. That margin is what
 * the round trip may vary by from segment to segment without a hole in what the caller hears
 * (`npm run bench:ai`: with 20 ms, 11 of 25 concurrent calls had a hole of up to 120 ms). The
 * first `LEAD_MS` of an answer go out at once, so the answer does not start later.
 */
export const LEAD_MS = 400;
/**
 * How far ahead of their play time frames go to mod_audio_fork, milliseconds: its playout buffer
 * holds them, so a Switchplane stall shorter than this leaves no gap (a frame that arrives after
 * FreeSWITCH's 20 ms write tick would be played a tick late).
 */
export const FORK_LEAD_MS = 100;
/** Audio held unsent on a mod_audio_fork socket before frames are dropped: 1 s of 8 kHz L16, bytes. */
export const MAX_BUFFERED_BYTES = 16000;
/** Samples per millisecond at 8 kHz. */
const SAMPLES_PER_MS = 8;

/** What goes back to FreeSWITCH on the fork: 20 ms frames in, `flush()` at the end of an item or a barge-in. */
export interface ForkSink {
  frame(pcm: Int16Array): void;
  /** Sends what is held (the last partial segment of an item); drops nothing. */
  flush(): void;
  /** Drops what is held and not yet sent (barge-in). */
  discard(): void;
  /** Playback files sent so far (mod_audio_stream: one per `streamAudio`); 0 for modules that play frames. */
  readonly files: number;
}

export interface ForkModule {
  readonly name: ForkModuleName;
  /** WebSocket subprotocol the module asks for, if any. */
  readonly subprotocol: string | undefined;
  /** How far ahead of real time the playout releases audio for this module, milliseconds. */
  readonly leadMs: number;
  /**
   * Whether FreeSWITCH plays what goes back as files, so that "played" is told by its
   * PLAYBACK_STOP events (mod_audio_stream); otherwise by the clock (mod_audio_fork).
   */
  readonly playsFiles: boolean;
  /** The `api` command (src/freeswitch/commands.ts) that empties FreeSWITCH's playback at once (barge-in). */
  breakPlayback(uuid: string): string;
  sink(socket: WebSocket): ForkSink;
}

const audioStream: ForkModule = {
  name: 'audio_stream',
  subprotocol: undefined,
  leadMs: LEAD_MS,
  playsFiles: true,
  breakPlayback: uuidBreakAll,
  sink(socket) {
    const segment = new Int16Array(SEGMENT_MS * SAMPLES_PER_MS);
    let held = 0;
    let files = 0;
    const send = () => {
      if (held === 0) return;
      const audioData = bytesFromL16(segment.subarray(0, held)).toString('base64');
      held = 0;
      files++;
      socket.send(JSON.stringify({ type: 'streamAudio', data: { audioDataType: 'raw', sampleRate: 8000, audioData } }));
    };
    return {
      get files() {
        return files;
      },
      frame(pcm) {
        let offset = 0;
        while (offset < pcm.length) {
          const n = Math.min(pcm.length - offset, segment.length - held);
          segment.set(pcm.subarray(offset, offset + n), held);
          held += n;
          offset += n;
          if (held === segment.length) send();
        }
      },
      flush: send,
      discard: () => (held = 0),
    };
  },
};

const audioFork: ForkModule = {
  name: 'audio_fork',
  subprotocol: 'audio.drachtio.org',
  leadMs: FORK_LEAD_MS,
  playsFiles: false,
  breakPlayback: audioForkCommands.stopPlay,
  sink(socket) {
    return {
      frame: (pcm) => {
        // A stalled FreeSWITCH must not make us queue audio without end: past a second held, frames are dropped.
        if (socket.bufferedAmount <= MAX_BUFFERED_BYTES) socket.send(bytesFromL16(pcm));
      },
      flush: () => {},
      discard: () => {},
      files: 0,
    };
  },
};

/** The module of each MEDIA_FORK_MODULE value. */
export const FORK_MODULES: Readonly<Record<ForkModuleName, ForkModule>> = { audio_stream: audioStream, audio_fork: audioFork };

/** The file of a `mod_audio_stream::play` event body, or undefined when it names none. */
export function playedFile(body: string | undefined): string | undefined {
  try {
    const file = (JSON.parse(body ?? '') as { file?: unknown }).file;
    return typeof file === 'string' && file !== '' ? file : undefined;
  } catch {
    return undefined;
  }
}
