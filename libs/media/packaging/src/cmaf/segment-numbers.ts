// Segment numbers: the <seq> of chunk-<track>-<seq>.m4s and its parts (names: @livelab/media-contract). Segments and
// parts are served `immutable` for a year, so a number must never name other bytes — not in the next publish of the
// same name, not after a packager restart, whatever the publisher's pace. Within a publish they count up by one
// (the DASH `$Number$` template needs that), also across remux restarts (CmafStore.beginRun).
//
// The rule: a publish's first number is its wall-clock time in 100 ms ticks (less one), and no segment may take a
// number beyond the current tick (less two). A publisher may then run up to 10 segments per second of wall time
// (10× real time with 1 s segments) and every number it used is below the tick it ended in, so below the first
// number of any later publish — with no state to keep across restarts (a restart takes longer than a tick; a
// republish within the same process continues above the highest number used). A faster publisher's segments beyond
// that are refused. Counting whole seconds instead (the old rule) let a publisher at 3× real time run ahead of the clock,
// and its next publish reused URLs already served as immutable.
export const NUMBER_TICK_MS = 100;

/**
 * Number of the first segment of a publish at `publishMs`. `usedBefore`, the highest number an earlier publish of the
 * name used in this process, covers a republish within the same tick.
 */
export function firstSegmentNumber(publishMs: number, usedBefore?: number): number {
  return Math.max(Math.floor(publishMs / NUMBER_TICK_MS) - 1, (usedBefore ?? -Infinity) + 1);
}

/** The highest number a segment opened at `nowMs` may take, in a publish whose first number is `first`. */
export function highestSegmentNumber(nowMs: number, first: number): number {
  return Math.max(Math.floor(nowMs / NUMBER_TICK_MS) - 2, first);
}
