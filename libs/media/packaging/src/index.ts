// Public API of @livelab/media-packaging: RTMP ingest, per-stream CMAF packaging into memory, standard and
// low-latency HLS/DASH serving.
export { DEFAULT_HTTP_CONNECTION_LIMITS, Packager, type PackagerOptions } from './packager';
export { RtmpIngest, RTMP_APP, type PublishInfo, type IngestStreamInfo } from './ingest/rtmp-ingest';
export { StreamPackager, type StreamState } from './remux/stream-packager';
export { CmafStore, DEFAULT_STORE_MAX_BYTES, SPARE_SEGMENTS, type LiveTimeline } from './cmaf/cmaf-store';
export { mediaPlaylist, multivariantPlaylist } from './manifests/hls-playlists';
export { dashManifest, DEFAULT_DASH_TARGET_LATENCY_MS } from './manifests/dash-manifest';
export { contentType, cacheControl } from './http/media-files';
export { DEFAULT_RTMP_LIMITS, type RtmpLimits } from './ingest/rtmp-guard';
