// The live timeline the manifests are written from, settled from the first complete segments of a stream's store
// (docs/low-latency.md, "Timeline").
import type { LiveTimeline, Track } from './cmaf-store';

const ceilMs = (s: number) => Math.ceil(s * 1000 - 1e-6) / 1000;

/**
 * How far apart (ms) the start bounds of parts arriving at a steady pace may lie: arrival jitter of the remux (measured
 * 0–40 ms on a quiet box, more on a busy one). Bounds further apart mean the pace changed: the publisher stalled and
 * caught up, or is falling behind.
 */
export const STEADY_SPREAD_MS = 150;
/** Live parts in a row within STEADY_SPREAD_MS that show the pace after a stall (0.8 s of 0.2 s parts). */
export const STEADY_PARTS = 4;
/** After this long (ms of live arrivals) without a steady run, the timeline is settled from the newest parts anyway. */
export const SETTLE_LIMIT_MS = 5000;

/**
 * The timeline from what has arrived so far. availabilityStart is the latest wall time consistent with every part
 * of the video track that arrived live at the pace the publisher keeps having become available by the time its media
 * had been captured:
 * - A part that arrived right behind the one before it (less than half its duration later) came from a backlog — the
 *   GOP node-media-server replays to a new reader, or a remux catching up — and would make the start late by the
 *   backlog for the whole stream; those parts are here already, so only live ones bound it.
 * - It is taken from the newest steady run: STEADY_PARTS or more live parts in a row whose bounds lie within
 *   STEADY_SPREAD_MS of each other, and waits for one (at most SETTLE_LIMIT_MS of arrivals, then the newest run
 *   whatever its length). Live parts before a change of pace — a publisher that stalled in its first second (an
 *   encoder starting on a busy box) and then caught up — are left out: their media is here already, and a start taken
 *   from them would stay late by the stall for the whole stream (DASH players find the live edge from it: a CI run had
 *   dash.js 2.5 s behind while hls.js was at the edge). The first part after such a stall arrives live but late, so
 *   one live part alone proves nothing. availabilityStart never changes once settled (ISO/IEC 23009-1 MPD updates, HLS
 *   PROGRAM-DATE-TIME), so this is the one chance to get it right.
 * Undefined while no part has arrived live and the next segment has no part yet (one more part tells); with none live
 * after that (a publisher faster than real time), every part bounds it.
 */
export function settleTimeline(tracks: Track[], video: Track, chunkSeconds: number): LiveTimeline | undefined {
  const segments = video.ordered().filter((s) => s.complete && s.parts.length);
  const first = segments[0];
  const segmentSeconds = Number(first.durationS.toFixed(3));
  const zero = video.firstTime ?? 0;
  const live: Array<{ bound: number; at: number }> = [];
  let any = -Infinity;
  let previousArrival: number | undefined;
  let newestArrival = -Infinity;
  for (const s of video.ordered()) {
    let end = s.startTime ?? 0;
    for (const p of s.parts) {
      end += p.duration;
      const bound = p.availableAt - ((end - zero) / video.timescale) * 1000;
      any = Math.max(any, bound);
      const waited = previousArrival === undefined ? 0 : p.availableAt - previousArrival;
      if (waited >= ((p.duration / video.timescale) * 1000) / 2) live.push({ bound, at: p.availableAt });
      previousArrival = p.availableAt;
      newestArrival = Math.max(newestArrival, p.availableAt);
    }
  }
  if (!live.length && !video.inProgress()?.parts.length) return undefined;
  let start = any;
  if (live.length) {
    // The steady run: the newest live parts whose bounds lie within STEADY_SPREAD_MS of each other.
    let lo = live[live.length - 1].bound;
    let hi = lo;
    let run = 1;
    while (run < live.length) {
      const b = live[live.length - 1 - run].bound;
      if (Math.max(hi, b) - Math.min(lo, b) > STEADY_SPREAD_MS) break;
      lo = Math.min(lo, b);
      hi = Math.max(hi, b);
      run++;
    }
    if (run < STEADY_PARTS && newestArrival - live[0].at < SETTLE_LIMIT_MS) return undefined;
    start = hi;
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
