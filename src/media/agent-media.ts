/**
 * The audio side of one agent call: the media fork's socket (caller frames in, the agent's audio
 * out through the playout and the fork module's sink), and the playback files FreeSWITCH plays
 * for mod_audio_stream, so that the call knows when the agent's last words have been heard.
 */
import type { WebSocket } from 'ws';
import type { ForkModule, ForkSink } from './fork-modules.js';
import type { FrameClock } from './frame-clock.js';
import { Playout } from './playout.js';

/** Longest wait for FreeSWITCH to report the last file of a goodbye played, milliseconds. */
export const PLAYED_WAIT_MS = 3000;

export interface CallMediaOptions {
  fork: ForkModule;
  clock: FrameClock;
  /** Audio held before the first frame of an item is released, milliseconds. */
  prebufferMs: number;
  /** Each frame's lateness leaving the playout, milliseconds. */
  onLateness(ms: number): void;
  /** A caller frame: binary L16, 8 kHz, little-endian (src/media/g711.ts l16FromBytes). */
  onCallerAudio(frame: Buffer): void;
  /** The socket closed. */
  onClose(): void;
}

/** The fork's socket with its sink and playout. */
export class CallMedia {
  readonly sink: ForkSink;
  private readonly playout: Playout;

  constructor(
    private readonly socket: WebSocket,
    private readonly opts: CallMediaOptions,
  ) {
    const sink = (this.sink = opts.fork.sink(socket));
    this.playout = new Playout({
      clock: opts.clock,
      prebufferMs: opts.prebufferMs,
      leadMs: opts.fork.leadMs,
      onFrame: (frame, info) => {
        sink.frame(frame);
        opts.onLateness(info.lateMs);
      },
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) opts.onCallerAudio(data as Buffer);
    });
    socket.on('close', () => opts.onClose());
  }

  /** Whether the agent is being heard (audio is playing out). */
  get speaking(): boolean {
    return this.playout.speaking;
  }

  /** The agent's audio of item `itemId`, 8 kHz L16. */
  push(itemId: string, pcm: Int16Array): void {
    this.playout.push(itemId, pcm);
  }

  /** The agent's item `itemId` is complete: its last partial segment goes once it has played out. */
  audioDone(itemId: string): void {
    this.playout.end(itemId);
    void this.playout.drained().then(() => this.sink.flush());
  }

  /** Barge-in: drops what is buffered and unsent; the item cut off and the milliseconds of it released. */
  cut(): { itemId: string; heardMs: number } | null {
    const cut = this.playout.flush();
    this.sink.discard();
    return cut;
  }

  /**
   * Resolves once the audio pushed so far has been heard: released by the playout, then played
   * as FreeSWITCH reports it for files (`files`, mod_audio_stream), or by the clock for frames
   * mixed in `leadMs` ahead (mod_audio_fork).
   */
  async played(files: PlayedFiles): Promise<void> {
    await this.playout.drained();
    if (this.opts.fork.playsFiles) await files.allPlayed(this.sink);
    else await new Promise((resolve) => setTimeout(resolve, this.opts.fork.leadMs));
  }

  /** Stops the playout; the socket stays open (see `closeSocket`). */
  close(): void {
    this.playout.close();
  }

  closeSocket(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(1000, 'session ended');
  }
}

/** Playback files mod_audio_stream wrote and FreeSWITCH plays on the channel. */
export class PlayedFiles {
  /** Files queued on the channel and not yet reported stopped (PLAYBACK_STOP). */
  private readonly playing = new Set<string>();
  /** Files the module wrote and announced (`mod_audio_stream::play`). */
  private announced = 0;
  /** Wakes `allPlayed()` on each announcement and PLAYBACK_STOP. */
  private onPlayed: (() => void) | null = null;

  /** The module wrote `file` (`mod_audio_stream::play`) and it is queued on the channel. */
  queued(file: string): void {
    this.playing.add(file);
    this.announced++;
    this.onPlayed?.();
  }

  /** FreeSWITCH finished (or broke off) playing `file` (PLAYBACK_STOP). */
  stopped(file: string): void {
    if (this.playing.delete(file)) this.onPlayed?.();
  }

  /** `uuid_break all` dropped the queued playbacks: no PLAYBACK_STOP comes for them. */
  dropped(): void {
    this.playing.clear();
  }

  /**
   * Resolves once every file `sink` sent has been announced and played (no playback left without
   * its PLAYBACK_STOP), or after `PLAYED_WAIT_MS`.
   */
  allPlayed(sink: ForkSink | undefined): Promise<void> {
    sink?.flush();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.onPlayed = null;
        resolve();
      };
      const timer = setTimeout(done, PLAYED_WAIT_MS);
      this.onPlayed = () => {
        if (this.announced >= (sink?.files ?? 0) && this.playing.size === 0) done();
      };
      this.onPlayed();
    });
  }
}
