/**
 * The jitter buffer and real-time pacer of the audio going back to FreeSWITCH: the model's audio
 * arrives in bursts of any size and leaves as 20 ms frames of 8 kHz L16 (160 samples), one per
 * 20 ms, because mod_audio_fork mixes what it receives into the call as it arrives.
 *
 * - A talkspurt (RFC 3551's term: audio after a silence) starts once `prebufferMs` of audio is
 *   buffered, or `prebufferMs` after its first chunk arrived, or as soon as the audio queued is
 *   complete (its item ended), whichever comes first. Frame n of the spurt is then due at
 *   start + n × 20 ms: its own drift-free grid, never accumulated timer delays. When no whole
 *   frame is queued at a due time, the spurt is over and the next chunk starts a new one.
 * - Frames never mix items: an item's last partial frame is padded with silence once the item has
 *   ended (`end()`, or audio of another item pushed).
 * - `leadMs` releases frames that far ahead of the grid (for file playback, where FreeSWITCH
 *   queues segments); the first `leadMs` go out as soon as the spurt starts. A spurt that starts
 *   while released audio is still playing is laid after it.
 * - Heard audio is counted per item on the playback timeline: a released frame starts playing
 *   when it is released or when the one before it ends, whichever is later, and counts as heard
 *   (its audio, not its padding) once it has started. With `leadMs` 0 that is every frame
 *   released; with a lead, frames released ahead count as their time comes.
 *
 * All playouts of the process share one `FrameClock` (src/media/frame-clock.ts): one timer, armed
 * for the earliest due time of all of them, which releases every frame due when it fires. Times
 * are milliseconds on the clock's `now()` scale (performance.now()).
 */
import { cutFrame, FRAME_MS, FRAME_SAMPLES, SAMPLES_PER_MS, type Item, type Segment } from './audio-frames.js';
import { FrameClock } from './frame-clock.js';


export interface FrameInfo {
  /** The assistant item (OpenAI's item id) the frame's audio belongs to. */
  itemId: string;
  /** Release time − due time, ms (≥ 0): the latency the bridge added to the frame. */
  lateMs: number;
}

export interface PlayoutOptions {
  /** Receives each frame, FRAME_SAMPLES samples, a fresh array; called from the clock, never from a method of the playout. */
  onFrame(frame: Int16Array, info: FrameInfo): void;
  /** Audio a talkspurt waits for, ms (default 40). */
  prebufferMs?: number;
  /** How far ahead of the grid frames are released, ms (default 0). */
  leadMs?: number;
  /** Default: one clock for the process. */
  clock?: FrameClock;
}

/** A released frame whose playback has not ended. */
interface Sent {
  readonly item: Item;
  readonly samples: number;
  readonly startAt: number;
}

let processClock: FrameClock | undefined;

/** The playout of one call. */
export class Playout {
  private readonly onFrame: PlayoutOptions['onFrame'];
  private readonly prebufferMs: number;
  private readonly leadMs: number;
  private readonly clock: FrameClock;
  private readonly items = new Map<string, Item>();
  /** The item taking audio. */
  private open: Item | null = null;
  private queue: Segment[] = [];
  /** Samples in the queue. */
  private queued = 0;
  /** Samples ever pushed, and ever released or dropped (for `drained()`). */
  private pushed = 0;
  private done = 0;
  private waiters: { pushed: number; resolve: () => void }[] = [];
  /** Released frames still playing or to play, oldest first. */
  private sent: Sent[] = [];
  /** When the audio released so far has played out. */
  private playEnd = -Infinity;
  private phase: 'idle' | 'prebuffering' | 'playing' = 'idle';
  /** Prebuffering: when the spurt's first chunk arrived. */
  private firstAt = 0;
  /** Playing: when the spurt started, when its frame 0 plays, and frames released. */
  private startedAt = 0;
  private anchor = 0;
  private frames = 0;
  private closed = false;
  private readonly wake = () => this.tick();

  constructor(opts: PlayoutOptions) {
    this.onFrame = opts.onFrame;
    this.prebufferMs = opts.prebufferMs ?? 40;
    this.leadMs = opts.leadMs ?? 0;
    this.clock = opts.clock ?? (processClock ??= new FrameClock());
  }

  /**
   * Queues audio of item `itemId`, 8 kHz samples (kept, not copied). Audio of another item ends
   * the one before; audio of an item that ended or was flushed, or after `close()`, is ignored.
   */
  push(itemId: string, pcm: Int16Array): void {
    if (this.closed || pcm.length === 0) return;
    let item = this.items.get(itemId);
    if (!item) this.items.set(itemId, (item = { id: itemId, released: 0, ended: false }));
    if (item.ended) return;
    if (this.open && this.open !== item) this.endItem(this.open);
    this.open = item;
    let tail = this.queue.at(-1);
    if (tail?.item !== item) this.queue.push((tail = { item, chunks: [], offset: 0, samples: 0 }));
    tail.chunks.push(pcm);
    tail.samples += pcm.length;
    this.queued += pcm.length;
    this.pushed += pcm.length;
    const now = this.clock.now();
    if (this.phase === 'idle') this.prebuffer(now);
    this.startIfReady(now);
    this.reschedule();
  }

  /** The audio of item `itemId` is complete: its last partial frame goes out padded with silence. */
  end(itemId: string): void {
    const item = this.items.get(itemId);
    if (this.closed || !item || item.ended) return;
    this.endItem(item);
    const now = this.clock.now();
    if (this.phase === 'idle' && this.queued > 0) this.prebuffer(now); // the partial frame a dry spell left
    this.startIfReady(now);
    this.reschedule();
  }

  /**
   * Barge-in: drops all audio not yet playing, at once, and ends the items it belonged to.
   * Returns the item playing (or, when none is, the next one queued) and its milliseconds heard,
   * for `conversation.item.truncate`'s `audio_end_ms` (fractional when a padded frame counted);
   * null when nothing was queued or playing.
   */
  flush(): { itemId: string; heardMs: number } | null {
    const now = this.clock.now();
    this.prune(now);
    const item = this.sent[0]?.item ?? this.queue[0]?.item;
    for (const f of this.sent) {
      if (f.startAt > now) f.item.released -= f.samples;
      this.endItem(f.item);
    }
    for (const seg of this.queue) this.endItem(seg.item);
    this.sent = [];
    this.playEnd = Math.min(this.playEnd, now);
    this.stop();
    return item ? { itemId: item.id, heardMs: item.released / SAMPLES_PER_MS } : null;
  }

  /** Milliseconds of item `itemId`'s audio heard so far (0 for an unknown item). */
  heardMs(itemId: string): number {
    const item = this.items.get(itemId);
    if (!item) return 0;
    const now = this.clock.now();
    let samples = item.released;
    for (const f of this.sent) if (f.item === item && f.startAt > now) samples -= f.samples;
    return samples / SAMPLES_PER_MS;
  }

  /** Audio is queued or playing. */
  get speaking(): boolean {
    return this.queued > 0 || this.playEnd > this.clock.now();
  }

  /**
   * Resolves once all audio pushed so far has been released (or dropped by `flush()` or
   * `close()`). A partial frame of an item that has not ended is not released until it does.
   */
  drained(): Promise<void> {
    if (this.done >= this.pushed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pushed: this.pushed, resolve }));
  }

  /** Drops everything and stops; later pushes are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sent = [];
    this.playEnd = -Infinity;
    this.stop();
  }

  private endItem(item: Item): void {
    item.ended = true;
    if (this.open === item) this.open = null;
  }

  private prebuffer(now: number): void {
    this.phase = 'prebuffering';
    this.firstAt = now;
  }

  private startIfReady(now: number): void {
    if (this.phase !== 'prebuffering') return;
    if (this.queued >= this.prebufferMs * SAMPLES_PER_MS || this.queue.at(-1)!.item.ended) this.begin(now);
  }

  private begin(at: number): void {
    this.phase = 'playing';
    this.startedAt = at;
    this.anchor = Math.max(at, this.playEnd);
    this.frames = 0;
  }

  private due(frame: number): number {
    return Math.max(this.startedAt, this.anchor + frame * FRAME_MS - this.leadMs);
  }

  private tick(): void {
    const now = this.clock.now();
    if (this.phase === 'prebuffering' && now >= this.firstAt + this.prebufferMs) this.begin(this.firstAt + this.prebufferMs);
    while (this.phase === 'playing') {
      const due = this.due(this.frames);
      if (due > now) break;
      const frame = this.take();
      if (!frame) {
        this.phase = 'idle';
        break;
      }
      this.frames++;
      this.release(frame.item, frame.pcm, frame.samples, now, due);
    }
    this.reschedule();
  }

  /** The next frame of the queue's first item: whole, or the padded rest of an ended item; null when there is none. */
  private take(): { item: Item; pcm: Int16Array; samples: number } | null {
    const seg = this.queue[0];
    if (!seg || (seg.samples < FRAME_SAMPLES && !seg.item.ended)) return null;
    const { pcm, samples } = cutFrame(seg);
    this.queued -= samples;
    if (seg.samples === 0) this.queue.shift();
    return { item: seg.item, pcm, samples };
  }

  private release(item: Item, pcm: Int16Array, samples: number, now: number, due: number): void {
    this.prune(now);
    const startAt = Math.max(now, this.playEnd);
    this.playEnd = startAt + FRAME_MS;
    this.sent.push({ item, samples, startAt });
    item.released += samples;
    this.done += samples;
    this.settle();
    this.onFrame(pcm, { itemId: item.id, lateMs: now - due });
  }

  /** Forgets the frames that have finished playing. */
  private prune(now: number): void {
    while (this.sent.length > 0 && this.sent[0]!.startAt + FRAME_MS <= now) this.sent.shift();
  }

  private stop(): void {
    this.done += this.queued;
    this.queued = 0;
    this.queue = [];
    this.phase = 'idle';
    this.settle();
    this.reschedule();
  }

  private settle(): void {
    while (this.waiters.length > 0 && this.waiters[0]!.pushed <= this.done) this.waiters.shift()!.resolve();
  }

  private reschedule(): void {
    if (this.phase === 'playing') this.clock.schedule(this.wake, this.due(this.frames));
    else if (this.phase === 'prebuffering') this.clock.schedule(this.wake, this.firstAt + this.prebufferMs);
    else this.clock.cancel(this.wake);
  }
}
