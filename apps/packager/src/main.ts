// packager: RTMP ingest + HLS/DASH packaging + player page on :8080.
export {};
