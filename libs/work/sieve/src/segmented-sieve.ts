import { createHash } from 'node:crypto';

/**
 * Segmented sieve of Eratosthenes over [lo, hi), odd numbers only, one byte per odd number.
 *
 * The result is integers only, so it is bit-identical on every host:
 *   - count: how many primes p with lo <= p < hi
 *   - sum:   (sum of those primes) mod 2^64, as a decimal string
 *   - sha256: a hash CHAIN over the primes in ascending order (see docs/protocol.md, "Sieve result encoding"):
 *       h_0 = 32 zero bytes
 *       h_i = sha256(h_{i-1} || LE64(p_1) || LE64(p_2) || ...)   for the primes of chunk i
 *     where chunk i is [lo + i*CHUNK_SPAN, min(lo + (i+1)*CHUNK_SPAN, hi)) and LE64 is the 8-byte
 *     little-endian unsigned encoding. The result is hex(h_last) (h_0 for an empty range).
 *     The chain (rather than one sha256 over everything) lets a computation stop and resume at any chunk
 *     boundary: the checkpoint holds only h_i, count, sum and the next chunk index.
 *
 * Numbers are JS doubles; every value stays below MAX_HI (2^40) so all arithmetic is exact.
 */
export const CHUNK_SPAN = 1 << 20;
export const MAX_HI = 2 ** 40;

export interface SieveResult {
  count: number;
  /** sum of the primes mod 2^64, decimal */
  sum: string;
  /** hex sha256 chain value (docs/protocol.md) */
  sha256: string;
}

/** State after a whole number of chunks: enough to resume. */
export interface SieveCheckpoint {
  lo: number;
  hi: number;
  /** chunks finished so far */
  chunksDone: number;
  count: number;
  sum: string;
  sha256: string;
}

export function chunkCount(lo: number, hi: number): number {
  return hi > lo ? Math.ceil((hi - lo) / CHUNK_SPAN) : 0;
}

export function validateRange(lo: number, hi: number): void {
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || hi < lo || hi > MAX_HI) {
    throw new RangeError(`sieve range must be integers with 0 <= lo <= hi <= 2^40, got [${lo}, ${hi})`);
  }
}

/** Odd primes p with p*p < limit, via a plain sieve (limit <= 2^40 → at most ~2^20 candidates). */
export function basePrimes(limit: number): Uint32Array {
  const n = Math.ceil(Math.sqrt(limit)) + 1;
  const composite = new Uint8Array(n + 1);
  const out: number[] = [];
  for (let i = 3; i <= n; i += 2) {
    if (composite[i]) continue;
    if (i * i < limit) out.push(i);
    for (let j = i * i; j <= n; j += 2 * i) composite[j] = 1;
  }
  return Uint32Array.from(out);
}

export function initialCheckpoint(lo: number, hi: number): SieveCheckpoint {
  validateRange(lo, hi);
  return { lo, hi, chunksDone: 0, count: 0, sum: '0', sha256: '0'.repeat(64) };
}

const TWO32 = 2 ** 32;
/** odd entries per cache block inside a chunk (32 KiB of flags) */
const BLOCK = 1 << 15;
const PRESIEVE_PRIMES = [3, 5, 7, 11, 13];
const PATTERN_LEN = 3 * 5 * 7 * 11 * 13;
/** PATTERN[k] = 1 when 1 + 2k is a multiple of one of PRESIEVE_PRIMES */
const PATTERN = (() => {
  const pat = new Uint8Array(PATTERN_LEN);
  for (let k = 0; k < PATTERN_LEN; k++) for (const p of PRESIEVE_PRIMES) if ((1 + 2 * k) % p === 0) pat[k] = 1;
  return pat;
})();
const FLUSH_AT = 2 ** 52;
const MASK64 = (1n << 64n) - 1n;

/**
 * Iterates the sieve chunk by chunk, starting from a checkpoint. Each `step()` finishes one chunk and
 * returns the new checkpoint; the caller decides when to persist it (the client's worker does so at
 * segment boundaries).
 */
export class SegmentedSieve {
  private readonly primes: Uint32Array;
  /** next odd multiple of primes[k] still to cross off (absolute value) */
  private readonly next: Float64Array;
  private readonly firstUnpresieved: number;
  private readonly flags = new Uint8Array(CHUNK_SPAN / 2 + 1);
  private readonly out = new DataView(new ArrayBuffer(8 * (CHUNK_SPAN / 2 + 2)));
  private state: SieveCheckpoint;
  private sumBig: bigint;
  private hash: Buffer;

  constructor(from: SieveCheckpoint) {
    validateRange(from.lo, from.hi);
    this.state = { ...from };
    this.sumBig = BigInt(from.sum);
    this.hash = Buffer.from(from.sha256, 'hex');
    if (this.hash.length !== 32) throw new RangeError('checkpoint sha256 must be 64 hex digits');
    this.primes = basePrimes(from.hi);
    this.next = new Float64Array(this.primes.length);
    this.firstUnpresieved = 0;
    while (this.firstUnpresieved < this.primes.length && this.primes[this.firstUnpresieved] <= 13) this.firstUnpresieved++;
    const start = from.lo + from.chunksDone * CHUNK_SPAN;
    for (let k = 0; k < this.primes.length; k++) {
      const p = this.primes[k];
      let m = Math.max(p * p, Math.ceil(start / p) * p);
      if (m % 2 === 0) m += p;
      this.next[k] = m;
    }
  }

  get done(): boolean {
    return this.state.chunksDone >= chunkCount(this.state.lo, this.state.hi);
  }

  get checkpoint(): SieveCheckpoint {
    return { ...this.state };
  }

  get totalChunks(): number {
    return chunkCount(this.state.lo, this.state.hi);
  }

  /** Sieve one chunk; returns the checkpoint after it. */
  step(): SieveCheckpoint {
    if (this.done) return this.checkpoint;
    const { lo, hi } = this.state;
    const a = lo + this.state.chunksDone * CHUNK_SPAN;
    const b = Math.min(a + CHUNK_SPAN, hi);
    const o0 = a % 2 === 0 ? a + 1 : a; // first odd >= a
    const nOdd = b > o0 ? Math.floor((b - o0 - 1) / 2) + 1 : 0;
    const flags = this.flags;
    // pre-sieve 3, 5, 7, 11, 13 by copying a periodic pattern (index j ↔ n = o0 + 2j; period 15015 in j)
    let off = ((o0 - 1) / 2) % PATTERN_LEN;
    for (let pos = 0; pos < nOdd; ) {
      const n = Math.min(PATTERN_LEN - off, nOdd - pos);
      flags.set(PATTERN.subarray(off, off + n), pos);
      pos += n;
      off = 0;
    }
    for (const p of PRESIEVE_PRIMES) if (p >= o0 && p < b) flags[(p - o0) / 2] = 0; // the primes themselves
    const primes = this.primes;
    const next = this.next;
    const first = this.firstUnpresieved;
    // cross off the other base primes block by block so the working set stays in cache
    for (let bs = 0; bs < nOdd; bs += BLOCK) {
      const be = Math.min(bs + BLOCK, nOdd);
      const blockEnd = o0 + 2 * be;
      for (let k = first; k < primes.length; k++) {
        const m = next[k];
        if (m >= blockEnd) continue;
        const p = primes[k];
        let j = (m - o0) / 2;
        for (; j < be; j += p) flags[j] = 1;
        next[k] = o0 + 2 * j;
      }
    }
    if (o0 === 1 && nOdd > 0) flags[0] = 1; // 1 is not prime

    const out = this.out;
    let count = 0;
    let partial = 0;
    let bytes = 0;
    let sum = this.sumBig;
    if (a <= 2 && 2 < b) {
      count++;
      partial += 2;
      out.setUint32(0, 2, true);
      out.setUint32(4, 0, true);
      bytes = 8;
    }
    for (let j = 0; j < nOdd; j++) {
      if (flags[j] === 0) {
        const n = o0 + 2 * j;
        count++;
        partial += n;
        const high = Math.floor(n / TWO32);
        out.setUint32(bytes, n - high * TWO32, true);
        out.setUint32(bytes + 4, high, true);
        bytes += 8;
        if (partial >= FLUSH_AT) {
          sum += BigInt(partial);
          partial = 0;
        }
      }
    }
    sum = (sum + BigInt(partial)) & MASK64;
    this.sumBig = sum;
    this.hash = createHash('sha256')
      .update(this.hash)
      .update(new Uint8Array(out.buffer, 0, bytes))
      .digest();
    this.state = {
      lo,
      hi,
      chunksDone: this.state.chunksDone + 1,
      count: this.state.count + count,
      sum: sum.toString(),
      sha256: this.hash.toString('hex'),
    };
    return this.checkpoint;
  }

  result(): SieveResult {
    if (!this.done) throw new Error('sieve not finished');
    return { count: this.state.count, sum: this.state.sum, sha256: this.state.sha256 };
  }
}

/** Run the whole range (optionally from a checkpoint) and return the result. */
export function sieveRange(lo: number, hi: number, from?: SieveCheckpoint): SieveResult {
  const s = new SegmentedSieve(from ?? initialCheckpoint(lo, hi));
  while (!s.done) s.step();
  return s.result();
}
