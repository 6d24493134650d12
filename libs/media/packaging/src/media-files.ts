// What a stream directory may serve, and how: names, MIME types, caching. Nothing outside a stream's
// directory is ever served: names are a strict whitelist, never paths.
export const MEDIA_FILE_PATTERN = /^(master\.m3u8|media_\d+\.m3u8|manifest\.mpd|init-\d+\.m4s|chunk-\d+-\d+\.m4s)$/;

export type MediaKind = 'hls-manifest' | 'dash-manifest' | 'init' | 'segment';

export function mediaKind(file: string): MediaKind | undefined {
  if (!MEDIA_FILE_PATTERN.test(file)) return undefined;
  if (file.endsWith('.m3u8')) return 'hls-manifest';
  if (file.endsWith('.mpd')) return 'dash-manifest';
  return file.startsWith('init-') ? 'init' : 'segment';
}

export function contentType(kind: MediaKind): string {
  switch (kind) {
    case 'hls-manifest':
      return 'application/vnd.apple.mpegurl';
    case 'dash-manifest':
      return 'application/dash+xml';
    default:
      return 'video/mp4';
  }
}

/** Manifests change every segment; segments never change once written. */
export function cacheControl(kind: MediaKind): string {
  return kind === 'hls-manifest' || kind === 'dash-manifest' ? 'no-cache' : 'public, max-age=31536000, immutable';
}

/**
 * Adjust ffmpeg's MPD for players: an absolute UTCTiming URL (dash.js resolves it against the MPD, and an
 * unreachable one makes it log "Failed to synchronize client and server time" on every refresh).
 */
export function rewriteMpd(mpd: string, baseUrl: string): string {
  return mpd.replace(/(<UTCTiming [^>]*value=")\/time(")/, `$1${baseUrl}/time$2`);
}
