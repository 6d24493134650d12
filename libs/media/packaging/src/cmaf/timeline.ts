// The live timeline the manifests are written from, settled from the first complete segments of a stream's store
// (docs/low-latency.md, "Timeline").
import type { LiveTimeline, Track } from './cmaf-store';

const ceilMs = (s: number) => Math.ceil(s * 1000 - 1e-6) / 1000;

/**
 * The timeline from what has arrived so far. availabilityStart is the latest wall time consistent with every part
 * of the video track having become available by the time its media had been captured: parts that came in a burst
 * (a cached GOP) would make it early, so the latest bound wins.
 */
export function settleTimeline(tracks: Track[], video: Track, chunkSeconds: number): LiveTimeline {
  const segments = video.ordered().filter((s) => s.complete && s.parts.length);
  const first = segments[0];
  const segmentSeconds = Number(first.durationS.toFixed(3));
  const zero = video.firstTime ?? 0;
  let start = -Infinity;
  for (const s of video.ordered()) {
    let end = s.startTime ?? 0;
    for (const p of s.parts) {
      end += p.duration;
      start = Math.max(start, p.availableAt - ((end - zero) / video.timescale) * 1000);
    }
  }
  const partTarget = new Map<number, number>();
  for (const t of tracks) {
    let max = chunkSeconds;
    for (const s of t.segments.values()) for (const p of s.parts) max = Math.max(max, p.duration / t.timescale);
    partTarget.set(t.id, ceilMs(max));
  }
  return {
    availabilityStart: new Date(Math.round(start)),
    zeroSeconds: zero / video.timescale,
    segmentSeconds,
    targetDuration: Math.max(1, Math.round(Math.max(...segments.map((s) => s.durationS)))),
    partTarget,
    firstNumber: first.number - (first.startTime !== undefined && first.startTime > zero ? Math.round((first.startTime - zero) / video.timescale / segmentSeconds) : 0),
  };
}
