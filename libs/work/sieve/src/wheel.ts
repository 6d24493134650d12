/**
 * Sieve kernel: a segmented mod-30 wheel bit sieve (the layout primesieve uses; written from its published
 * design, no code taken).
 *
 * Layout: byte k of the sieve covers the 30 numbers [30k, 30k + 30); its bit i stands for 30k + RESIDUES[i]
 * (the 8 residues coprime to 30), so 2, 3 and 5 are not represented and 30 numbers take one byte. A set bit is
 * a prime candidate; crossing off clears it. A segment is `segmentBytes` consecutive bytes starting at a
 * multiple of 30; the sieve walks segments upward from the start of the range.
 *
 * Per segment:
 *  1. pre-sieve: fill the segment, 32-bit word by word, with the AND of four periodic patterns that have the
 *     multiples of 7·11·13·17, 19·23·29, 31·37·41 and 43·47·53 cleared (then set the bits of those primes
 *     themselves back);
 *  2. cross off the multiples p·m (m ≥ p, m coprime to 30) of every sieving prime 59 ≤ p ≤ sqrt(hi). Each
 *     prime keeps a state across segments: the byte index of its next multiple and a wheel index (p mod 30,
 *     m mod 30), so each step is one `byte &= mask` and one add. Eight steps advance m by 30 and the byte index
 *     by exactly p, so primes with many multiples per segment run an unrolled 8-step loop with the 8 offsets
 *     and masks held in locals; the others step one multiple at a time (two primes interleaved).
 *  3. the caller counts (32-bit popcount) or enumerates (set bits word by word) the bits it needs.
 */

export const RESIDUES = [1, 7, 11, 13, 17, 19, 23, 29] as const;

// Words, bit order and the LE64 output all use the host's typed-array byte order; results must be identical on
// every host, so refuse to run on a big-endian one rather than hash different bytes.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1)
  throw new Error('@livelab/work-sieve needs a little-endian host');

// Module-level aliases: under jest (a vm context) every lookup of the global `Math` goes through the context's
// interceptor and costs ~35× a plain call; aliases keep the tests fast and change nothing in a plain process.
const { floor, ceil, min, max, sqrt, clz32, imul } = Math;

/** index in RESIDUES of n mod 30, or -1 */
const RIDX = new Int8Array(30).fill(-1);
RESIDUES.forEach((r, i) => (RIDX[r] = i));

/** FIRST_GE[x] = how many residues are < x: the bit index of the first number ≥ 30k + x in byte k */
const FIRST_GE = new Uint8Array(31);
for (let x = 0; x <= 30; x++) FIRST_GE[x] = RESIDUES.filter((r) => r < x).length;

/** OFFSET32[b] = the number bit b of a little-endian 32-bit word stands for, relative to the word's first number */
const OFFSET32 = new Int32Array(32);
for (let b = 0; b < 32; b++) OFFSET32[b] = 30 * (b >> 3) + RESIDUES[b & 7];

/*
 * Wheel tables, index w = 8a + b for a prime p = 30q + RESIDUES[a] at its multiple p·m with m ≡ RESIDUES[b]:
 *   CLR[w]  byte mask that clears the bit of p·m;
 *   DQ[w], C[w]: the byte index of the next multiple p·m' (m' = next number coprime to 30) is
 *           q·DQ[w] + C[w] bytes further (floor(p·m/30) = q·m + RESIDUES[a]·t + floor(RESIDUES[a]·RESIDUES[b]/30)
 *           with m = 30t + RESIDUES[b]);
 * and the wheel index of p·m' is 8a + ((b + 1) & 7), computed as (w & 56) | ((w + 1) & 7).
 */
const CLR = new Uint8Array(64);
const DQ = new Uint8Array(64);
const C = new Uint8Array(64);
for (let a = 0; a < 8; a++) {
  for (let b = 0; b < 8; b++) {
    const r = RESIDUES[a];
    const m = RESIDUES[b];
    const m1 = b < 7 ? RESIDUES[b + 1] : 31;
    const w = 8 * a + b;
    CLR[w] = ~(1 << RIDX[(r * m) % 30]) & 0xff;
    DQ[w] = m1 - m;
    C[w] = floor((r * m1) / 30) - floor((r * m) / 30);
  }
}

/** pre-sieve groups: one periodic pattern each (period = the product, in bytes) */
const PRESIEVE_GROUPS = [
  [7, 11, 13, 17],
  [19, 23, 29],
  [31, 37, 41],
  [43, 47, 53],
];
const PRESIEVED = PRESIEVE_GROUPS.flat();
/** smallest sieving prime */
export const FIRST_SIEVING_PRIME = 59;

interface Pattern {
  period: number;
  words: Int32Array;
}

/**
 * One period (`period` bytes, byte j ↔ numbers 30j + RESIDUES) repeated 4 times plus `extra` bytes, so that
 * for any start offset o there is an o + k·period (k < 4) that is a multiple of 4 → a 32-bit aligned copy
 * of `extra` bytes without wrap-around.
 */
function makePattern(primes: number[], extra: number): Pattern {
  const period = primes.reduce((a, b) => a * b, 1);
  const one = new Uint8Array(period).fill(0xff);
  // clear p·m for every m coprime to 30 (exactly the multiples of p on the wheel) below 30·period
  for (const p of primes) {
    for (let m = 1; p * m < 30 * period; m++) {
      if (RIDX[m % 30] < 0) continue;
      const n = p * m;
      one[(n - (n % 30)) / 30] &= ~(1 << RIDX[n % 30]);
    }
  }
  const len = (4 * period + extra + 3) & ~3;
  const bytes = new Uint8Array(len);
  for (let pos = 0; pos < len; pos += period) bytes.set(one.subarray(0, min(period, len - pos)), pos);
  return { period, words: new Int32Array(bytes.buffer) };
}

const patternCache = new Map<number, Pattern[]>();
function patterns(segmentBytes: number): Pattern[] {
  let p = patternCache.get(segmentBytes);
  if (!p) {
    p = PRESIEVE_GROUPS.map((g) => makePattern(g, segmentBytes));
    patternCache.set(segmentBytes, p);
  }
  return p;
}

/** start byte in a pattern for absolute byte index `byteIndex`, 4-aligned */
function patternStart(pat: Pattern, byteIndex: number): number {
  let s = byteIndex % pat.period;
  while (s & 3) s += pat.period;
  return s;
}

/** odd primes up to `cachedTo`, grown on demand (at most 2^20: sqrt of MAX_HI) and shared by all sieves */
let cachedPrimes = new Uint32Array(0);
let cachedTo = 0;

/** Primes p ≥ FIRST_SIEVING_PRIME with p·p < limit, ascending (limit ≤ 2^40). */
function sievingPrimes(limit: number): Uint32Array {
  const need = floor(sqrt(limit)) + 1;
  if (need > cachedTo) {
    // plain odd-only sieve up to at least twice the last size, so the cache is rebuilt O(log) times
    const n = max(need, min(2 * cachedTo, 2 ** 20 + 1), 1024);
    const composite = new Uint8Array(n + 1);
    const out: number[] = [];
    for (let i = 3; i <= n; i += 2) {
      if (composite[i]) continue;
      out.push(i);
      for (let j = i * i; j <= n; j += 2 * i) composite[j] = 1;
    }
    cachedPrimes = Uint32Array.from(out);
    cachedTo = n;
  }
  let a = 0;
  while (cachedPrimes[a] < FIRST_SIEVING_PRIME) a++;
  let b = a;
  let top = cachedPrimes.length;
  while (b < top) {
    // binary search for the first prime with p·p ≥ limit
    const mid = (b + top) >>> 1;
    if (cachedPrimes[mid] * cachedPrimes[mid] < limit) b = mid + 1;
    else top = mid;
  }
  return cachedPrimes.subarray(a, b);
}

export const DEFAULT_SEGMENT_BYTES = 1 << 18;

/**
 * Walks [start, hi) segment by segment. After `next()`, `bytes`/`words` hold the sieved segment covering
 * [segLo, segHi) (segLo a multiple of 30); bits for numbers ≥ hi are meaningless.
 */
export class WheelSieve {
  /** the current segment (valid after next()) */
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  segLo: number;
  segHi: number;
  /** byte length of the current segment (multiple of 8) */
  segLen = 0;

  private readonly hi: number;
  private readonly segmentBytes: number;
  private readonly pats: Pattern[];
  private readonly all: Uint32Array;
  /** sieving primes added so far (those with p·p < segHi) */
  private active = 0;
  /** how many of the active primes use the unrolled loop */
  private activeSmall = 0;
  private readonly smallMax: number;
  private readonly P: Uint32Array;
  private readonly Q: Uint32Array;
  /** byte index of the next multiple, relative to the start of the segment about to be sieved */
  private readonly I: Int32Array;
  private readonly W: Uint8Array;

  constructor(start: number, hi: number, segmentBytes = DEFAULT_SEGMENT_BYTES) {
    if (segmentBytes < 8 || segmentBytes % 8 !== 0 || segmentBytes > 1 << 20) {
      throw new RangeError('segmentBytes must be a multiple of 8 in [8, 2^20]');
    }
    this.hi = hi;
    this.segmentBytes = segmentBytes;
    this.bytes = new Uint8Array(segmentBytes);
    this.words = new Int32Array(this.bytes.buffer);
    this.pats = patterns(segmentBytes);
    this.segLo = this.segHi = floor(start / 30) * 30;
    this.all = sievingPrimes(hi);
    const n = this.all.length;
    this.P = new Uint32Array(n);
    this.Q = new Uint32Array(n);
    this.I = new Int32Array(n);
    this.W = new Uint8Array(n);
    // unrolled loop when a prime has at least ~2 full wheel turns (2p bytes) per segment
    this.smallMax = segmentBytes >> 1;
  }

  /** Sieve the next segment (starting where the previous one ended). */
  next(): void {
    const lo = this.segHi;
    const L = (min(this.segmentBytes, ceil((this.hi - lo) / 30)) + 7) & ~7;
    const hiN = lo + 30 * L;
    this.segLo = lo;
    this.segHi = hiN;
    this.segLen = L;
    const s = this.bytes;
    const s32 = this.words;
    const byte0 = lo / 30;

    // add the primes whose square falls below the end of this segment
    const all = this.all;
    while (this.active < all.length && all[this.active] * all[this.active] < hiN)
      this.addPrime(all[this.active], lo);

    // 1. pre-sieve: one pass over the segment, ANDing the four patterns word by word
    const pats = this.pats;
    const p0 = pats[0].words;
    const p1 = pats[1].words;
    const p2 = pats[2].words;
    const p3 = pats[3].words;
    const o0 = patternStart(pats[0], byte0) >> 2;
    const o1 = patternStart(pats[1], byte0) >> 2;
    const o2 = patternStart(pats[2], byte0) >> 2;
    const o3 = patternStart(pats[3], byte0) >> 2;
    const nWords = L >> 2;
    for (let k = 0; k < nWords; k++) s32[k] = p0[o0 + k] & p1[o1 + k] & p2[o2 + k] & p3[o3 + k];
    if (lo < FIRST_SIEVING_PRIME) {
      for (const p of PRESIEVED) if (p >= lo && p < hiN) s[(p - lo - (p % 30)) / 30] |= 1 << RIDX[p % 30];
    }
    if (lo === 0) s[0] &= 0xfe; // 1 is not prime

    // 2. cross off
    const P = this.P;
    const Q = this.Q;
    const I = this.I;
    const W = this.W;
    const nSmall = this.activeSmall;
    for (let k = 0; k < nSmall; k++) {
      const p = P[k];
      const q = Q[k];
      let i = I[k];
      const w = W[k];
      let x = w;
      const c0 = CLR[x];
      let o = q * DQ[x] + C[x];
      x = (x & 56) | ((x + 1) & 7);
      const o1 = o;
      const c1 = CLR[x];
      o += q * DQ[x] + C[x];
      x = (x & 56) | ((x + 1) & 7);
      const o2 = o;
      const c2 = CLR[x];
      o += q * DQ[x] + C[x];
      x = (x & 56) | ((x + 1) & 7);
      const o3 = o;
      const c3 = CLR[x];
      o += q * DQ[x] + C[x];
      x = (x & 56) | ((x + 1) & 7);
      const o4 = o;
      const c4 = CLR[x];
      o += q * DQ[x] + C[x];
      x = (x & 56) | ((x + 1) & 7);
      const o5 = o;
      const c5 = CLR[x];
      o += q * DQ[x] + C[x];
      x = (x & 56) | ((x + 1) & 7);
      const o6 = o;
      const c6 = CLR[x];
      o += q * DQ[x] + C[x];
      x = (x & 56) | ((x + 1) & 7);
      const o7 = o;
      const c7 = CLR[x];
      for (const lim = L - o7; i < lim; i += p) {
        s[i] &= c0;
        s[i + o1] &= c1;
        s[i + o2] &= c2;
        s[i + o3] &= c3;
        s[i + o4] &= c4;
        s[i + o5] &= c5;
        s[i + o6] &= c6;
        s[i + o7] &= c7;
      }
      x = w;
      while (i < L) {
        s[i] &= CLR[x];
        i += q * DQ[x] + C[x];
        x = (x & 56) | ((x + 1) & 7);
      }
      I[k] = i - L;
      W[k] = x;
    }
    // the others, two primes at a time: two independent chains of scattered cross-offs overlap better
    const n = this.active;
    let k = nSmall;
    for (; k + 1 < n; k += 2) {
      let i = I[k];
      let i2 = I[k + 1];
      const q = Q[k];
      const q2 = Q[k + 1];
      let x = W[k];
      let x2 = W[k + 1];
      while (i < L && i2 < L) {
        s[i] &= CLR[x];
        s[i2] &= CLR[x2];
        i += q * DQ[x] + C[x];
        i2 += q2 * DQ[x2] + C[x2];
        x = (x & 56) | ((x + 1) & 7);
        x2 = (x2 & 56) | ((x2 + 1) & 7);
      }
      while (i < L) {
        s[i] &= CLR[x];
        i += q * DQ[x] + C[x];
        x = (x & 56) | ((x + 1) & 7);
      }
      while (i2 < L) {
        s[i2] &= CLR[x2];
        i2 += q2 * DQ[x2] + C[x2];
        x2 = (x2 & 56) | ((x2 + 1) & 7);
      }
      I[k] = i - L;
      W[k] = x;
      I[k + 1] = i2 - L;
      W[k + 1] = x2;
    }
    for (; k < n; k++) {
      let i = I[k];
      const q = Q[k];
      let x = W[k];
      while (i < L) {
        s[i] &= CLR[x];
        i += q * DQ[x] + C[x];
        x = (x & 56) | ((x + 1) & 7);
      }
      I[k] = i - L;
      W[k] = x;
    }
  }

  private addPrime(p: number, segLo: number): void {
    const k = this.active++;
    if (p <= this.smallMax) this.activeSmall = this.active;
    let m = max(p, ceil(segLo / p));
    while (RIDX[m % 30] < 0) m++;
    const n = p * m;
    this.P[k] = p;
    this.Q[k] = floor(p / 30);
    this.I[k] = floor(n / 30) - segLo / 30;
    this.W[k] = 8 * RIDX[p % 30] + RIDX[m % 30];
  }

  /** bit index in the current segment of the first number ≥ x (segLo ≤ x ≤ segHi) */
  bitIndex(x: number): number {
    const d = x - this.segLo;
    const r = d % 30;
    return 8 * ((d - r) / 30) + FIRST_GE[r];
  }

  /** how many primes ≥ 7 in [x, y) of the current segment (segLo ≤ x ≤ y ≤ min(segHi, hi)) */
  count(x: number, y: number): number {
    const b0 = this.bitIndex(x);
    const b1 = this.bitIndex(y);
    if (b0 >= b1) return 0;
    const s32 = this.words;
    const k0 = b0 >> 5;
    const k1 = (b1 - 1) >> 5;
    const first = -1 << (b0 & 31);
    const last = (-1 >>> (31 - ((b1 - 1) & 31))) | 0;
    if (k0 === k1) return popcount(s32[k0] & first & last);
    let c = popcount(s32[k0] & first) + popcount(s32[k1] & last);
    for (let k = k0 + 1; k < k1; k++) {
      let v = s32[k];
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      c += imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    }
    return c;
  }

  /**
   * Write the primes ≥ 7 in [x, y) of the current segment, ascending, as LE64 (pairs of 32-bit words) into
   * out32 from pair index `at`; returns the new pair count and adds the primes to sum.big.
   */
  enumerate(x: number, y: number, out32: Int32Array, at: number, sum: SumAccumulator): number {
    const b0 = this.bitIndex(x);
    const b1 = this.bitIndex(y);
    if (b0 >= b1) return at;
    const s32 = this.words;
    const k0 = b0 >> 5;
    const k1 = (b1 - 1) >> 5;
    const first = -1 << (b0 & 31);
    const last = (-1 >>> (31 - ((b1 - 1) & 31))) | 0;
    const segLo = this.segLo;
    // word k's primes are segLo + rel + OFFSET32[bit] with rel = 120k; written as the 32-bit halves
    // hi·2^32 + lo, where lo + 119 stays below 2^32 except in the rare word that straddles a multiple of 2^32
    let hi = floor((segLo + 120 * k0) / TWO32);
    let lo = segLo + 120 * k0 - hi * TWO32;
    let j = at << 1;
    let relSum = 0; // Σ (rel + offset) < 2^23 bits × 2^25 (segments ≤ 2^20 bytes): exact
    for (let k = k0, rel = 120 * k0; k <= k1; k++, rel += 120) {
      let v = s32[k];
      if (k === k0) v &= first;
      if (k === k1) v &= last;
      if (v !== 0) {
        const jw = j;
        let offs = 0;
        if (lo < TWO32 - 120) {
          const l = lo | 0;
          while (v !== 0) {
            const t = v & -v;
            v ^= t;
            const off = OFFSET32[31 - clz32(t)];
            out32[j] = l + off;
            out32[j + 1] = hi;
            j += 2;
            offs += off;
          }
        } else {
          while (v !== 0) {
            const t = v & -v;
            v ^= t;
            const off = OFFSET32[31 - clz32(t)];
            const n = segLo + rel + off;
            out32[j] = n % TWO32;
            out32[j + 1] = floor(n / TWO32);
            j += 2;
            offs += off;
          }
        }
        relSum += rel * ((j - jw) >> 1) + offs;
      }
      lo += 120;
      if (lo >= TWO32) {
        lo -= TWO32;
        hi++;
      }
    }
    const count = (j >> 1) - at;
    sum.big += BigInt(segLo) * BigInt(count) + BigInt(relSum);
    return j >> 1;
  }
}

/** a running sum of primes (the caller reduces it mod 2^64) */
export interface SumAccumulator {
  big: bigint;
}
const TWO32 = 2 ** 32;

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** primes 2, 3, 5 (not on the wheel) in [lo, hi) */
export function wheelPrimesIn(lo: number, hi: number): number[] {
  return [2, 3, 5].filter((p) => p >= lo && p < hi);
}

/** π(hi) − π(lo): count the primes in [lo, hi) without enumerating them (no range checks: see countPrimes). */
export function countPrimesUnchecked(lo: number, hi: number, segmentBytes = DEFAULT_SEGMENT_BYTES): number {
  let count = wheelPrimesIn(lo, hi).length;
  if (hi <= 7 || hi <= lo) return count;
  const sv = new WheelSieve(lo, hi, segmentBytes);
  while (sv.segHi < hi) {
    sv.next();
    count += sv.count(max(lo, sv.segLo), min(hi, sv.segHi));
  }
  return count;
}
