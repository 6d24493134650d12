import type { WorkStatements } from './statements';
import type { SqlDialect } from './storage/sql-database';

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
    return secondsUntilToken(b.tokens, this.refillS);
  }
}

/** Seconds (≥ 1, rounded up) until a bucket holding `tokens` (< 1) has a whole one. */
export function secondsUntilToken(tokens: number, refillS: number): number {
  return Math.max(1, Math.ceil((1 - tokens) * refillS));
}

/**
 * The attach limit: per account, `burst` at once, then one every `refillS` s. On PostgreSQL the buckets are rows
 * shared by every replica (one atomic UPDATE per take, `takeSharedToken`), so 3 replicas enforce one limit, not
 * three; with SQLite (one process) they stay in memory. Returns 0 when a token was taken, else seconds to wait.
 */
export function attachLimiter(dialect: SqlDialect, burst: number, refillS: number, now: () => number): (q: WorkStatements, key: string) => Promise<number> {
  if (dialect === 'sqlite') {
    const memory = new TokenBuckets(burst, refillS, now);
    return async (_q, key) => memory.take(key);
  }
  if (!(burst >= 1 && refillS > 0)) throw new RangeError('need burst >= 1 and refillS > 0');
  return async (q, key) => {
    const { taken, tokens } = await q.takeSharedToken(key, burst, refillS, now());
    return taken ? 0 : secondsUntilToken(tokens, refillS);
  };
}
