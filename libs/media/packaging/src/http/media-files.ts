// How the packager serves each kind of media file (the names and their parser: @livelab/media-contract): MIME
// types and caching.
import type { MediaKind } from '@livelab/media-contract';

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
 * Manifests change with every part: players and caches revalidate them (`no-cache`; the edge keeps such a response
 * 100 ms, docker/edge/default.vcl). A blocking playlist reload (`_HLS_msn`, `_HLS_part`) is different: any playlist
 * that lists the segment or part asked for is a right answer for that URL, so caches may keep it while that segment is
 * listed (at least 6 target durations) and answer every viewer asking for it from one origin fetch. Segments and parts never
 * change once complete, and their numbers are unique across publishes of a stream name (they count from the publish
 * time), so they may be cached for good. The init segment's name is the same for every publish of the name: revalidate
 * it.
 */
export function cacheControl(kind: MediaKind, opts: { blockingReload?: boolean } = {}): string {
  if (kind === 'segment' || kind === 'part') return 'public, max-age=31536000, immutable';
  if (kind === 'hls-media' && opts.blockingReload) return `public, max-age=${BLOCKING_RELOAD_MAX_AGE_S}`;
  return 'no-cache';
}

/**
 * How long a blocking playlist reload's answer stays a good one: the shortest DVR window's 6 segments of 1 s
 * (DVR_WINDOW_S.min in @livelab/media-contract: a segment stays listed at least that long).
 */
export const BLOCKING_RELOAD_MAX_AGE_S = 6;

/**
 * /api/streams: the page polls it every 2 s per viewer; a second-old list is fine (it is not a media timeline), and
 * lets a cache answer all viewers from one origin fetch a second.
 */
export const STREAM_LIST_CACHE_CONTROL = 'public, max-age=1';
