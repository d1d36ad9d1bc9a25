/**
 * The one timer behind every playout of the process (src/media/playout.ts): tasks run at their
 * due times, milliseconds on `Timers.now()`'s scale (performance.now()).
 */

/** Where a `FrameClock` reads the time and sets its timer. */
export interface Timers {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Runs tasks at their due times off one timer: a min-heap of due times, the timer armed for the
 * earliest (rounded up to whole milliseconds, as Node's timers fire up to a millisecond early).
 * When it fires, every task due by then runs, in due order; a task is never run early.
 * A task that throws propagates from the timer callback, after the timer has been re-armed.
 */
export class FrameClock {
  /** Each scheduled task's due time; heap entries that disagree are stale and skipped. */
  private readonly dueAt = new Map<() => void, number>();
  private readonly heapAt: number[] = [];
  private readonly heapTask: (() => void)[] = [];
  private timer: unknown = null;
  private armedAt = Infinity;
  private firing = false;

  constructor(private readonly timers: Timers = REAL_TIMERS) {}

  now(): number {
    return this.timers.now();
  }

  /** Runs `task` once at `at` (ms), instead of when it was scheduled for before. */
  schedule(task: () => void, at: number): void {
    if (this.dueAt.get(task) === at) return;
    this.dueAt.set(task, at);
    this.push(at, task);
    if (!this.firing) this.arm();
  }

  /** Unschedules `task`. */
  cancel(task: () => void): void {
    this.dueAt.delete(task);
  }

  private readonly fire = (): void => {
    this.timer = null;
    this.armedAt = Infinity;
    this.firing = true;
    try {
      while (this.heapAt.length > 0) {
        const at = this.heapAt[0]!;
        const task = this.heapTask[0]!;
        if (this.dueAt.get(task) !== at) this.pop();
        else if (at > this.timers.now()) break;
        else {
          this.pop();
          this.dueAt.delete(task);
          task();
        }
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  };

  private arm(): void {
    while (this.heapAt.length > 0 && this.dueAt.get(this.heapTask[0]!) !== this.heapAt[0]) this.pop();
    const at = this.heapAt[0];
    if (at === undefined || (this.timer !== null && this.armedAt <= at)) return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = this.timers.setTimeout(this.fire, Math.max(0, Math.ceil(at - this.timers.now())));
  }

  private push(at: number, task: () => void): void {
    let i = this.heapAt.length;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.heapAt[parent]! <= at) break;
      this.heapAt[i] = this.heapAt[parent]!;
      this.heapTask[i] = this.heapTask[parent]!;
      i = parent;
    }
    this.heapAt[i] = at;
    this.heapTask[i] = task;
  }

  private pop(): void {
    const at = this.heapAt.pop()!;
    const task = this.heapTask.pop()!;
    const n = this.heapAt.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.heapAt[child + 1]! < this.heapAt[child]!) child++;
      if (this.heapAt[child]! >= at) break;
      this.heapAt[i] = this.heapAt[child]!;
      this.heapTask[i] = this.heapTask[child]!;
      i = child;
    }
    this.heapAt[i] = at;
    this.heapTask[i] = task;
  }
}
