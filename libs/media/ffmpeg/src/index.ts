// Public API of @livelab/media-ffmpeg: The one place that runs ffmpeg (fluent-ffmpeg): argument builders and supervised child processes with restart backoff.
export {};
