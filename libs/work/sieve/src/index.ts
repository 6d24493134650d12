// Public API of @livelab/work-sieve: Deterministic compute app: segmented-sieve prime counting with checkpoints.
export {};
