import { createHash } from 'node:crypto';
import {
  DEFAULT_SEGMENT_BYTES,
  WheelSieve,
  countPrimesUnchecked,
  wheelPrimesIn,
  type SumAccumulator,
} from './wheel';

/**
 * Segmented sieve of Eratosthenes over [lo, hi) (kernel: mod-30 wheel bit sieve in ./wheel.ts) and the task
 * result built from it.
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

const MASK64 = (1n << 64n) - 1n;
/** LE64 pairs needed for the primes of one chunk: at most 8 wheel bits per 30 numbers (+2 bytes of slack) + 2, 3, 5 */
const MAX_PRIMES_PER_CHUNK = 8 * (Math.floor(CHUNK_SPAN / 30) + 2) + 3;

/**
 * Iterates the sieve chunk by chunk, starting from a checkpoint. Each `step()` finishes one chunk and
 * returns the new checkpoint; the caller decides when to persist it (the client's worker does so at
 * segment boundaries).
 *
 * The kernel (./wheel.ts) sieves its own cache-sized segments; a chunk is enumerated from one or more of
 * them, and a segment may serve several chunks. Chunks stay the unit of the hash chain and of checkpoints.
 */
export class SegmentedSieve {
  private readonly sieve: WheelSieve;
  /** LE64 encoding of the current chunk's primes, as uint32 pairs */
  private readonly out = new Int32Array(2 * MAX_PRIMES_PER_CHUNK);
  private readonly sum: SumAccumulator;
  private state: SieveCheckpoint;
  private hash: Buffer;

  constructor(from: SieveCheckpoint, segmentBytes = DEFAULT_SEGMENT_BYTES) {
    validateRange(from.lo, from.hi);
    this.state = { ...from };
    this.sum = { big: BigInt(from.sum) };
    this.hash = Buffer.from(from.sha256, 'hex');
    if (this.hash.length !== 32) throw new RangeError('checkpoint sha256 must be 64 hex digits');
    this.sieve = new WheelSieve(from.lo + from.chunksDone * CHUNK_SPAN, from.hi, segmentBytes);
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
    const out = this.out;
    const sum = this.sum;
    let n = 0;
    for (const p of wheelPrimesIn(a, b)) {
      out[2 * n] = p;
      out[2 * n + 1] = 0;
      sum.big += BigInt(p);
      n++;
    }
    const sv = this.sieve;
    for (let x = a; x < b;) {
      if (x >= sv.segHi) sv.next();
      const y = Math.min(b, sv.segHi);
      n = sv.enumerate(x, y, out, n, sum);
      x = y;
    }
    sum.big &= MASK64;
    this.hash = createHash('sha256')
      .update(this.hash)
      .update(new Uint8Array(out.buffer, 0, 8 * n))
      .digest();
    this.state = {
      lo,
      hi,
      chunksDone: this.state.chunksDone + 1,
      count: this.state.count + n,
      sum: sum.big.toString(),
      sha256: this.hash.toString('hex'),
    };
    return this.checkpoint;
  }

  result(): SieveResult {
    if (!this.done) throw new Error('sieve not finished');
    return { count: this.state.count, sum: this.state.sum, sha256: this.state.sha256 };
  }
}

/**
 * Count the primes in [lo, hi) only: the bare sieve (no enumeration, sum or hash), i.e. the work
 * `primesieve --count` does. Not the task result; used by the benchmark and tests.
 */
export function countPrimes(lo: number, hi: number, segmentBytes = DEFAULT_SEGMENT_BYTES): number {
  validateRange(lo, hi);
  return countPrimesUnchecked(lo, hi, segmentBytes);
}

/** Run the whole range (optionally from a checkpoint) and return the result. */
export function sieveRange(lo: number, hi: number, from?: SieveCheckpoint): SieveResult {
  const s = new SegmentedSieve(from ?? initialCheckpoint(lo, hi));
  while (!s.done) s.step();
  return s.result();
}
