// Public API of @livelab/media-packaging: RTMP ingest, per-stream CMAF packaging into memory, standard and
// low-latency HLS/DASH serving.
export { Packager, type PackagerOptions, type StreamSummary } from './packager';
export { RtmpIngest, RTMP_APP, type PublishInfo, type IngestStreamInfo } from './rtmp-ingest';
export { StreamPackager, type StreamState } from './stream-packager';
export { CmafStore, type LiveTimeline } from './cmaf-store';
export { mediaPlaylist, multivariantPlaylist, type Mode } from './hls-playlists';
export { dashManifest } from './dash-manifest';
export { MEDIA_FILE_PATTERN, parseMediaFile, contentType, cacheControl, type MediaKind } from './media-files';
export { DEFAULT_RTMP_LIMITS, type RtmpLimits } from './rtmp-guard';
