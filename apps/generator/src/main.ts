// generator: Test-signal generator: one ffmpeg per stream pushing FLV over RTMP.
export {};
