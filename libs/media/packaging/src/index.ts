// Public API of @livelab/media-packaging: RTMP ingest, per-stream CMAF packaging, segment store, HLS/DASH serving.
export {};
