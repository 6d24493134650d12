// Live catch-up for hls.js in low-latency mode. hls.js speeds playback up only while more than a second is
// buffered ahead, which never happens at a 0.6 s PART-HOLD-BACK, so a viewer who started late (the first part
// loads, the edge moves on) stays that much behind for good. This nudges the playback rate instead, the way
// dash.js's own catch-up does: up to +10 % when behind the target, never below what is buffered.

export interface LatencySource {
  /** Seconds behind the live edge now, or NaN. */
  latency(): number;
  /** Seconds behind the live edge the player aims for, or NaN. */
  target(): number;
}

/** Playback rate for a drift (latency − target, s) and forward buffer (s): a pure function, tested alone. */
export function catchUpRate(drift: number, bufferS: number): number {
  if (!Number.isFinite(drift) || drift < 0.08 || bufferS < 0.25) return 1;
  return Math.min(1.1, 1 + drift * 0.25);
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
