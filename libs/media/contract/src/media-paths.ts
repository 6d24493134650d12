// Where a stream's files are on the packager's public port: /live/<stream>/<file>.
import { dashManifestUri, multivariantUri, parseMediaFile, type MediaFile } from './media-files';
import type { Format, Mode } from './modes';
import { isStreamName } from './stream-name';

export const LIVE_PATH = '/live';

/** The path of one of a stream's files (the name is URL-encoded: a valid stream name is unchanged by it). */
export const mediaPath = (stream: string, file: string) => `${LIVE_PATH}/${encodeURIComponent(stream)}/${file}`;

/** The manifest a player opens first: the HLS multivariant playlist or the DASH MPD. */
export const manifestUri = (format: Format, mode: Mode) => (format === 'hls' ? multivariantUri(mode) : dashManifestUri(mode));

export const manifestPath = (stream: string, format: Format, mode: Mode) => mediaPath(stream, manifestUri(format, mode));

/**
 * The two parts of a media path, /live/<stream>/<name>, the stream name URL-decoded (not yet checked), or undefined
 * when the path has another shape or a bad encoding. parseMediaPath checks both parts.
 */
export function splitMediaPath(path: string): { stream: string; name: string } | undefined {
  if (!path.startsWith(`${LIVE_PATH}/`)) return undefined;
  const [encoded, name, ...more] = path.slice(LIVE_PATH.length + 1).split('/');
  if (name === undefined || more.length) return undefined;
  try {
    return { stream: decodeURIComponent(encoded), name };
  } catch {
    return undefined;
  }
}

/** The inverse of mediaPath: a valid stream name and a media file name, or undefined. */
export function parseMediaPath(path: string): { stream: string; file: MediaFile } | undefined {
  const parts = splitMediaPath(path);
  const file = parts && parseMediaFile(parts.name);
  return parts && isStreamName(parts.stream) && file ? { stream: parts.stream, file } : undefined;
}
