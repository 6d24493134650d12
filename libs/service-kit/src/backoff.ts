/**
 * Exponential backoff with full jitter: attempt 0 → up to `baseMs`, doubling up to `capMs`.
 * The delay is drawn uniformly from [cap/2, cap] of the current step, so restarts spread out
 * but never collapse to zero. `random` is injectable for tests.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random,
  ) {
    if (!(baseMs > 0) || !(capMs >= baseMs)) throw new RangeError('Backoff needs 0 < baseMs <= capMs');
  }

  /** Delay before the next retry; each call advances the attempt counter. */
  next(): number {
    const step = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 52);
    return Math.round(step / 2 + (this.random() * step) / 2);
  }

  /** Call after a success (e.g. a child that ran long enough) to start again from `baseMs`. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

/** Promise-based sleep that can be cut short by an AbortSignal. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
