// The names of the files a stream serves, one builder per kind and one parser for them all: a strict whitelist of
// file names (never paths), read back into what they mean. Standard and low-latency manifests share the same init,
// segment and part files. The names are relative URIs in the playlists and MPDs.
import type { Mode } from './modes';

/** Segment numbers in file names have at least this many digits (zero-padded; DASH's $Number%05d$). */
export const SEGMENT_NUMBER_DIGITS = 5;

const segmentNumber = (n: number) => String(n).padStart(SEGMENT_NUMBER_DIGITS, '0');
const modeSuffix = (mode: Mode) => (mode === 'll' ? '-ll' : '');

/** HLS multivariant playlist: master.m3u8, master-ll.m3u8. */
export const multivariantUri = (mode: Mode) => `master${modeSuffix(mode)}.m3u8`;
/** HLS media playlist of one track: media_0.m3u8, media_0-ll.m3u8. */
export const mediaPlaylistUri = (track: number, mode: Mode) => `media_${track}${modeSuffix(mode)}.m3u8`;
/** DASH MPD: manifest.mpd, manifest-ll.mpd. */
export const dashManifestUri = (mode: Mode) => `manifest${modeSuffix(mode)}.mpd`;
/** CMAF init segment of one track: init-0.m4s. */
export const initUri = (track: number) => `init-${track}.m4s`;
/**
 * A stream shape's segments and parts (issue 18, /faults/shape,seg=…,chunks=…/live/…): a segment of `segments` stored
 * segments in a row (a CMAF segment may hold several fragments, so their bytes one after another are a valid segment)
 * and a part of `chunks` stored chunks in a row. Shaped segment k is stored segments k·segments … k·segments+segments−1
 * (aligned on the stored numbers, which are never reused: a shaped name always means the same bytes); shaped part q of
 * it is its stored chunks q·chunks … q·chunks+chunks−1, counted across its stored segments. Their names carry the
 * grouping (`-s<segments>`, `-c<chunks>`), so a 2 s segment can never be taken for a 1 s one and each is cacheable;
 * 1 and 1 (or no grouping) are the stored names.
 */
export interface MediaGrouping {
  /** Stored segments per segment, 1–MAX_GROUPED_SEGMENTS. */
  segments: number;
  /** Stored chunks per part, 1–MAX_GROUPED_CHUNKS. */
  chunks: number;
}
/** Bounds of a grouping: the store keeps 8 complete segments; a part stays shorter than a stored segment (5 chunks of 200 ms), so LL-DASH keeps an availabilityTimeOffset. */
export const MAX_GROUPED_SEGMENTS = 4;
export const MAX_GROUPED_CHUNKS = 4;

const segmentSuffix = (g?: MediaGrouping) => (g && g.segments > 1 ? `-s${g.segments}` : '');
const partSuffix = (g?: MediaGrouping) => (g && g.chunks > 1 ? `-c${g.chunks}` : '');

/** Segment n of one track: chunk-0-00042.m4s; grouped by a stream shape: chunk-0-00021-s2.m4s. */
export const segmentUri = (track: number, n: number, g?: MediaGrouping) => `chunk-${track}-${segmentNumber(n)}${segmentSuffix(g)}.m4s`;
/** Part (CMAF chunk) of segment n: chunk-0-00042.3.m4s; grouped: chunk-0-00021-s2.1-c3.m4s. */
export const partUri = (track: number, n: number, part: number, g?: MediaGrouping) =>
  `chunk-${track}-${segmentNumber(n)}${segmentSuffix(g)}.${part}${partSuffix(g)}.m4s`;

/**
 * The DASH SegmentTemplate strings, for the MPD and for the remux's -init_seg_name / -media_seg_name: with
 * $RepresentationID$ = track and $Number$ = n they expand to initUri(track) and segmentUri(track, n).
 */
export const DASH_INIT_TEMPLATE = 'init-$RepresentationID$.m4s';
export const DASH_MEDIA_TEMPLATE = `chunk-$RepresentationID$-$Number%0${SEGMENT_NUMBER_DIGITS}d$.m4s`;
/** The media template of a grouping (a stream shape's MPD): expands to segmentUri(track, n, g). */
export const dashMediaTemplate = (g?: MediaGrouping) => `chunk-$RepresentationID$-$Number%0${SEGMENT_NUMBER_DIGITS}d$${segmentSuffix(g)}.m4s`;

/**
 * Every name a stream serves: tracks 0-99, segment numbers up to 12 digits, parts up to 4 (all safe integers); a
 * grouping's -s2…-s4 / -c2…-c4 (MediaGrouping).
 */
export const MEDIA_FILE_PATTERN =
  /^(?:master(-ll)?\.m3u8|media_(\d{1,2})(-ll)?\.m3u8|manifest(-ll)?\.mpd|init-(\d{1,2})\.m4s|chunk-(\d{1,2})-(\d{1,12})(?:-s([2-4]))?(?:\.(\d{1,4})(?:-c([2-4]))?)?\.m4s)$/;

/** A file a stream serves, read from its name: each kind carries only its own fields. */
export type MediaFile =
  | { kind: 'hls-multivariant'; mode: Mode }
  | { kind: 'hls-media'; track: number; mode: Mode }
  | { kind: 'dash-manifest'; mode: Mode }
  | { kind: 'init'; track: number }
  /** `number`: the segment number (media sequence number); `group`: a stream shape's grouping (absent: stored names). */
  | { kind: 'segment'; track: number; number: number; group?: MediaGrouping }
  | { kind: 'part'; track: number; number: number; part: number; group?: MediaGrouping };

export type MediaKind = MediaFile['kind'];
/** The MediaFile of one kind. */
export type MediaFileOf<K extends MediaKind> = Extract<MediaFile, { kind: K }>;

export function parseMediaFile(file: string): MediaFile | undefined {
  const m = MEDIA_FILE_PATTERN.exec(file);
  if (!m) return undefined;
  const mode = (ll: string | undefined): Mode => (ll ? 'll' : 'standard');
  if (file.startsWith('master')) return { kind: 'hls-multivariant', mode: mode(m[1]) };
  if (m[2] !== undefined) return { kind: 'hls-media', track: Number(m[2]), mode: mode(m[3]) };
  if (file.startsWith('manifest')) return { kind: 'dash-manifest', mode: mode(m[4]) };
  if (m[5] !== undefined) return { kind: 'init', track: Number(m[5]) };
  const segments = m[8] === undefined ? 1 : Number(m[8]);
  const chunks = m[10] === undefined ? 1 : Number(m[10]);
  const base = { track: Number(m[6]), number: Number(m[7]), ...(segments > 1 || chunks > 1 ? { group: { segments, chunks } } : {}) };
  if (m[9] !== undefined) return { kind: 'part', ...base, part: Number(m[9]) };
  // A segment's bytes do not depend on how its parts are grouped: one name per segment (no -c on segments).
  return segments > 1 ? { kind: 'segment', ...base, group: { segments, chunks: 1 } } : { kind: 'segment', track: base.track, number: base.number };
}

/** Whether a media file is named by a stream shape's grouping (served under /faults/ only). */
export const isGroupedMediaFile = (f: MediaFile) => (f.kind === 'segment' || f.kind === 'part') && f.group !== undefined;
