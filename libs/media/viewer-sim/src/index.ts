// Public API of @livelab/media-viewer-sim: simulated HLS, LL-HLS and LL-DASH viewers over raw keep-alive sockets
// (one connection per track, on a real player's cadence) and what they measure (delivery delay, misses).
export { Viewer, ViewerCrowd, BoxScanner, type ViewerKind, type ViewerTarget } from './viewers';
export { ViewerStats, type StatsSummary } from './stats';
export { HttpConnection, HttpError, ResponseParser, MAX_HEAD_BYTES, type HttpResult, type RequestOptions } from './http-connection';
export { parseMediaPlaylist, parseMpd, variantUris, expandTemplate, resolvePath, type MediaPlaylistView, type MpdView, type HlsUnit, type DashRepresentation } from './playlists';
