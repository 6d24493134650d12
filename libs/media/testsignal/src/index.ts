// Public API of @livelab/media-testsignal: Test-signal filtergraphs, timecode strip encode/decode, stream catalogue.
export {};
