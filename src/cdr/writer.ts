/**
 * The CDR writer: takes every finished call leg (from the event socket's `CHANNEL_HANGUP_COMPLETE`
 * or a mod_json_cdr post), journals it in the spool at once, and writes the rows in batches.
 *
 * Nothing is lost: a CDR is on disk before `accept` returns; a batch leaves the spool only after
 * its rows are committed; while the database is down batches are retried with capped exponential
 * backoff (src/db/retry-until-stored.ts, `retry.minMs` doubling to `retry.maxMs`), in order, and the CDRs that arrive
 * meanwhile keep being journalled. At most `memoryLimit` pending CDRs are held in memory; beyond
 * that a batch is kept on disk only and read back when its turn comes. A record the database
 * refuses (a data error) is retried row by row, and a row still refused is kept in
 * `unattributed_cdrs` with the reason. Duplicates are ignored by `Unique-ID` (src/domain/cdrs.ts).
 * Each leg inserted emits the `call.ended` event webhook in the same transaction (src/domain/call-events.ts).
 * A CDR whose `Unique-ID` is stored for another tenant or was reported by another FreeSWITCH is
 * refused (the stored row is left as it is), kept in `unattributed_cdrs`, counted in
 * `switchplane_cdr_conflicts_total` and reported through `onConflict`.
 *
 * `handle` runs on the event socket's read loop and only parses and journals: a batch is sealed
 * every `flushIntervalMs` milliseconds or when `batchSize` CDRs are waiting. While the writer is
 * behind, queued batches are written together, up to `batchSize` CDRs a statement.
 */
import type { EslEvent } from '../esl/connection.js';
import type { EventHandler } from '../esl/controller.js';
import { retryUntilStored } from '../db/retry-until-stored.js';
import type { Store } from '../db/store.js';
import type { Metrics } from '../metrics.js';
import type { CdrRecord } from '../domain/cdrs.js';
import { cdrFromEvent } from './records.js';
import { distinctLegs, type Batch, type CdrConflict, type CdrSource, type SpoolEntry } from './batches.js';
import { writeCdrRowsAndEmit } from '../domain/call-events.js';
import { isDataError, keepRefusedCdr, type WrittenRow } from '../domain/cdrs.js';
import { CdrSpool, type SpoolSegment } from './spool.js';

export type { CdrConflict, CdrSource } from './batches.js';

export interface CdrWriterOptions {
  store: Store;
  spool: CdrSpool;
  metrics: Metrics;
  /** Reports a failed batch attempt (it is retried) or a refused row (it is kept aside). */
  onError: (err: unknown, context: { batch: number; attempt?: number; uniqueId?: string }) => void;
  /** Called once a batch is committed, with its records and the commit time (epoch ms). */
  onCommitted?: (records: CdrRecord[], committedAtMs: number) => void;
  /** Reports each refused CDR once its batch is committed. */
  onConflict?: (conflict: CdrConflict) => void;
  batchSize?: number;
  flushIntervalMs?: number;
  memoryLimit?: number;
  retry?: { minMs: number; maxMs: number };
}

/** CDRs a batch (and a statement) holds when `batchSize` is not given. */
export const DEFAULT_BATCH_SIZE = 500;

export class CdrWriter implements EventHandler {
  readonly events = ['CHANNEL_HANGUP_COMPLETE'] as const;
  private readonly batchSize: number;
  private readonly memoryLimit: number;
  private readonly queue: Batch[] = [];
  private inMemory = 0;
  private onDiskOnly = 0;
  private open: SpoolEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | null = null;
  private readonly stopping = new AbortController();
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: CdrWriterOptions) {
    this.batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    this.memoryLimit = opts.memoryLimit ?? 50_000;
  }

  /**
   * Opens the spool, queues what a previous run left in it, and starts sealing batches.
   * @throws when the spool directory is unusable
   */
  start(): void {
    for (const segment of this.opts.spool.open()) {
      this.queue.push({ segment, entries: null, recovered: true });
      this.onDiskOnly += segment.count;
    }
    this.updateDepth();
    this.timer = setInterval(() => this.seal(), this.opts.flushIntervalMs ?? 50);
    this.timer.unref();
    this.drain();
  }

  /** Stops retrying; what is not committed stays in the spool for the next start. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.seal();
    this.stopping.abort();
    await this.writing;
  }

  /** CDRs accepted and not yet committed. */
  get depth(): number {
    return this.inMemory + this.onDiskOnly + this.open.length;
  }

  /** Resolves once every CDR accepted so far is committed (or set aside as refused). */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The event socket path: a `CHANNEL_HANGUP_COMPLETE` event from the node named `node` in ESL_NODES. */
  handle(event: EslEvent, node?: string): void {
    const record = cdrFromEvent(event, node ?? null);
    if (!record) throw new Error('CHANNEL_HANGUP_COMPLETE without a Unique-ID');
    this.accept(record, 'esl');
  }

  /** Journals `record` and queues it for the next batch; it is on disk when this returns. */
  accept(record: CdrRecord, source: CdrSource): void {
    const entry = { source, record };
    this.opts.spool.append(entry);
    this.open.push(entry);
    if (this.open.length >= this.batchSize) this.seal();
    this.updateDepth();
  }

  private seal(): void {
    const segment = this.opts.spool.seal();
    if (!segment) return;
    const entries = this.open;
    this.open = [];
    if (this.inMemory + entries.length <= this.memoryLimit) {
      this.queue.push({ segment, entries, recovered: false });
      this.inMemory += entries.length;
    } else {
      this.queue.push({ segment, entries: null, recovered: false });
      this.onDiskOnly += entries.length;
    }
    this.drain();
  }

  private drain(): void {
    this.writing ??= (async () => {
      while (this.queue.length > 0 && !this.stopping.signal.aborted) {
        const group = this.nextGroup();
        const first = group[0]!;
        const ok = await this.commit(group.length === 1 ? first : { ...first, entries: group.flatMap((b) => b.entries!) });
        if (!ok) break;
        for (const batch of group) {
          this.queue.shift();
          this.opts.spool.remove(batch.segment);
          if (batch.entries) this.inMemory -= batch.entries.length;
          else this.onDiskOnly -= batch.segment.count;
        }
        this.updateDepth();
      }
    })().then(
      () => this.drained(false),
      (err: unknown) => {
        // Not a write failure (those are retried inside commit): never spin on it, try again later.
        this.opts.metrics.errors.inc({ kind: 'cdr_write' });
        this.opts.onError(err, { batch: this.queue[0]?.segment.count ?? 0 });
        this.drained(true);
      },
    );
  }

  private drained(failed: boolean): void {
    this.writing = null;
    if (this.depth === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    else if (this.queue.length > 0 && !this.stopping.signal.aborted) {
      if (failed) setTimeout(() => this.drain(), this.opts.retry?.maxMs ?? 10_000).unref();
      else this.drain();
    }
  }

  /**
   * The queued batches to write next as one: the first, and, when the writer is behind, the
   * in-memory batches after it while they fit in `batchSize` and bring no Unique-ID already in the
   * group (a leg's second report must merge into the row the first wrote, not be dropped with it).
   */
  private nextGroup(): Batch[] {
    const first = this.queue[0]!;
    const group = [first];
    if (!first.entries || first.recovered) return group;
    const ids = new Set(first.entries.map((e) => e.record.uniqueId));
    let size = first.entries.length;
    for (let i = 1; i < this.queue.length; i++) {
      const next = this.queue[i]!;
      if (!next.entries || next.recovered || size + next.entries.length > this.batchSize) break;
      if (next.entries.some((e) => ids.has(e.record.uniqueId))) break;
      for (const e of next.entries) ids.add(e.record.uniqueId);
      size += next.entries.length;
      group.push(next);
    }
    return group;
  }

  /** Writes one batch, retrying until it is committed; false only when stopping. */
  private async commit(batch: Batch): Promise<boolean> {
    try {
      const entries = batch.entries ?? (await this.retried(() => this.readSegment(batch.segment), batch.segment.count));
      for (const distinct of distinctLegs(entries)) {
        for (let i = 0; i < distinct.length; i += this.batchSize) {
          const chunk = distinct.slice(i, i + this.batchSize);
          await this.retried(() => this.write(chunk, batch.recovered), chunk.length);
        }
      }
      return true;
    } catch {
      return false; // aborted by stop(): the batch stays in the spool for the next start
    }
  }

  /** Runs `step` until it succeeds, counting and reporting each failure; rejects only on stop(). */
  private retried<T>(step: () => Promise<T>, batch: number): Promise<T> {
    const { signal } = this.stopping;
    if (signal.aborted) return Promise.reject(signal.reason);
    // Whatever went wrong (even a TypeError), a CDR batch is retried: it must not be lost.
    return retryUntilStored(step, {
      minMs: this.opts.retry?.minMs ?? 100,
      maxMs: this.opts.retry?.maxMs ?? 10_000,
      signal,
      onFailure: (err, attempt) => {
        this.opts.metrics.errors.inc({ kind: 'cdr_write' });
        this.opts.onError(err, { batch, attempt });
      },
    });
  }

  /** A disk-only batch's entries; a segment that is gone (removed by hand) has none left to write. */
  private async readSegment(segment: SpoolSegment): Promise<SpoolEntry[]> {
    try {
      return CdrSpool.read<SpoolEntry>(segment.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.opts.metrics.errors.inc({ kind: 'cdr_spool' });
      this.opts.onError(err, { batch: segment.count });
      return [];
    }
  }

  private async write(chunk: SpoolEntry[], recovered: boolean): Promise<void> {
    const records = chunk.map((e) => e.record);
    let rows: WrittenRow[];
    try {
      rows = await this.opts.store.withIngest((trx) => writeCdrRowsAndEmit(trx, records));
    } catch (err) {
      if (!isDataError(err)) throw err;
      rows = await this.writeOneByOne(records);
    }
    const committedAt = Date.now();
    const sourceOf = new Map(chunk.map((e): [string, CdrConflict['source']] => [e.record.uniqueId, recovered ? 'spool' : e.source]));
    for (const row of rows) {
      const source = sourceOf.get(row.uniqueId) ?? 'spool';
      this.opts.metrics.cdrsWritten.inc({ source, result: row.result });
      if (row.conflict) {
        this.opts.metrics.cdrConflicts.inc({ source, reason: row.conflict.reason });
        this.opts.onConflict?.({ uniqueId: row.uniqueId, source, ...row.conflict });
      }
      if (row.result === 'inserted' && row.direction && row.disposition) {
        this.opts.metrics.calls.inc({ direction: row.direction, disposition: row.disposition });
        this.opts.metrics.callDuration.observe({ direction: row.direction }, row.durationSeconds ?? 0);
      }
    }
    for (const r of records) this.opts.metrics.cdrWriteLatency.observe(Math.max(0, committedAt - r.reportedAtMs) / 1000);
    this.opts.onCommitted?.(records, committedAt);
  }

  /** After a data error: each record alone; one still refused is kept aside with the reason. */
  private async writeOneByOne(records: CdrRecord[]): Promise<WrittenRow[]> {
    const rows: WrittenRow[] = [];
    for (const record of records) {
      try {
        rows.push(...(await this.opts.store.withIngest((trx) => writeCdrRowsAndEmit(trx, [record]))));
      } catch (err) {
        if (!isDataError(err)) throw err;
        this.opts.onError(err, { batch: 1, uniqueId: record.uniqueId });
        try {
          await this.opts.store.withIngest((trx) => keepRefusedCdr(trx, record, (err as Error).message));
        } catch (keepErr) {
          if (!isDataError(keepErr)) throw keepErr;
          // The database takes it in no form: it stays on disk, beside the spool, for an operator.
          this.opts.spool.refuse({ reason: (err as Error).message, record });
        }
        rows.push({ uniqueId: record.uniqueId, result: 'rejected', direction: null, disposition: null, durationSeconds: null });
      }
    }
    return rows;
  }

  private updateDepth(): void {
    this.opts.metrics.cdrQueueDepth.set(this.depth);
  }
}
