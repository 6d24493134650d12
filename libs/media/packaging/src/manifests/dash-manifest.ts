// DASH MPDs written from the CMAF store: a dynamic MPD with one AdaptationSet per track and a number-based
// SegmentTemplate. The low-latency variant follows the DASH-IF low-latency guideline (CMAF chunks over chunked
// transfer): availabilityTimeOffset = segment − chunk duration, availabilityTimeComplete="false" (a segment may be
// fetched while it is still being written), a ServiceDescription latency target and UTCTiming.
import { CHUNK_SECONDS, DASH_INIT_TEMPLATE, dashMediaTemplate, shapedWindow, type MediaGrouping, type Mode, type UtcTimingChoice } from '@livelab/media-contract';
import { peakBitrate, zeroTime, type LiveTimeline, type Segment, type Track } from '../cmaf/cmaf-store';
import type { TrackInfo } from '../cmaf/fmp4';
import { frameRate } from './hls-playlists';

export interface MpdOptions {
  mode: Mode;
  /** Absolute URL of the packager's /time, for UTCTiming. */
  utcTimingUrl: string;
  /** Low-latency target, ms (ServiceDescription). */
  targetLatencyMs?: number;
  /** Chunk (fragment) duration, s: availabilityTimeOffset = segment − chunk. */
  chunkSeconds?: number;
  /**
   * A stream shape's window=: at most this many of the segments each track offers (its DVR window, Track.window) in
   * timeShiftBufferDepth and a SegmentTimeline.
   */
  shapeWindow?: number;
  /** Now, for publishTime (tests and stream shapes pin it). */
  now?: Date;
  /** The UTCTiming scheme (default http-iso; a stream shape may pick another, or none). */
  utcScheme?: UtcTimingChoice;
  /**
   * 'timeline': a SegmentTimeline of the complete segments in the window (t, d from the store; $Number$ addressing
   * from the first one) and, low latency, the segment being made, instead of @duration; the MPD then changes with
   * every segment (minimumUpdatePeriod = one segment).
   */
  template?: 'number' | 'timeline';
  /** With a timeline: list only the segments complete by then (a stale MPD, a fault rule). */
  asOfMs?: number;
  /** Low-latency availabilityTimeOffset, s (default segment − chunk; a stream shape may pick another). */
  availabilityTimeOffsetS?: number;
  /**
   * An ABR ladder's presentation (docs/abr.md): the video tracks (rungs) are Representations of one AdaptationSet
   * (id 0, segmentAlignment: their segments share numbers and times), sharing one SegmentTemplate whose
   * $RepresentationID$ is the track; the audio keeps its own AdaptationSet.
   */
  ladder?: boolean;
  /**
   * A stream shape's longer segments: the tracks and timeline given are the grouped view (cmaf/grouped-track.ts) and
   * the media template names the grouped segments.
   */
  group?: MediaGrouping;
}

const UTC_SCHEMES: Record<Exclude<UtcTimingChoice, 'none'>, string> = {
  'http-iso': 'urn:mpeg:dash:utc:http-iso:2014',
  // /time answers ISO 8601 with ms and a Z: also an xs:dateTime.
  'http-xsdate': 'urn:mpeg:dash:utc:http-xsdate:2014',
  // The Date header of a HEAD /time (Node sets it on every answer).
  head: 'urn:mpeg:dash:utc:http-head:2014',
  direct: 'urn:mpeg:dash:utc:direct:2014',
};

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const duration = (s: number) => `PT${Number(s.toFixed(3))}S`;
/** xs:dateTime with whole milliseconds. */
const dateTime = (d: Date) => d.toISOString();

/**
 * The newest `count` complete segments as S elements (runs of one duration joined with @r), and the first's number.
 * `announce` (a low-latency MPD): the segment being made is the last S, as the DASH-IF low-latency guidelines and
 * livesim2's low-delay timelines have it — the timeline reaches the segment whose availability start (end − ato) is
 * due, so a player fetches it chunked while it is made, as with `$Number$` addressing. Without it the newest S is a
 * complete segment, up to a segment behind the clock: dash.js 5.2 at a 0.5 s target then stalls at the end of every
 * listed segment (measured: ~1 stall a second, 6 or 30 segments alike). Its duration is not known yet: it is
 * announced as the nominal segment rounded up to whole samples (an audio segment is whole AAC frames, a frame more or
 * less than the video's second), never shorter than the real one — dash.js asks for the segment after a timeline
 * segment by time (its end + 10 ms, TimelineSegmentsGetter.getSegmentByIndex), so a shorter announced segment would
 * have it ask for the same one again; the next MPD carries the real duration.
 */
function segmentTimeline(
  t: Track,
  count: number,
  opts: { asOf?: number; announce?: { nominalS: number } },
): { startNumber: number; lines: string[]; longestS: number } {
  const asOf = opts.asOf ?? Infinity;
  const done = (s: Segment) => s.complete && s.startTime !== undefined && s.duration > 0 && (s.parts.at(-1)?.availableAt ?? Infinity) <= asOf;
  const segs = t.ordered().filter(done).slice(-count);
  const entries = segs.map((s) => ({ t: s.startTime as number, d: s.duration }));
  const last = segs.at(-1);
  const cur = opts.announce && last ? t.inProgress() : undefined;
  if (opts.announce && last && cur && cur.number === last.number + 1) {
    const samples = last.parts.reduce((n, p) => n + p.samples, 0);
    const sample = samples > 0 ? last.duration / samples : 1;
    const nominal = Math.ceil(Math.round(opts.announce.nominalS * t.timescale) / sample - 1e-6) * sample;
    entries.push({ t: cur.startTime ?? (last.startTime as number) + last.duration, d: Math.max(Math.round(nominal), cur.duration) });
  }
  const lines: string[] = [];
  let run: { t: number; d: number; r: number } | undefined;
  const flush = () => run && lines.push(`            <S t="${run.t}" d="${run.d}"${run.r ? ` r="${run.r}"` : ''}/>`);
  let next: number | undefined;
  for (const e of entries) {
    if (run && e.t === next && e.d === run.d) run.r++;
    else {
      flush();
      run = { t: e.t, d: e.d, r: 0 };
    }
    next = e.t + e.d;
  }
  flush();
  return { startNumber: segs[0]?.number ?? 0, lines, longestS: Math.max(0, ...entries.map((e) => e.d / t.timescale)) };
}

/**
 * The low-latency MPD's ServiceDescription latency target, ms, unless configured (DASH_TARGET_LATENCY_MS) or set per
 * URL (the fault lab's `target=` shape). Chunks reach a reader as they are made, so 0.5 s is ~0.55 s glass-to-glass
 * in dash.js (was 800 → 0.83 s; docs/benchmarks.md).
 */
export const DEFAULT_DASH_TARGET_LATENCY_MS = 500;

export function dashManifest(tracks: Track[], tl: LiveTimeline, opts: MpdOptions): string {
  const ll = opts.mode === 'll';
  const chunk = opts.chunkSeconds ?? CHUNK_SECONDS;
  const seg = tl.segmentSeconds;
  const ato = opts.availabilityTimeOffsetS ?? Math.max(0, seg - chunk);
  const target = opts.targetLatencyMs ?? DEFAULT_DASH_TARGET_LATENCY_MS;
  const windowOf = (t: Track) => shapedWindow(t.window, opts.shapeWindow);
  // A low-latency timeline announces the segment being made (segmentTimeline); a stale one (asOfMs) lists what was
  // complete then, and the standard MPD complete segments only.
  const announce = ll && opts.asOfMs === undefined ? { nominalS: seg } : undefined;
  const timelines = new Map(opts.template === 'timeline' ? tracks.map((t) => [t, segmentTimeline(t, windowOf(t), { asOf: opts.asOfMs, announce })]) : []);
  // The time-shift depth: what every track offers (the DVR window; shorter while a store's byte budget holds it so).
  const shiftSegments = Math.min(...tracks.filter((t) => t.info).map(windowOf));
  // A timeline lists the real durations (audio segments are whole AAC frames, a little over or under a second).
  const longest = Math.max(seg, ...[...timelines.values()].map((x) => x.longestS));
  const mpdAttrs = [
    'xmlns="urn:mpeg:dash:schema:mpd:2011"',
    `profiles="urn:mpeg:dash:profile:isoff-live:2011${ll ? ',http://www.dashif.org/guidelines/low-latency-live-v5' : ''}"`,
    'type="dynamic"',
    `availabilityStartTime="${dateTime(tl.availabilityStart)}"`,
    `publishTime="${dateTime(opts.now ?? new Date())}"`,
    // Segment URLs come from the template; the MPD itself changes only when the stream ends.
    `minimumUpdatePeriod="${duration(opts.template === 'timeline' ? seg : 2)}"`,
    `timeShiftBufferDepth="${duration(seg * (Number.isFinite(shiftSegments) ? shiftSegments : (opts.shapeWindow ?? 1)))}"`,
    `maxSegmentDuration="${duration(Math.ceil(longest * 1000) / 1000)}"`,
    `minBufferTime="${duration(ll ? chunk * 2 : seg)}"`,
    ...(ll ? [] : [`suggestedPresentationDelay="${duration(2 * seg)}"`]),
  ];
  const out = ['<?xml version="1.0" encoding="utf-8"?>', `<MPD ${mpdAttrs.join(' ')}>`];
  if (ll) {
    out.push(
      '  <ServiceDescription id="0">',
      `    <Latency referenceId="0" target="${target}" min="${Math.round(target * 0.5)}" max="${Math.round(target * 2)}"/>`,
      '    <PlaybackRate min="0.96" max="1.04"/>',
      '  </ServiceDescription>',
    );
  }
  out.push('  <Period id="0" start="PT0S">');
  const ready = tracks.filter((t) => t.info);
  const videos = ready.filter((t) => t.info?.kind === 'video');
  const sets = opts.ladder && videos.length ? [videos, ...ready.filter((t) => t.info?.kind !== 'video').map((t) => [t])] : ready.map((t) => [t]);
  for (const set of sets) {
    const first = set[0];
    const info = first.info as TrackInfo;
    const video = info.kind === 'video';
    const ladderSet = opts.ladder && video;
    // One template for the set when its tracks share a timescale (the rungs of one publisher do), else one each; a
    // SegmentTimeline (a stream shape) is written per Representation from that track's own segments.
    const shared = !timelines.size && set.every((t) => t.timescale === first.timescale);
    const template = (t: Track, indent: string): string[] => {
      const timeline = timelines.get(t);
      const tmpl = [
        `timescale="${t.timescale}"`,
        ...(timeline ? [] : [`duration="${Math.round(seg * t.timescale)}"`]),
        `presentationTimeOffset="${zeroTime(tl, t)}"`,
        `startNumber="${timeline?.startNumber ?? tl.firstNumber}"`,
        `initialization="${DASH_INIT_TEMPLATE}"`,
        `media="${dashMediaTemplate(opts.group)}"`,
        ...(ll ? [`availabilityTimeOffset="${Number(ato.toFixed(3))}"`, 'availabilityTimeComplete="false"'] : []),
      ];
      if (!timeline) return [`${indent}<SegmentTemplate ${tmpl.join(' ')}/>`];
      return [`${indent}<SegmentTemplate ${tmpl.join(' ')}>`, `${indent}  <SegmentTimeline>`, ...timeline.lines, `${indent}  </SegmentTimeline>`, `${indent}</SegmentTemplate>`];
    };
    const setAttrs = [
      `id="${ladderSet ? 0 : first.id}"`,
      `contentType="${info.kind}"`,
      `mimeType="${video ? 'video/mp4' : 'audio/mp4'}"`,
      'segmentAlignment="true"',
      'startWithSAP="1"',
      ...(ladderSet ? [`maxWidth="${Math.max(...set.map((t) => t.info?.width ?? 0))}"`, `maxHeight="${Math.max(...set.map((t) => t.info?.height ?? 0))}"`] : []),
    ];
    out.push(`    <AdaptationSet ${setAttrs.join(' ')}>`);
    if (ladderSet && shared) out.push(...template(first, '      '));
    for (const t of set) {
      const ti = t.info as TrackInfo;
      const fps = video ? frameRate(t) : undefined;
      const rep = [
        `id="${t.id}"`,
        `codecs="${xml(ti.codec)}"`,
        `bandwidth="${peakBitrate(t) || 1}"`,
        ...(video && ti.width ? [`width="${ti.width}"`, `height="${ti.height}"`, 'sar="1:1"'] : []),
        ...(fps ? [`frameRate="${Math.abs(fps - Math.round(fps)) < 0.001 ? Math.round(fps) : `${Math.round(fps * 1000)}/1000`}"`] : []),
        ...(!video && ti.sampleRate ? [`audioSamplingRate="${ti.sampleRate}"`] : []),
      ];
      const own = !(ladderSet && shared);
      const hasChannels = !video && !!ti.channels;
      if (!own && !hasChannels) {
        out.push(`      <Representation ${rep.join(' ')}/>`);
        continue;
      }
      out.push(`      <Representation ${rep.join(' ')}>`);
      if (hasChannels) {
        out.push(`        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${ti.channels}"/>`);
      }
      if (own) out.push(...template(t, '        '));
      out.push('      </Representation>');
    }
    out.push('    </AdaptationSet>');
  }
  out.push('  </Period>');
  const utc = opts.utcScheme ?? 'http-iso';
  if (utc !== 'none') {
    const value = utc === 'direct' ? dateTime(opts.now ?? new Date()) : opts.utcTimingUrl;
    out.push(`  <UTCTiming schemeIdUri="${UTC_SCHEMES[utc]}" value="${xml(value)}"/>`);
  }
  out.push('</MPD>');
  return out.join('\n') + '\n';
}
