// A stream shape's longer segments and parts (issue 18, `shape,seg=<N>,chunks=<P>`): a view of a stored track in which
// segment k is the stored segments k·N … k·N+N−1 and part q of it is its stored chunks q·P … q·P+P−1 (counted across
// those stored segments), as @livelab/media-contract's MediaGrouping names them. A CMAF segment may hold several
// fragments and a part several chunks, so the stored bytes one after another are valid media: nothing is re-muxed.
// The view is made per request from what the store holds (a few segments, no media copied: a grouped part's bytes
// are joined only when it is served), so the manifest writers and the blocking reload read it like a stored track.
// Only /faults/ URLs (a stream shape) use it; /live/ never does.
import type { MediaGrouping } from '@livelab/media-contract';
import { Segment, Track, type LiveTimeline, type Part } from './cmaf-store';

const ceilMs = (s: number) => Math.ceil(s * 1000 - 1e-6) / 1000;

/** Part q of a grouped segment: `chunks` stored parts in a row (their bytes joined on first use). */
function groupedPart(index: number, chunks: Part[]): Part {
  if (chunks.length === 1) return { ...chunks[0], index };
  let data: Buffer | undefined;
  return {
    index,
    get data() {
      return (data ??= Buffer.concat(chunks.map((c) => c.data)));
    },
    duration: chunks.reduce((n, c) => n + c.duration, 0),
    independent: chunks[0].independent,
    samples: chunks.reduce((n, c) => n + c.samples, 0),
    availableAt: Math.max(...chunks.map((c) => c.availableAt)),
  };
}

/**
 * Grouped segment k of `stored` (in the view track `owner`), or undefined when its first stored segment is not held
 * (not made yet, or gone from the window). Complete once all N stored segments are; its parts are the whole groups
 * of P chunks (the last may be shorter once the segment is complete).
 */
export function groupedSegment(stored: Track, g: MediaGrouping, k: number, owner: Track): Segment | undefined {
  const members: Segment[] = [];
  for (let i = 0; i < g.segments; i++) {
    const m = stored.segments.get(k * g.segments + i);
    if (!m) break;
    members.push(m);
    if (!m.complete) break; // the one being made: nothing after it yet
  }
  if (!members.length || !members[0].parts.length) return undefined;
  const seg = new Segment(k, owner);
  seg.complete = members.length === g.segments && members.every((m) => m.complete);
  seg.startTime = members[0].startTime;
  const chunks: Part[] = [];
  for (const m of members) {
    seg.duration += m.duration;
    seg.bytes += m.bytes;
    chunks.push(...m.parts);
  }
  for (let q = 0; q * g.chunks < chunks.length; q++) {
    const slice = chunks.slice(q * g.chunks, (q + 1) * g.chunks);
    if (slice.length < g.chunks && !seg.complete) break; // a part is whole with P chunks, or at its segment's end
    seg.parts.push(groupedPart(q, slice));
  }
  return seg;
}

/** The grouped view of a stored track: the grouped segments whose first stored segment is held. */
export function groupTrack(stored: Track, g: MediaGrouping): Track {
  // It offers the stored window in whole groups (30 stored 1 s segments are 15 of 2 s).
  const view = new Track(stored.id, Math.max(1, Math.floor(stored.window / g.segments)));
  view.init = stored.init;
  view.info = stored.info;
  view.firstTime = stored.firstTime;
  view.mediaEnd = stored.mediaEnd;
  const ks = new Set([...stored.segments.keys()].map((n) => Math.floor(n / g.segments)));
  for (const k of [...ks].sort((a, b) => a - b)) {
    const seg = groupedSegment(stored, g, k, view);
    if (seg) view.segments.set(k, seg);
  }
  return view;
}

/**
 * The timeline of the grouped view: segment k0 = ⌈firstNumber / N⌉ is the first whole group, so media time zero and
 * availabilityStart move on to its start (the wall clock of every media time is unchanged: HLS PROGRAM-DATE-TIME is
 * the same; DASH's number-based addressing then puts segment k0 at period time 0); durations and targets × N (× P
 * for the part target).
 */
export function groupTimeline(tl: LiveTimeline, g: MediaGrouping): LiveTimeline {
  const firstNumber = Math.ceil(tl.firstNumber / g.segments);
  const offsetS = (firstNumber * g.segments - tl.firstNumber) * tl.segmentSeconds;
  const partTarget = new Map<number, number>();
  for (const [id, target] of tl.partTarget) partTarget.set(id, ceilMs(target * g.chunks));
  return {
    availabilityStart: new Date(tl.availabilityStart.getTime() + Math.round(offsetS * 1000)),
    zeroSeconds: tl.zeroSeconds + offsetS,
    segmentSeconds: Number((tl.segmentSeconds * g.segments).toFixed(3)),
    // Fixed for the stream (RFC 8216 §6.2.1: it must not change); N stored ~1 s segments round to N.
    targetDuration: tl.targetDuration * g.segments,
    partTarget,
    firstNumber,
  };
}
