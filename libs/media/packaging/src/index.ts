// Public API of @livelab/media-packaging: RTMP ingest, per-stream CMAF packaging, HLS/DASH serving.
export { Packager, type PackagerOptions, type StreamSummary } from './packager';
export { RtmpIngest, RTMP_APP, type PublishInfo, type IngestStreamInfo } from './rtmp-ingest';
export { StreamPackager, type StreamState } from './stream-packager';
export { MEDIA_FILE_PATTERN, mediaKind, contentType, cacheControl, rewriteMpd, type MediaKind } from './media-files';
