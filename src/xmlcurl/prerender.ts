/**
 * Renders directory answers of freshly cached tenants in idle time, a few hundred users per
 * event-loop turn, so that a tenant's first REGISTER after start or after a change is answered
 * from memory without delaying lookups in flight.
 */
import type { TenantSnapshot } from '../domain/tenant-snapshot.js';

export class Prerenderer {
  private queue: TenantSnapshot[] = [];
  private next = 0;
  private running = false;
  private waiters: Array<() => void> = [];

  /**
   * @param render renders one snapshot's users, returns how many; errors are passed to `onError`
   *   and the snapshot is skipped (its users are rendered at their first lookup instead)
   * @param usersPerTurn users rendered before yielding to the event loop
   */
  constructor(
    private readonly render: (s: TenantSnapshot) => number,
    private readonly onError: (err: unknown, s: TenantSnapshot) => void,
    private readonly usersPerTurn = 200,
  ) {}

  /** Tenants waiting to be rendered. */
  get pending(): number {
    return this.queue.length - this.next;
  }

  enqueue(snapshots: TenantSnapshot[]): void {
    this.queue.push(...snapshots);
    if (!this.running) {
      this.running = true;
      setImmediate(this.step);
    }
  }

  /** Resolves when the queue is empty. */
  drained(): Promise<void> {
    return this.running ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  }

  private readonly step = (): void => {
    let users = 0;
    while (this.next < this.queue.length && users < this.usersPerTurn) {
      const s = this.queue[this.next++]!;
      try {
        users += this.render(s);
      } catch (err) {
        this.onError(err, s);
      }
    }
    if (this.next < this.queue.length) {
      setImmediate(this.step);
      return;
    }
    this.queue = [];
    this.next = 0;
    this.running = false;
    for (const resolve of this.waiters.splice(0)) resolve();
  };
}
