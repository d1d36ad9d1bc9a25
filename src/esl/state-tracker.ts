/**
 * The base of the ESL state trackers (registrations: src/esl/registrations.ts; gateway state:
 * src/esl/gateways.ts), which keep database rows in step with what FreeSWITCH reports.
 *
 * `handle()` turns an event into items pushed to a WriteQueue, so it never awaits; the queue
 * writes them (`write`, in an ingest transaction) serially, batched, coalesced by key (`merge`)
 * and retried until they land. Each time a node's link comes up (`connected()`), `reconcile`
 * reads what that node holds in the background, for what changed while the link was down. A
 * failed write (each attempt) or reconcile is counted
 * (`switchplane_errors_total{kind=<failureKind>}`) and reported (`onError`); the items of a batch
 * that name nothing in the database are counted as `kind=<unknownKind>`.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Store } from '../db/store.js';
import type { Metrics } from '../metrics.js';
import type { EslConnection, EslEvent } from './connection.js';
import type { EventHandler } from './controller.js';
import { WriteQueue } from './write-queue.js';

export interface StateTrackerDeps {
  store: Pick<Store, 'withIngest'>;
  metrics: Metrics;
  /** A failed write (retried until it lands) or reconcile (tried again on the next connect). */
  onError: (err: unknown, context: { step: 'write' | 'reconcile'; node?: string }) => void;
  /** Backoff between write attempts, milliseconds (default 200 ms to 30 s). */
  retry?: { minTimeoutMs: number; maxTimeoutMs: number };
  /** Milliseconds a write batch gathers items (WriteQueueOptions `gatherMs`; default: the tracker's own). */
  gatherMs?: number;
}

export interface StateTrackerOptions<T> {
  /** The `kind` a failed write or reconcile is counted as. */
  failureKind: string;
  /** The `kind` an item naming nothing in the database is counted as. */
  unknownKind: string;
  /** Folds a newer item into the waiting one of the same key (WriteQueueOptions `merge`). */
  merge: (waiting: T, newer: T) => T;
  /** Milliseconds a write batch gathers items, unless the deps say otherwise (default 0). */
  gatherMs?: number;
}

export abstract class StateTracker<T> implements EventHandler {
  abstract readonly events: readonly string[];
  protected readonly queue: WriteQueue<T>;
  private readonly failureKind: string;
  private readonly reconciling = new Set<Promise<void>>();
  /** Set by close(): a reconcile under way pushes and reports nothing more. */
  protected closed = false;

  protected constructor(
    protected readonly deps: StateTrackerDeps,
    { failureKind, unknownKind, merge, gatherMs }: StateTrackerOptions<T>,
  ) {
    this.failureKind = failureKind;
    this.queue = new WriteQueue<T>({
      write: async (batch) => {
        const unknown = await deps.store.withIngest((trx) => this.write(trx, batch));
        if (unknown > 0) deps.metrics.errors.inc({ kind: unknownKind }, unknown);
      },
      merge,
      gatherMs: deps.gatherMs ?? gatherMs ?? 0,
      onFailure: (err) => this.fail(err, { step: 'write' }),
      ...(deps.retry ? { retry: deps.retry } : {}),
    });
  }

  abstract handle(event: EslEvent, node: string): void;

  connected(node: string, conn: EslConnection): void {
    const run: Promise<void> = this.tryReconcile(node, conn).finally(() => this.reconciling.delete(run));
    this.reconciling.add(run);
  }

  /** Resolves once every reconcile under way and every write queued so far are done. */
  async idle(): Promise<void> {
    do {
      await Promise.all([...this.reconciling]);
      await this.queue.idle();
    } while (this.reconciling.size > 0);
  }

  /** Stops retrying and reconciling; resolves once queued writes were tried. Close the ESL nodes first. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.close();
  }

  /** Reads what `node` holds and queues it; throws to have the failure counted and reported. */
  protected abstract reconcile(node: string, conn: EslConnection): Promise<void>;

  /** Writes a batch in one transaction; returns how many of its items name nothing in the database. */
  protected abstract write(trx: Kysely<Database>, batch: T[]): Promise<number>;

  private async tryReconcile(node: string, conn: EslConnection): Promise<void> {
    try {
      await this.reconcile(node, conn);
    } catch (err) {
      if (!this.closed) this.fail(err, { step: 'reconcile', node });
    }
  }

  private fail(err: unknown, context: { step: 'write' | 'reconcile'; node?: string }): void {
    this.deps.metrics.errors.inc({ kind: this.failureKind });
    this.deps.onError(err, context);
  }
}
