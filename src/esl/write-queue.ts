/**
 * The write path of the ESL state trackers (registrations, gateway state): `push()` is
 * synchronous, so an event handler never awaits, and one serial worker writes what was pushed in
 * batches, in order.
 *
 * Writes are coalesced by key: an item pushed for a key that is still waiting is folded into the
 * waiting one (`merge`, by default the newer replaces it) and moves to the end of the queue, so
 * the queue holds at most one item per key and every batch is written in the order of each key's
 * latest item. An item whose batch is being written is no longer waiting: a newer item for the
 * same key goes into a later batch. With `gatherMs`, the worker waits that long before taking each
 * batch, so that items arriving one by one are written together: a transaction costs far more than
 * a row (on the embedded database ~3 ms of CPU for one row, ~0.2 ms a row in a batch of 50).
 *
 * A failed batch is reported (`onFailure`, once per failed attempt) and retried until it lands
 * (src/db/retry-until-stored.ts: delay = minTimeoutMs × 2^n × [1, 2), at most maxTimeoutMs),
 * while newer items keep coalescing behind it; memory stays bounded by the number of keys. Only a
 * TypeError (a bug, not an outage) drops the batch. Durations are milliseconds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { retryUntilStored } from '../db/retry-until-stored.js';

export interface WriteQueueOptions<T> {
  /** Writes one batch in a transaction, items in queue order; throws to have the batch retried. */
  write: (batch: T[]) => Promise<void>;
  /** Folds a newer item into the waiting one of the same key (default: the newer replaces it). */
  merge?: (waiting: T, newer: T) => T;
  /** Called with each failed attempt's error. */
  onFailure: (err: unknown) => void;
  /** Items per batch (default 500). */
  batchSize?: number;
  /** Milliseconds each batch gathers items before it is taken (default 0: at once); not waited once closing. */
  gatherMs?: number;
  retry?: { minTimeoutMs: number; maxTimeoutMs: number };
}

export class WriteQueue<T> {
  private readonly waiting = new Map<string, T>();
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;

  constructor(private readonly opts: WriteQueueOptions<T>) {}

  /** Queues `item` under `key` and wakes the worker; never throws, never blocks. */
  push(key: string, item: T): void {
    const older = this.waiting.get(key);
    this.waiting.delete(key);
    this.waiting.set(key, older !== undefined && this.opts.merge ? this.opts.merge(older, item) : item);
    this.drain();
  }

  /** Resolves once every item pushed so far has been written (or dropped). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops retrying (a batch that fails from now on is dropped); resolves once the worker is done. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private drain(): void {
    this.running ??= this.run().finally(() => {
      this.running = null;
      if (this.waiting.size > 0) this.drain();
    });
  }

  private async run(): Promise<void> {
    const size = this.opts.batchSize ?? 500;
    const { minTimeoutMs, maxTimeoutMs } = this.opts.retry ?? { minTimeoutMs: 200, maxTimeoutMs: 30_000 };
    const gatherMs = this.opts.gatherMs ?? 0;
    while (this.waiting.size > 0) {
      if (gatherMs > 0 && !this.stopping.signal.aborted) await sleep(gatherMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      const batch: T[] = [];
      for (const [key, item] of this.waiting) {
        if (batch.length === size) break;
        batch.push(item);
        this.waiting.delete(key);
      }
      await retryUntilStored(() => this.opts.write(batch), {
        minMs: minTimeoutMs,
        maxMs: maxTimeoutMs,
        signal: this.stopping.signal,
        isFinal: (err) => err instanceof TypeError,
        onFailure: (err) => this.opts.onFailure(err),
      }).catch(() => undefined); // reported per attempt; given up only on close() or a TypeError
    }
  }
}
