/**
 * Where the live view's change signals meet (GET /api/v1/live, src/api/live.ts): which of a
 * customer's three live sets may have changed, coalesced per customer.
 * - `registrations` and `gateways`: the state notices the database sends when the ESL trackers
 *   write a phone's registration or a gateway's state (STATE_CHANNEL, sql/015_state_notify.sql),
 *   and the configuration notices of extensions and trunks being added, changed or removed
 *   (CHANGE_CHANNEL, sql/003); both work on PostgreSQL and PGlite (store.onChange);
 * - `calls`: CallControl's `changed` event (src/esl/call-control.ts), in process, and on
 *   PostgreSQL the `calls` state notices the other instances send when theirs changed
 *   (src/esl/call-notices.ts): a call is held by the instance whose event socket sees it.
 * A notice without a tenant, or a lost and re-established notice channel, marks every set of
 * every customer being watched. Changes to one customer within `coalesceMs` (default 250 ms) of
 * its first are told once, together; a customer is told at most once per `coalesceMs`.
 * Listening starts with the first subscriber; `close()` stops it and tells every subscriber to end.
 */
import { STATE_CHANNEL, type Change, type Store } from '../db/store.js';
import type { CallControl } from '../esl/call-control.js';

export const LIVE_KINDS = ['calls', 'registrations', 'gateways'] as const;
export type LiveKind = (typeof LIVE_KINDS)[number];

/** Which live sets a change notice of `table` touches. */
const KINDS_OF_TABLE: Record<string, readonly LiveKind[]> = {
  extensions: ['registrations'],
  trunks: ['gateways'],
  calls: ['calls'],
  tenants: LIVE_KINDS,
  '*': LIVE_KINDS,
};

export interface LiveSubscriber {
  /** Some of the customer's live sets may have changed. */
  changed(kinds: ReadonlySet<LiveKind>): void;
  /** The hub closes (the app shuts down): end the stream. */
  closed(): void;
}

export class LiveHub {
  private readonly subscribers = new Map<string, Set<LiveSubscriber>>();
  private readonly pending = new Map<string, Set<LiveKind>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private starting: Promise<Array<() => Promise<void>>> | null = null;
  private closed = false;

  constructor(private readonly deps: { store: Store; calls?: CallControl; coalesceMs?: number }) {}

  /**
   * Tells `subscriber` of the changes to `tenantId` from now on (listening starts with the first).
   * @returns a function that unsubscribes
   */
  async subscribe(tenantId: string, subscriber: LiveSubscriber): Promise<() => void> {
    this.starting ??= this.listen();
    await this.starting;
    if (this.closed) {
      subscriber.closed();
      return () => undefined;
    }
    let set = this.subscribers.get(tenantId);
    if (!set) this.subscribers.set(tenantId, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(tenantId) === set) this.subscribers.delete(tenantId);
    };
  }

  /** Marks `kinds` of `tenantId` (null: every customer watched) as changed. */
  changed(tenantId: string | null, kinds: readonly LiveKind[]): void {
    if (kinds.length === 0) return;
    for (const id of tenantId === null ? [...this.subscribers.keys()] : [tenantId]) {
      if (!this.subscribers.has(id)) continue;
      let set = this.pending.get(id);
      if (!set) this.pending.set(id, (set = new Set()));
      for (const k of kinds) set.add(k);
      if (!this.timers.has(id)) this.timers.set(id, setTimeout(() => this.flush(id), this.deps.coalesceMs ?? 250));
    }
  }

  /** Stops listening and tells every subscriber to end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const subscribers = [...this.subscribers.values()].flatMap((s) => [...s]);
    this.subscribers.clear();
    for (const s of subscribers) s.closed();
    const stops = await this.starting;
    await Promise.all((stops ?? []).map((stop) => stop()));
  }

  private flush(tenantId: string): void {
    this.timers.delete(tenantId);
    const kinds = this.pending.get(tenantId);
    this.pending.delete(tenantId);
    if (!kinds) return;
    for (const s of this.subscribers.get(tenantId) ?? []) s.changed(kinds);
  }

  private async listen(): Promise<Array<() => Promise<void>>> {
    const { store, calls } = this.deps;
    const notice = (c: Change) => this.changed(c.table === '*' ? null : c.tenantId, KINDS_OF_TABLE[c.table] ?? []);
    const stops = [await store.onChange(notice), await store.onChange(notice, STATE_CHANNEL)];
    if (calls) {
      const onCalls = (tenantId: string | null) => this.changed(tenantId, ['calls']);
      calls.on('changed', onCalls);
      stops.push(async () => void calls.off('changed', onCalls));
    }
    return stops;
  }
}
