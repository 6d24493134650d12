// The names a stream serves, and how: a strict whitelist of file names (never paths), parsed into what they mean,
// with MIME types and caching. Standard and low-latency manifests share the same init, segment and part files.
import type { Mode } from './hls-playlists';

export const MEDIA_FILE_PATTERN =
  /^(?:master(-ll)?\.m3u8|media_(\d{1,2})(-ll)?\.m3u8|manifest(-ll)?\.mpd|init-(\d{1,2})\.m4s|chunk-(\d{1,2})-(\d{1,12})(?:\.(\d{1,4}))?\.m4s)$/;

export type MediaKind = 'hls-multivariant' | 'hls-media' | 'dash-manifest' | 'init' | 'segment' | 'part';

export interface MediaFile {
  kind: MediaKind;
  mode?: Mode;
  track?: number;
  /** Segment number (media sequence number). */
  number?: number;
  part?: number;
}

export function parseMediaFile(file: string): MediaFile | undefined {
  const m = MEDIA_FILE_PATTERN.exec(file);
  if (!m) return undefined;
  const mode = (ll: string | undefined): Mode => (ll ? 'low-latency' : 'standard');
  if (file.startsWith('master')) return { kind: 'hls-multivariant', mode: mode(m[1]) };
  if (m[2] !== undefined) return { kind: 'hls-media', track: Number(m[2]), mode: mode(m[3]) };
  if (file.startsWith('manifest')) return { kind: 'dash-manifest', mode: mode(m[4]) };
  if (m[5] !== undefined) return { kind: 'init', track: Number(m[5]) };
  const base = { track: Number(m[6]), number: Number(m[7]) };
  return m[8] !== undefined ? { kind: 'part', ...base, part: Number(m[8]) } : { kind: 'segment', ...base };
}

export function contentType(kind: MediaKind): string {
  switch (kind) {
    case 'hls-multivariant':
    case 'hls-media':
      return 'application/vnd.apple.mpegurl';
    case 'dash-manifest':
      return 'application/dash+xml';
    default:
      return 'video/mp4';
  }
}

/**
 * Manifests change with every part. Segments and parts never change once complete, and their numbers are unique
 * across publishes of a stream name (they count from the publish time), so they may be cached for good. The init
 * segment's name is the same for every publish of the name: revalidate it.
 */
export function cacheControl(kind: MediaKind): string {
  return kind === 'segment' || kind === 'part' ? 'public, max-age=31536000, immutable' : 'no-cache';
}
