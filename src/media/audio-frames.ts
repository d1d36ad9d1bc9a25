/**
 * The agent's audio as the playout (src/media/playout.ts) queues and frames it: 8 kHz L16 cut
 * into 20 ms frames of 160 samples, each frame holding audio of one item only.
 */

/** Milliseconds per frame. */
export const FRAME_MS = 20;
/** Samples per frame (20 ms at 8 kHz). */
export const FRAME_SAMPLES = 160;
/** Samples per millisecond at 8 kHz. */
export const SAMPLES_PER_MS = 8;

/** One assistant item's audio in the playout. */
export interface Item {
  readonly id: string;
  /** Samples of the item's audio released (padding excluded). */
  released: number;
  /** No more audio is taken for it: ended, superseded by another item, or flushed. */
  ended: boolean;
}

/** An item's queued audio; the queue holds no empty segment. */
export interface Segment {
  readonly item: Item;
  readonly chunks: Int16Array[];
  /** Samples of chunks[0] already taken. */
  offset: number;
  samples: number;
}

/**
 * Takes the next frame off `seg`: up to FRAME_SAMPLES samples, the rest of the frame silence.
 * Returns the frame (a fresh array) and the samples of audio in it.
 */
export function cutFrame(seg: Segment): { pcm: Int16Array; samples: number } {
  const pcm = new Int16Array(FRAME_SAMPLES);
  let filled = 0;
  while (filled < FRAME_SAMPLES && seg.samples > 0) {
    const chunk = seg.chunks[0]!;
    const n = Math.min(FRAME_SAMPLES - filled, chunk.length - seg.offset);
    pcm.set(chunk.subarray(seg.offset, seg.offset + n), filled);
    filled += n;
    seg.samples -= n;
    seg.offset += n;
    if (seg.offset === chunk.length) {
      seg.chunks.shift();
      seg.offset = 0;
    }
  }
  return { pcm, samples: filled };
}
