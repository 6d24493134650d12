// The live timeline the manifests are written from, settled from the first complete segments of a stream's store
// (docs/low-latency.md, "Timeline").
import type { LiveTimeline, Track } from './cmaf-store';

const ceilMs = (s: number) => Math.ceil(s * 1000 - 1e-6) / 1000;

/**
 * The timeline from what has arrived so far. availabilityStart is the latest wall time consistent with every part
 * of the video track that arrived live having become available by the time its media had been captured. A part that
 * arrived right behind the one before it (less than half its duration later) came from a backlog — the GOP
 * node-media-server replays to a new reader, or a remux catching up — and would make the start late by the backlog
 * for the whole stream; those parts are here already, so only live ones bound it. Undefined while no part has
 * arrived live and the next segment has no part yet (one more part tells); with none live after that (a publisher
 * faster than real time), every part bounds it.
 */
export function settleTimeline(tracks: Track[], video: Track, chunkSeconds: number): LiveTimeline | undefined {
  const segments = video.ordered().filter((s) => s.complete && s.parts.length);
  const first = segments[0];
  const segmentSeconds = Number(first.durationS.toFixed(3));
  const zero = video.firstTime ?? 0;
  let live = -Infinity;
  let any = -Infinity;
  let previousArrival: number | undefined;
  for (const s of video.ordered()) {
    let end = s.startTime ?? 0;
    for (const p of s.parts) {
      end += p.duration;
      const bound = p.availableAt - ((end - zero) / video.timescale) * 1000;
      any = Math.max(any, bound);
      const waited = previousArrival === undefined ? 0 : p.availableAt - previousArrival;
      if (waited >= ((p.duration / video.timescale) * 1000) / 2) live = Math.max(live, bound);
      previousArrival = p.availableAt;
    }
  }
  if (!Number.isFinite(live) && !video.inProgress()?.parts.length) return undefined;
  const start = Number.isFinite(live) ? live : any;
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

/**
 * The timeline once a stream is playable, else undefined: `minSegments` complete video segments, and a complete
 * segment on every track (every track has media); a store with audio only (a ladder's audio rung) is timed by its
 * audio. StreamPackager settles its timeline with this on each segment.
 */
export function playableTimeline(tracks: Track[], minSegments: number, chunkSeconds: number): LiveTimeline | undefined {
  // An ABR ladder's audio rung has no video: its own track then settles its timeline (ladder/ uses its parts only).
  const video = tracks.find((t) => t.info?.kind === 'video') ?? tracks.find((t) => t.info?.kind === 'audio');
  if (!video) return undefined;
  if (video.ordered().filter((s) => s.complete && s.parts.length).length < minSegments) return undefined;
  if (tracks.some((t) => !t.lastComplete())) return undefined;
  return settleTimeline(tracks, video, chunkSeconds);
}
