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
export function rewriteMpd(mpd: string, baseUrl: string, availabilityStart?: Date): string {
  let out = mpd.replace(/(<UTCTiming [^>]*value=")\/time(")/, `$1${baseUrl}/time$2`);
  if (availabilityStart) out = out.replace(/availabilityStartTime="[^"]*"/, `availabilityStartTime="${availabilityStart.toISOString()}"`);
  return out;
}

/** Media sequence number of the last segment a media playlist lists (-1 if none). */
export function playlistLastMsn(playlist: string): number {
  const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)?.[1] ?? NaN);
  const count = (playlist.match(/^#EXTINF:/gm) ?? []).length;
  return Number.isFinite(seq) && count > 0 ? seq + count - 1 : -1;
}

/**
 * Announce blocking playlist reload (RFC 8216bis §4.4.3.8, `_HLS_msn`): hls.js then asks for the next playlist
 * and gets it the moment the segment is complete, instead of polling once per target duration.
 */
export function rewriteMediaPlaylist(playlist: string): string {
  if (playlist.includes('#EXT-X-SERVER-CONTROL')) return playlist;
  return playlist.replace(/^(#EXT-X-TARGETDURATION:\d+)$/m, '$1\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES');
}

/** Segment number of a media segment file name (chunk-<rep>-<n>.m4s). */
export function segmentNumber(file: string): number | undefined {
  const m = /^chunk-\d+-(\d+)\.m4s$/.exec(file);
  return m ? Number(m[1]) : undefined;
}
