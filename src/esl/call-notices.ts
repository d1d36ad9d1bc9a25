/**
 * Tells the other instances on the same PostgreSQL that a customer's live calls changed here, so
 * their live views (GET /api/v1/live, src/api/live-hub.ts) send a fresh `calls` snapshot: a call's
 * state lives only in the memory of the instance holding its node (src/esl/call-control.ts).
 *
 * The notice is `NOTIFY switchplane_state '{"table": "calls", "tenant_id": <uuid | null>}'`
 * (STATE_CHANNEL, beside the registration and gateway notices of sql/015_state_notify.sql); a null
 * tenant means any customer's calls may have changed (a node's calls were reconciled). Notices are
 * throttled per tenant: the first change is told at once, and the changes of the next `intervalMs`
 * (default 250 ms, the live view's own coalescing) are told together once that time is over, so a
 * burst of call events is at most one notice per tenant per `intervalMs`. This instance hears its
 * own notices too; its live view marks the change it already had from CallControl again, which
 * at most sends one more snapshot of the same calls. Only worth sending on PostgreSQL: the
 * embedded database serves one instance.
 */
import { sql } from 'kysely';
import { STATE_CHANNEL, type Store } from '../db/store.js';

/** Default milliseconds between two notices of one tenant. */
export const CALL_NOTICE_INTERVAL_MS = 250;

/**
 * Sends one `calls` state notice for `tenantId` (null: every tenant), in a transaction of the
 * ingest role (pg_notify is delivered on commit). @throws the database's error
 */
export async function notifyCalls(store: Store, tenantId: string | null): Promise<void> {
  await store.withIngest((trx) => sql`select pg_notify(${STATE_CHANNEL}, json_build_object('table', 'calls', 'tenant_id', ${tenantId}::text)::text)`.execute(trx));
}

export interface CallNoticesDeps {
  /** What emits `changed` with a tenant id or null: the CallControl. */
  calls: {
    on(event: 'changed', listener: (tenantId: string | null) => void): unknown;
    off(event: 'changed', listener: (tenantId: string | null) => void): unknown;
  };
  /** Sends the notice (notifyCalls on the store). */
  notify: (tenantId: string | null) => Promise<void>;
  /** A notice that could not be sent (the live views elsewhere catch up on the next one). */
  onError: (err: unknown, context: { tenantId: string | null }) => void;
  intervalMs?: number;
}

export class CallNotices {
  /** Tenants told within the last interval, and whether they changed again since. */
  private readonly recent = new Map<string | null, { again: boolean; timer: NodeJS.Timeout }>();
  private readonly onChanged = (tenantId: string | null) => this.changed(tenantId);

  constructor(private readonly deps: CallNoticesDeps) {
    deps.calls.on('changed', this.onChanged);
  }

  /** Stops listening; changes not yet told are dropped. */
  close(): void {
    this.deps.calls.off('changed', this.onChanged);
    for (const r of this.recent.values()) clearTimeout(r.timer);
    this.recent.clear();
  }

  private changed(tenantId: string | null): void {
    const recent = this.recent.get(tenantId);
    if (recent) {
      recent.again = true;
      return;
    }
    this.deps.notify(tenantId).catch((err: unknown) => this.deps.onError(err, { tenantId }));
    const entry = {
      again: false,
      timer: setTimeout(() => {
        this.recent.delete(tenantId);
        if (entry.again) this.changed(tenantId);
      }, this.deps.intervalMs ?? CALL_NOTICE_INTERVAL_MS),
    };
    this.recent.set(tenantId, entry);
  }
}
