// HLS playlists written from the CMAF store (RFC 8216 and its low-latency successor, draft-pantos-hls-rfc8216bis):
// a multivariant playlist (video + an audio rendition group) and one media playlist per track. Standard playlists
// list the complete segments of the DVR window (Track.window: DVR_WINDOW_S, 30 by default); low-latency ones add EXT-X-PART for the newest segments (one per ~200 ms fragment),
// EXT-X-PART-INF, PART-HOLD-BACK and an EXT-X-PRELOAD-HINT for the part being made.
import { CHUNK_SECONDS, initUri, mediaPlaylistUri, partUri, segmentUri, shapedWindow, type MediaGrouping, type Mode } from '@livelab/media-contract';
import { averageBitrate, peakBitrate, wallClockMs, type LiveTimeline, type Part, type Segment, type Track } from '../cmaf/cmaf-store';

/** Parts are listed for segments that start within this many target durations of the playlist's end (rfc8216bis). */
const PART_LISTING_TARGET_DURATIONS = 3;

const dec = (s: number) => s.toFixed(5).replace(/0+$/, '').replace(/\.$/, '.0');

/**
 * The Skip Boundary a low-latency playlist offers (CAN-SKIP-UNTIL, rfc8216bis §4.4.3.8), in target durations: the
 * RFC's minimum, six. A Playlist Delta Update (`_HLS_skip=YES`) replaces the segments that end at least this long
 * before the playlist's end with EXT-X-SKIP: a 30 s DVR window of 1 s segments goes from ~30 listed segments to ~6.
 */
export const SKIP_BOUNDARY_TARGET_DURATIONS = 6;

/** PART-HOLD-BACK: three part targets (the RFC's recommendation; at least two are required). */
export const partHoldBack = (partTarget: number) => Number((3 * partTarget).toFixed(3));

export interface MultivariantOptions {
  /**
   * An ABR ladder's presentation (docs/abr.md): one EXT-X-STREAM-INF per video track (rung), top rung first, each
   * with the audio group; no audio-only variant (a player's ABR would drop to it on a slow link and freeze the
   * picture, and the test signal is about the picture).
   */
  ladder?: boolean;
}

export function multivariantPlaylist(tracks: Track[], mode: Mode, opts: MultivariantOptions = {}): string {
  const videos = tracks.filter((t) => t.info?.kind === 'video');
  const video = videos[0];
  const audio = tracks.find((t) => t.info?.kind === 'audio');
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (audio?.info) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",LANGUAGE="und",DEFAULT=YES,AUTOSELECT=YES` +
        `${audio.info.channels ? `,CHANNELS="${audio.info.channels}"` : ''},URI="${mediaPlaylistUri(audio.id, mode)}"`,
    );
  }
  const main = video ?? audio;
  if (!main?.info) return lines.join('\n') + '\n';
  for (const variant of opts.ladder && videos.length ? videos : [main]) lines.push(...streamInf(variant, audio, mode));
  return lines.join('\n') + '\n';
}

/** One variant: `main` (a video track, or the audio when there is no video) with the audio rendition, measured. */
function streamInf(main: Track, audio: Track | undefined, mode: Mode): string[] {
  const video = main.info?.kind === 'video' ? main : undefined;
  const withAudio = video && audio ? [video, audio] : [main];
  const bandwidth = withAudio.reduce((n, t) => n + peakBitrate(t), 0) || 1;
  const average = withAudio.reduce((n, t) => n + averageBitrate(t), 0) || 1;
  const attrs = [
    `BANDWIDTH=${bandwidth}`,
    `AVERAGE-BANDWIDTH=${average}`,
    `CODECS="${withAudio.map((t) => t.info?.codec).join(',')}"`,
  ];
  if (video?.info?.width) attrs.push(`RESOLUTION=${video.info.width}x${video.info.height}`);
  const fps = video ? frameRate(video) : undefined;
  if (fps) attrs.push(`FRAME-RATE=${fps.toFixed(3)}`);
  if (video && audio) attrs.push('AUDIO="audio"');
  return [`#EXT-X-STREAM-INF:${attrs.join(',')}`, mediaPlaylistUri(main.id, mode)];
}

/** Frames per second from the first complete segment's sample count (video only). */
export function frameRate(track: Track): number | undefined {
  const s = track.lastComplete();
  const samples = s?.parts.length ? s.parts.reduce((n, p) => n + (p.samples ?? 0), 0) : 0;
  return s && samples && s.duration ? (samples * track.timescale) / s.duration : undefined;
}

/**
 * How a playlist is written beyond the live default: its ABR ladder's rendition reports, or how a faulted playlist
 * differs from the live one (issue 18, fault rules: @livelab/media-contract faults.ts): `asOfMs`
 * lists only what had arrived by then (a stale playlist); `gap(n)` marks segment n EXT-X-GAP (a playlist that skips
 * it: numbering stays right, the segment is not to be loaded, its parts are not listed).
 */
export interface PlaylistView {
  asOfMs?: number;
  gap?: (n: number) => boolean;
  /** At most this many of the segments the track offers (a stream shape's window=; default: the track's DVR window). */
  window?: number;
  /** EXT-X-PROGRAM-DATE-TIME (a stream shape; default on). */
  pdt?: boolean;
  /**
   * A stream shape's longer segments / parts: the track and timeline given are the grouped view
   * (cmaf/grouped-track.ts) and the URIs are the grouped names.
   */
  group?: MediaGrouping;
  /**
   * The presentation's other renditions (an ABR ladder's other rungs and its audio): a low-latency playlist reports
   * each one's newest segment and part (EXT-X-RENDITION-REPORT, rfc8216bis §4.4.5.4) so a player switching to it
   * can make its first request a blocking one.
   */
  renditionReports?: Track[];
  /**
   * A Playlist Delta Update (`_HLS_skip=YES`, low latency only): the segments ending at least the Skip Boundary
   * before the end are replaced by one EXT-X-SKIP (and their tags with them); EXT-X-PROGRAM-DATE-TIME moves to the
   * first segment still listed. With nothing that old, the full playlist.
   */
  skip?: boolean;
}

/** A segment as a playlist lists it: a Segment, or one seen as of an earlier time (fewer parts). */
type Listed = Pick<Segment, 'number' | 'parts' | 'startTime'>;

/** The segments listed and the one in progress, live or as of `asOf`. */
function visibleSegments(track: Track, asOf: number | undefined): { complete: Segment[]; current?: Listed } {
  if (asOf === undefined) return { complete: track.ordered().filter((s) => s.complete && s.parts.length), current: track.inProgress() };
  const done = (s: Segment) => s.complete && s.parts.length > 0 && (s.parts.at(-1) as Part).availableAt <= asOf;
  const ordered = track.ordered();
  const complete = ordered.filter(done);
  const next = ordered.find((s) => !done(s) && s.parts.length && s.parts[0].availableAt <= asOf && s.number > (complete.at(-1)?.number ?? -1));
  return { complete, current: next && { number: next.number, startTime: next.startTime, parts: next.parts.filter((p) => p.availableAt <= asOf) } };
}

/** The media playlist of one track. */
export function mediaPlaylist(track: Track, tl: LiveTimeline, mode: Mode, view: PlaylistView = {}): string {
  const ll = mode === 'll';
  const { complete, current } = visibleSegments(track, view.asOfMs);
  // The DVR window (Track.window: the store's, shorter while its byte budget holds it so), capped by a stream shape.
  const listed = complete.slice(-shapedWindow(track.window, view.window));
  const partTarget = tl.partTarget.get(track.id) ?? CHUNK_SECONDS;
  const skipUntil = SKIP_BOUNDARY_TARGET_DURATIONS * tl.targetDuration;
  // Parts are listed for the segments whose every part is within PART_LISTING_TARGET_DURATIONS of the end of the
  // playlist (rfc8216bis §4.4.4.9: parts further back SHOULD be removed; hls-parser's strict mode enforces it).
  const end =
    listed.reduce((n, s) => n + s.durationS, 0) + (current?.parts.reduce((n, p) => n + p.duration, 0) ?? 0) / track.timescale;
  // A delta update skips the leading segments that end at least the Skip Boundary before the end (rfc8216bis §6.2.5.1).
  let skipped = 0;
  for (let ends = 0; ll && view.skip && skipped < listed.length; skipped++) {
    ends += listed[skipped].durationS;
    if (end - ends < skipUntil - 1e-6) break;
  }
  // EXT-X-GAP needs version 8, EXT-X-SKIP version 9 (rfc8216bis §7).
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${skipped ? 9 : view.gap ? 8 : 6}`, `#EXT-X-TARGETDURATION:${tl.targetDuration}`];
  lines.push(
    ll
      ? `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${dec(skipUntil)},PART-HOLD-BACK=${partHoldBack(partTarget)}`
      : '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES',
  );
  if (ll) lines.push(`#EXT-X-PART-INF:PART-TARGET=${dec(partTarget)}`);
  const first = listed[0] ?? current;
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${first?.number ?? tl.firstNumber}`);
  lines.push(`#EXT-X-MAP:URI="${initUri(track.id)}"`);
  if (!first) return lines.join('\n') + '\n';
  if (skipped) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
  const firstShown = skipped ? listed[skipped] : first;
  if (firstShown.startTime !== undefined && view.pdt !== false) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(wallClockMs(tl, track, firstShown.startTime)).toISOString()}`);
  // And in at most that many segments, the one in progress (its parts or only its preload hint) counted: hls-parser's
  // strict check counts segments, and audio segments of 47, 47 and 46 AAC frames (2.987 s) put a fourth one's start
  // within 3 s of the end.
  const partSegments = PART_LISTING_TARGET_DURATIONS - 1;
  let start = 0;
  for (const [i, s] of listed.entries()) {
    const gap = view.gap?.(s.number) ?? false;
    const shown = i >= skipped;
    if (shown && ll && !gap && end - start < PART_LISTING_TARGET_DURATIONS * tl.targetDuration - 1e-6 && listed.length - i <= partSegments)
      pushParts(lines, track, s, view.group);
    start += s.durationS;
    if (!shown) continue;
    if (gap) lines.push('#EXT-X-GAP');
    lines.push(`#EXTINF:${dec(s.durationS)},`, segmentUri(track.id, s.number, view.group));
  }
  if (ll) {
    let hint = { n: (listed.at(-1)?.number ?? tl.firstNumber - 1) + 1, part: 0 };
    if (current) {
      pushParts(lines, track, current, view.group);
      hint = { n: current.number, part: current.parts.length };
    }
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partUri(track.id, hint.n, hint.part, view.group)}"`);
    for (const other of view.renditionReports ?? []) {
      const last = lastListedPart(other);
      if (last.msn < 0) continue;
      lines.push(`#EXT-X-RENDITION-REPORT:URI="${mediaPlaylistUri(other.id, mode)}",LAST-MSN=${last.msn},LAST-PART=${last.part}`);
    }
  }
  return lines.join('\n') + '\n';
}

function pushParts(lines: string[], track: Track, s: Listed, group?: MediaGrouping): void {
  for (const p of s.parts) {
    lines.push(
      `#EXT-X-PART:DURATION=${dec(p.duration / track.timescale)},URI="${partUri(track.id, s.number, p.index, group)}"${p.independent ? ',INDEPENDENT=YES' : ''}`,
    );
  }
}

/** Media sequence number and part index of the newest part a low-latency playlist lists ({-1,-1} if none). */
export function lastListedPart(track: Track): { msn: number; part: number } {
  const cur = track.inProgress();
  if (cur && cur.parts.length) return { msn: cur.number, part: cur.parts.length - 1 };
  const done = track.lastComplete();
  return done ? { msn: done.number, part: done.parts.length - 1 } : { msn: -1, part: -1 };
}
