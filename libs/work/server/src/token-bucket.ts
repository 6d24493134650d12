/**
 * Token buckets keyed by a string (here: one per account for attaches). A bucket holds up to `burst` tokens and
 * gains one every `refillS` seconds; `take` spends one or says how many seconds until the next is available.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly burst: number,
    readonly refillS: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(burst >= 1 && refillS > 0)) throw new RangeError('need burst >= 1 and refillS > 0');
  }

  /** 0 when a token was taken, else the seconds (≥ 1, rounded up) until one is available. */
  take(key: string): number {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + Math.max(0, now - b.at) / (this.refillS * 1000));
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) * this.refillS));
  }
}
