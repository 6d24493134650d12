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

/** The inverse of mediaPath: a valid stream name and a media file name, or undefined. */
export function parseMediaPath(path: string): { stream: string; file: MediaFile } | undefined {
  if (!path.startsWith(`${LIVE_PATH}/`)) return undefined;
  const [encoded, name, ...more] = path.slice(LIVE_PATH.length + 1).split('/');
  if (name === undefined || more.length) return undefined;
  let stream: string;
  try {
    stream = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  const file = parseMediaFile(name);
  return isStreamName(stream) && file ? { stream, file } : undefined;
}
