import { createHash } from 'node:crypto';
import { CHUNK_SPAN, SegmentedSieve, initialCheckpoint, sieveRange, validateRange } from './segmented-sieve';

/** Independent reference: trial division + the documented chain encoding. */
function reference(lo: number, hi: number) {
  const isPrime = (n: number) => {
    if (n < 2) return false;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
    return true;
  };
  let h = Buffer.alloc(32);
  let count = 0;
  let sum = 0n;
  for (let c = lo; c < hi; c += CHUNK_SPAN) {
    const hash = createHash('sha256').update(h);
    for (let n = c; n < Math.min(c + CHUNK_SPAN, hi); n++) {
      if (!isPrime(n)) continue;
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      hash.update(b);
      count++;
      sum += BigInt(n);
    }
    h = hash.digest();
  }
  return { count, sum: (sum % 2n ** 64n).toString(), sha256: h.toString('hex') };
}

describe('segmented sieve', () => {
  it.each([
    [0, 0],
    [0, 1],
    [0, 2],
    [0, 3],
    [2, 3],
    [0, 100],
    [1, 2],
    [3, 4],
    [4, 5],
    [24, 30],
    [999_900, 1_000_100],
    [1_048_570, 1_048_590], // across a chunk boundary of lo=0
  ])('matches brute force on [%d, %d)', (lo, hi) => {
    expect(sieveRange(lo, hi)).toEqual(reference(lo, hi));
  });

  it('matches brute force over several chunks with an odd start', () => {
    const lo = 3 * CHUNK_SPAN - 12_345;
    const hi = lo + 2 * CHUNK_SPAN + 777;
    expect(sieveRange(lo, hi)).toEqual(reference(lo, hi));
  });

  it('counts pi(10^6) and pi(10^7)', () => {
    expect(sieveRange(0, 1e6).count).toBe(78_498);
    expect(sieveRange(0, 1e7).count).toBe(664_579);
  });

  it('adds up split ranges: pi(10^8) from four pieces', () => {
    let total = 0;
    for (let i = 0; i < 4; i++) total += sieveRange(i * 25e6, (i + 1) * 25e6).count;
    expect(total).toBe(5_761_455);
  });

  it('sum of primes below 2*10^6 (Project Euler 10) is exact', () => {
    expect(sieveRange(0, 2e6).sum).toBe('142913828922');
  });

  it('stays exact near the top of the allowed range (2^40)', () => {
    const lo = 2 ** 40 - 2000;
    const r = sieveRange(lo, 2 ** 40);
    expect(r).toEqual(reference(lo, 2 ** 40));
  });

  it('resumes from any chunk boundary to the same result', () => {
    const lo = 10_000_001;
    const hi = lo + 5 * CHUNK_SPAN + 3;
    const whole = sieveRange(lo, hi);
    const s = new SegmentedSieve(initialCheckpoint(lo, hi));
    s.step();
    s.step();
    const cp = JSON.parse(JSON.stringify(s.checkpoint));
    expect(cp.chunksDone).toBe(2);
    expect(sieveRange(lo, hi, cp)).toEqual(whole);
  });

  it('refuses ranges it cannot compute exactly', () => {
    expect(() => validateRange(5, 4)).toThrow(RangeError);
    expect(() => validateRange(0, 2 ** 40 + 1)).toThrow(RangeError);
    expect(() => validateRange(0.5, 4)).toThrow(RangeError);
  });
});
