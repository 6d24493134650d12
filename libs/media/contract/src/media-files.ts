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
/** Segment n of one track: chunk-0-00042.m4s. */
export const segmentUri = (track: number, n: number) => `chunk-${track}-${segmentNumber(n)}.m4s`;
/** Part (CMAF chunk) of segment n: chunk-0-00042.3.m4s. */
export const partUri = (track: number, n: number, part: number) => `chunk-${track}-${segmentNumber(n)}.${part}.m4s`;

/**
 * The DASH SegmentTemplate strings, for the MPD and for the remux's -init_seg_name / -media_seg_name: with
 * $RepresentationID$ = track and $Number$ = n they expand to initUri(track) and segmentUri(track, n).
 */
export const DASH_INIT_TEMPLATE = 'init-$RepresentationID$.m4s';
export const DASH_MEDIA_TEMPLATE = `chunk-$RepresentationID$-$Number%0${SEGMENT_NUMBER_DIGITS}d$.m4s`;

/** Every name a stream serves: tracks 0-99, segment numbers up to 12 digits, parts up to 4 (all safe integers). */
export const MEDIA_FILE_PATTERN =
  /^(?:master(-ll)?\.m3u8|media_(\d{1,2})(-ll)?\.m3u8|manifest(-ll)?\.mpd|init-(\d{1,2})\.m4s|chunk-(\d{1,2})-(\d{1,12})(?:\.(\d{1,4}))?\.m4s)$/;

/** A file a stream serves, read from its name: each kind carries only its own fields. */
export type MediaFile =
  | { kind: 'hls-multivariant'; mode: Mode }
  | { kind: 'hls-media'; track: number; mode: Mode }
  | { kind: 'dash-manifest'; mode: Mode }
  | { kind: 'init'; track: number }
  /** `number`: the segment number (media sequence number). */
  | { kind: 'segment'; track: number; number: number }
  | { kind: 'part'; track: number; number: number; part: number };

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
  const base = { track: Number(m[6]), number: Number(m[7]) };
  return m[8] !== undefined ? { kind: 'part', ...base, part: Number(m[8]) } : { kind: 'segment', ...base };
}
