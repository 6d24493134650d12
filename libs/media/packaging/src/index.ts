// Public API of @livelab/media-packaging: RTMP ingest, per-stream CMAF packaging into memory, standard and
// low-latency HLS/DASH serving.
export { Packager, type PackagerOptions } from './packager';
export { RtmpIngest, RTMP_APP, type PublishInfo, type IngestStreamInfo } from './rtmp-ingest';
export { StreamPackager, type StreamState } from './stream-packager';
export { CmafStore, type LiveTimeline } from './cmaf-store';
export { mediaPlaylist, multivariantPlaylist } from './hls-playlists';
export { dashManifest } from './dash-manifest';
export { contentType, cacheControl } from './media-files';
export { DEFAULT_RTMP_LIMITS, type RtmpLimits } from './rtmp-guard';
