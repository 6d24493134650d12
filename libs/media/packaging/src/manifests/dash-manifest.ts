// DASH MPDs written from the CMAF store: a dynamic MPD with one AdaptationSet per track and a number-based
// SegmentTemplate. The low-latency variant follows the DASH-IF low-latency guideline (CMAF chunks over chunked
// transfer): availabilityTimeOffset = segment − chunk duration, availabilityTimeComplete="false" (a segment may be
// fetched while it is still being written), a ServiceDescription latency target and UTCTiming.
import { DASH_INIT_TEMPLATE, DASH_MEDIA_TEMPLATE, type Mode } from '@livelab/media-contract';
import { peakBitrate, zeroTime, type LiveTimeline, type Track } from '../cmaf/cmaf-store';
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
  /** Segments a player may seek back over. */
  timeShiftSegments?: number;
  /** Now, for publishTime (tests pin it). */
  now?: Date;
  /**
   * An ABR ladder's presentation (docs/abr.md): the video tracks (rungs) are Representations of one AdaptationSet
   * (id 0, segmentAlignment: their segments share numbers and times), sharing one SegmentTemplate whose
   * $RepresentationID$ is the track; the audio keeps its own AdaptationSet.
   */
  ladder?: boolean;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const duration = (s: number) => `PT${Number(s.toFixed(3))}S`;
/** xs:dateTime with whole milliseconds. */
const dateTime = (d: Date) => d.toISOString();

export function dashManifest(tracks: Track[], tl: LiveTimeline, opts: MpdOptions): string {
  const ll = opts.mode === 'll';
  const chunk = opts.chunkSeconds ?? 0.2;
  const seg = tl.segmentSeconds;
  const ato = Math.max(0, seg - chunk);
  const target = opts.targetLatencyMs ?? 800;
  const mpdAttrs = [
    'xmlns="urn:mpeg:dash:schema:mpd:2011"',
    `profiles="urn:mpeg:dash:profile:isoff-live:2011${ll ? ',http://www.dashif.org/guidelines/low-latency-live-v5' : ''}"`,
    'type="dynamic"',
    `availabilityStartTime="${dateTime(tl.availabilityStart)}"`,
    `publishTime="${dateTime(opts.now ?? new Date())}"`,
    // Segment URLs come from the template; the MPD itself changes only when the stream ends.
    `minimumUpdatePeriod="${duration(2)}"`,
    `timeShiftBufferDepth="${duration(seg * (opts.timeShiftSegments ?? 6))}"`,
    `maxSegmentDuration="${duration(seg)}"`,
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
    // One template for the set when its tracks share a timescale (the rungs of one publisher do), else one each.
    const shared = set.every((t) => t.timescale === first.timescale);
    const template = (t: Track, indent: string) => {
      const tmpl = [
        `timescale="${t.timescale}"`,
        `duration="${Math.round(seg * t.timescale)}"`,
        `presentationTimeOffset="${zeroTime(tl, t)}"`,
        `startNumber="${tl.firstNumber}"`,
        `initialization="${DASH_INIT_TEMPLATE}"`,
        `media="${DASH_MEDIA_TEMPLATE}"`,
        ...(ll ? [`availabilityTimeOffset="${Number(ato.toFixed(3))}"`, 'availabilityTimeComplete="false"'] : []),
      ];
      return `${indent}<SegmentTemplate ${tmpl.join(' ')}/>`;
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
    if (ladderSet && shared) out.push(template(first, '      '));
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
      if (own) out.push(template(t, '        '));
      out.push('      </Representation>');
    }
    out.push('    </AdaptationSet>');
  }
  out.push('  </Period>');
  out.push(`  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="${xml(opts.utcTimingUrl)}"/>`);
  out.push('</MPD>');
  return out.join('\n') + '\n';
}
