import { createHash } from 'node:crypto';
import {
  CHUNK_SPAN,
  SegmentedSieve,
  countPrimes,
  initialCheckpoint,
  sieveRange,
  validateRange,
  type SieveCheckpoint,
} from './segmented-sieve';

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

/** primes up to 2^20 + 1 by a plain byte-per-number sieve of Eratosthenes */
const SMALL_PRIMES = (() => {
  const n = 2 ** 20 + 1;
  const composite = new Uint8Array(n + 1);
  const out: number[] = [];
  for (let i = 2; i <= n; i++) {
    if (composite[i]) continue;
    out.push(i);
    for (let j = i * i; j <= n; j += i) composite[j] = 1;
  }
  return out;
})();

/** Independent reference for arbitrary ranges: a plain (byte per number, no wheel) sieve of [lo, hi). */
function referencePrimes(lo: number, hi: number): number[] {
  const composite = new Uint8Array(Math.max(0, hi - lo));
  for (const d of SMALL_PRIMES) {
    if (d * d >= hi) break;
    for (let m = Math.max(d * d, Math.ceil(lo / d) * d); m < hi; m += d) composite[m - lo] = 1;
  }
  const out: number[] = [];
  for (let n = Math.max(lo, 2); n < hi; n++) if (!composite[n - lo]) out.push(n);
  return out;
}

/** the documented result encoding over a list of primes, starting from a checkpoint's sum */
function encode(lo: number, hi: number, primes: number[], sum0 = 0n) {
  let h = Buffer.alloc(32);
  let i = 0;
  for (let c = lo; c < hi; c += CHUNK_SPAN) {
    const hash = createHash('sha256').update(h);
    const end = Math.min(c + CHUNK_SPAN, hi);
    const b = Buffer.alloc(8);
    for (; i < primes.length && primes[i] < end; i++) {
      b.writeBigUInt64LE(BigInt(primes[i]));
      hash.update(b);
    }
    h = hash.digest();
  }
  const sum = primes.reduce((a, p) => a + BigInt(p), sum0) % 2n ** 64n;
  return { count: primes.length, sum: sum.toString(), sha256: h.toString('hex') };
}

function run(lo: number, hi: number, segmentBytes?: number, from?: SieveCheckpoint) {
  const s = new SegmentedSieve(from ?? initialCheckpoint(lo, hi), segmentBytes);
  while (!s.done) s.step();
  return s.result();
}

/** deterministic PRNG (mulberry32) so a failure reproduces */
function rng(seed: number) {
  return (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  };
}

// Note: jest runs modules in a vm context, where V8 runs this typed-array code several times slower than in a
// plain node process (the worker and the benchmark); the ranges here are sized for that.
describe('mod-30 wheel kernel against a reference sieve', () => {
  // tiny segments (8 bytes = 240 numbers) put many segment boundaries inside every range and make every
  // sieving prime take the single-step path; the default (256 KiB) takes the unrolled one
  const SEGMENTS = [8, 16, 24, 64, 1024, undefined];

  it('every small range starting at 0…7 and ending at 0…100', () => {
    for (const lo of [0, 1, 2, 3, 4, 5, 6, 7]) {
      for (let hi = lo; hi <= 100; hi++) {
        const want = encode(lo, hi, referencePrimes(lo, hi));
        expect([lo, hi, run(lo, hi, 8)]).toEqual([lo, hi, want]);
        expect([lo, hi, countPrimes(lo, hi)]).toEqual([lo, hi, want.count]);
      }
    }
  });

  it('ranges inside one wheel byte (30k … 30k + 30), including the pre-sieved primes themselves', () => {
    for (const k of [0, 1, 2, 3, 33, 1_000_003]) {
      for (let a = 30 * k; a < 30 * k + 30; a += 1) {
        for (const len of [0, 1, 2, 5, 6, 12, 29 - (a % 30)]) {
          const want = encode(a, a + len, referencePrimes(a, a + len));
          expect([a, len, run(a, a + len), countPrimes(a, a + len)]).toEqual([a, len, want, want.count]);
        }
      }
    }
  });

  it('400 random ranges below 10^5 with random segment sizes', () => {
    const r = rng(4);
    for (let t = 0; t < 400; t++) {
      const lo = r(100_000);
      const hi = lo + r(3_000);
      const seg = SEGMENTS[r(SEGMENTS.length)];
      const want = encode(lo, hi, referencePrimes(lo, hi));
      expect([lo, hi, seg, run(lo, hi, seg), countPrimes(lo, hi, seg)]).toEqual([
        lo,
        hi,
        seg,
        want,
        want.count,
      ]);
    }
  });

  it('ranges crossing chunk and segment boundaries', () => {
    const r = rng(40);
    for (let t = 0; t < 6; t++) {
      const lo = r(5e6);
      const hi = lo + CHUNK_SPAN + r(2 * CHUNK_SPAN);
      const seg = [8, 64, 4096, 32768, undefined][t % 5];
      const want = encode(lo, hi, referencePrimes(lo, hi));
      expect([lo, hi, seg, run(lo, hi, seg), countPrimes(lo, hi, seg)]).toEqual([
        lo,
        hi,
        seg,
        want,
        want.count,
      ]);
    }
  });

  it('ranges straddling multiples of 2^32 (where an LE64 low word wraps)', () => {
    for (const k of [1, 2, 255]) {
      for (const d of [0, 1, 61, 119, 120]) {
        const lo = k * 2 ** 32 - d - 700;
        const hi = k * 2 ** 32 + 700 - d;
        const want = encode(lo, hi, referencePrimes(lo, hi));
        expect([lo, run(lo, hi, 16), run(lo, hi), countPrimes(lo, hi)]).toEqual([lo, want, want, want.count]);
      }
    }
  });

  it('random ranges sampled just below 2^40 and the very top', () => {
    const r = rng(2 ** 20);
    const ranges: [number, number][] = [[2 ** 40 - 3000, 2 ** 40]];
    for (let t = 0; t < 5; t++) {
      const lo = 2 ** 40 - 1 - r(1e9);
      ranges.push([lo, Math.min(2 ** 40, lo + r(20_000))]);
    }
    for (const [lo, hi] of ranges) {
      const want = encode(lo, hi, referencePrimes(lo, hi));
      expect([lo, run(lo, hi, 64), run(lo, hi), countPrimes(lo, hi)]).toEqual([lo, want, want, want.count]);
    }
  });

  it('the sum wraps mod 2^64 when resuming from a large checkpoint sum', () => {
    const lo = 1_000_000;
    const hi = lo + 3 * CHUNK_SPAN;
    const sum0 = 2n ** 64n - 12_345n;
    const from = { ...initialCheckpoint(lo, hi), sum: sum0.toString() };
    const want = encode(lo, hi, referencePrimes(lo, hi), sum0);
    expect(BigInt(want.sum)).toBeLessThan(sum0); // it did wrap
    expect(run(lo, hi, undefined, from)).toEqual(want);
  });

  it('resumes from every chunk boundary to the same result, whatever the segment size', () => {
    const lo = 123_456_789;
    const hi = lo + 4 * CHUNK_SPAN + 99;
    const whole = sieveRange(lo, hi);
    for (const seg of [64, 32768, undefined]) {
      const s = new SegmentedSieve(initialCheckpoint(lo, hi), seg);
      while (!s.done) {
        expect(run(lo, hi, seg === 64 ? undefined : 64, JSON.parse(JSON.stringify(s.checkpoint)))).toEqual(
          whole,
        );
        s.step();
      }
      expect(s.result()).toEqual(whole);
    }
  });

  it('reproduces results pinned from the previous (byte-per-odd-number) implementation', () => {
    expect(sieveRange(1e9, 1e9 + 5 * CHUNK_SPAN + 17)).toEqual({
      count: 252_862,
      sum: '253525172795938',
      sha256: 'b4483b82cac41b347508274096d15e9c98231db5a0d734486f7c9fc31e4f11f7',
    });
    expect(sieveRange(2 ** 40 - 3 * CHUNK_SPAN - 5, 2 ** 40)).toEqual({
      count: 113_259,
      sum: '124529409379223241',
      sha256: 'fe848f38826426211c89e7aff92554ad04e121bda6be9f37c3fcab212e819ec2',
    });
    expect(sieveRange(0, 1e6)).toEqual({
      count: 78_498,
      sum: '37550402023',
      sha256: '720336d1c7c30907b43ba0ae93188bcc3366fcea1070a83441a48ee195c58d44',
    });
  });

  it('counts π(10^6), π(10^7), π(10^8), π(10^9) with countPrimes, and agrees with the full task', () => {
    expect(countPrimes(0, 1e6)).toBe(78_498);
    expect(countPrimes(0, 1e7)).toBe(664_579);
    expect(countPrimes(0, 1e8)).toBe(5_761_455);
    expect(countPrimes(0, 1e9)).toBe(50_847_534);
    expect(countPrimes(1e9, 1.01e9)).toBe(sieveRange(1e9, 1.01e9).count);
    expect(() => countPrimes(0, 2 ** 40 + 1)).toThrow(RangeError);
  });
});
