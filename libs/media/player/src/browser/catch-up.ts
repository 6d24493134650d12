// Live catch-up for hls.js in low-latency mode. hls.js speeds playback up only while more than a second is
// buffered ahead, which never happens at a sub-second target, so a viewer who started late (the first part loads,
// the edge moves on) stays that much behind for good; and it never slows down, so a viewer who starts too close
// to the edge (a fresh stream: hls.js clamps its start to one part behind the edge when the playlist is short)
// runs dry at once. This nudges the playback rate both ways, the way dash.js's own catch-up does: up to +10 % when
// behind the target, down to −8 % when ahead of it or when the buffer is about to run dry — a slightly slower
// picture for a second instead of a stall. Browsers keep the pitch (preservesPitch), so neither is audible.

export interface LatencySource {
  /** Seconds behind the live edge now, or NaN. */
  latency(): number;
  /** Seconds behind the live edge the player aims for, or NaN. */
  target(): number;
}

/** Drift (latency − target, s) below which nothing is done: the edge itself moves in 200 ms parts. */
const DEAD_BAND_S = 0.08;
/** Forward buffer (s) under which the player slows down whatever the drift: the next part is late. */
const LOW_BUFFER_S = 0.12;
/** Forward buffer (s) needed before speeding up (faster play must not run it dry). */
const SPEED_UP_BUFFER_S = 0.25;
const MAX_RATE = 1.1;
const MIN_RATE = 0.92;

/** Playback rate for a drift (latency − target, s) and forward buffer (s): a pure function, tested alone. */
export function catchUpRate(drift: number, bufferS: number): number {
  if (!Number.isFinite(drift)) return 1;
  if (bufferS < LOW_BUFFER_S) return MIN_RATE;
  if (drift > DEAD_BAND_S) return bufferS < SPEED_UP_BUFFER_S ? 1 : Math.min(MAX_RATE, 1 + drift * 0.25);
  if (drift < -DEAD_BAND_S) return Math.max(MIN_RATE, 1 + drift * 0.25);
  return 1;
}

export function startCatchUp(video: HTMLVideoElement, source: LatencySource): () => void {
  const timer = setInterval(() => {
    if (video.paused) return;
    const ahead = video.buffered.length ? video.buffered.end(video.buffered.length - 1) - video.currentTime : 0;
    const rate = catchUpRate(source.latency() - source.target(), ahead);
    if (Math.abs(video.playbackRate - rate) > 0.005) video.playbackRate = rate;
  }, 250);
  return () => {
    clearInterval(timer);
    video.playbackRate = 1;
  };
}
