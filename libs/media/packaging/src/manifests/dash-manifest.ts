// DASH MPDs written from the CMAF store: a dynamic MPD with one AdaptationSet per track and a number-based
// SegmentTemplate. The low-latency variant follows the DASH-IF low-latency guideline (CMAF chunks over chunked
// transfer): availabilityTimeOffset = segment − chunk duration, availabilityTimeComplete="false" (a segment may be
// fetched while it is still being written), a ServiceDescription latency target and UTCTiming.
import { DASH_INIT_TEMPLATE, DASH_MEDIA_TEMPLATE, type Mode, type UtcTimingChoice } from '@livelab/media-contract';
import { peakBitrate, zeroTime, type LiveTimeline, type Track } from '../cmaf/cmaf-store';
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
  /** Now, for publishTime (tests and stream shapes pin it). */
  now?: Date;
  /** The UTCTiming scheme (default http-iso; a stream shape may pick another, or none). */
  utcScheme?: UtcTimingChoice;
  /** Low-latency availabilityTimeOffset, s (default segment − chunk; a stream shape may pick another). */
  availabilityTimeOffsetS?: number;
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

export function dashManifest(tracks: Track[], tl: LiveTimeline, opts: MpdOptions): string {
  const ll = opts.mode === 'll';
  const chunk = opts.chunkSeconds ?? 0.2;
  const seg = tl.segmentSeconds;
  const ato = opts.availabilityTimeOffsetS ?? Math.max(0, seg - chunk);
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
  for (const t of tracks) {
    const info = t.info;
    if (!info) continue;
    const video = info.kind === 'video';
    const fps = video ? frameRate(t) : undefined;
    out.push(
      `    <AdaptationSet id="${t.id}" contentType="${info.kind}" mimeType="${video ? 'video/mp4' : 'audio/mp4'}" segmentAlignment="true" startWithSAP="1">`,
    );
    const rep = [
      `id="${t.id}"`,
      `codecs="${xml(info.codec)}"`,
      `bandwidth="${peakBitrate(t) || 1}"`,
      ...(video && info.width ? [`width="${info.width}"`, `height="${info.height}"`, 'sar="1:1"'] : []),
      ...(fps ? [`frameRate="${Math.abs(fps - Math.round(fps)) < 0.001 ? Math.round(fps) : `${Math.round(fps * 1000)}/1000`}"`] : []),
      ...(!video && info.sampleRate ? [`audioSamplingRate="${info.sampleRate}"`] : []),
    ];
    out.push(`      <Representation ${rep.join(' ')}>`);
    if (!video && info.channels) {
      out.push(`        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${info.channels}"/>`);
    }
    const tmpl = [
      `timescale="${info.timescale}"`,
      `duration="${Math.round(seg * info.timescale)}"`,
      `presentationTimeOffset="${zeroTime(tl, t)}"`,
      `startNumber="${tl.firstNumber}"`,
      `initialization="${DASH_INIT_TEMPLATE}"`,
      `media="${DASH_MEDIA_TEMPLATE}"`,
      ...(ll ? [`availabilityTimeOffset="${Number(ato.toFixed(3))}"`, 'availabilityTimeComplete="false"'] : []),
    ];
    out.push(`        <SegmentTemplate ${tmpl.join(' ')}/>`, '      </Representation>', '    </AdaptationSet>');
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
