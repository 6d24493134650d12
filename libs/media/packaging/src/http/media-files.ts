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
 * Manifests change with every part. Segments and parts never change once complete, and their numbers are unique
 * across publishes of a stream name and packager restarts (cmaf/segment-numbers.ts), so they may be cached for good. The init
 * segment's name is the same for every publish of the name: revalidate it.
 */
export function cacheControl(kind: MediaKind): string {
  return kind === 'segment' || kind === 'part' ? 'public, max-age=31536000, immutable' : 'no-cache';
}
