/**
 * Retry-until-stored: runs a database write again and again until it lands. The one backoff of
 * every writer that must not lose what it writes (the CDR writer, src/cdr/writer.ts; the ESL
 * state trackers' write queue, src/esl/write-queue.ts; the channel counts, src/esl/channels.ts).
 *
 * After failed attempt n (1-based) it waits minMs × 2^(n−1) × a random factor in [1, 2), at most
 * maxMs, and tries again, forever: only an error `isFinal` accepts, or a stop, ends it. Every
 * failed attempt is reported to `onFailure` first (the caller counts and logs it). Durations are
 * milliseconds.
 */

export interface RetryUntilStoredOptions {
  /** Wait after the first failure, ms; doubles with every further failure. */
  minMs: number;
  /** Longest wait between two attempts, ms. */
  maxMs: number;
  /** Called with each failed attempt's error and the attempt's number (1-based), before waiting. */
  onFailure: (err: unknown, attempt: number) => void;
  /**
   * Stops retrying: an attempt under way finishes, a wait ends at once, and once it is aborted a
   * failed attempt is the last (the promise rejects with its error). The first attempt always runs.
   */
  signal?: AbortSignal;
  /** An error no retry can cure (e.g. a bug); rejects with it at once (default: none is). */
  isFinal?: (err: unknown) => boolean;
}

/** The wait after failed attempt `attempt` (1-based), ms. */
export function backoffMs(attempt: number, { minMs, maxMs }: Pick<RetryUntilStoredOptions, 'minMs' | 'maxMs'>): number {
  return Math.min(maxMs, Math.round(minMs * 2 ** Math.min(attempt - 1, 52) * (1 + Math.random())));
}

/**
 * Resolves with `write`'s result once an attempt succeeds.
 * @param write one attempt; throws to have it retried
 * @throws the last attempt's error when `isFinal` accepts it or `signal` stopped the retries
 */
export async function retryUntilStored<T>(write: (attempt: number) => Promise<T>, opts: RetryUntilStoredOptions): Promise<T> {
  const { signal } = opts;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(attempt);
    } catch (err) {
      opts.onFailure(err, attempt);
      if (opts.isFinal?.(err) || signal?.aborted) throw err;
      await wait(backoffMs(attempt, opts), signal, err);
    }
  }
}

/** Sleeps `ms`; rejects with `err` when `signal` aborts. */
function wait(ms: number, signal: AbortSignal | undefined, err: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(err);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
