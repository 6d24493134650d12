// Public API of @livelab/work-sieve: segmented prime sieve over [lo, hi) with a resumable, bit-identical result.
export {
  SegmentedSieve,
  sieveRange,
  countPrimes,
  initialCheckpoint,
  chunkCount,
  validateRange,
  basePrimes,
  CHUNK_SPAN,
  MAX_HI,
  type SieveResult,
  type SieveCheckpoint,
} from './segmented-sieve';
