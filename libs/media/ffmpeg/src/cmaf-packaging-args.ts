// The packager's remux job: RTMP in, CMAF fMP4 out, no re-encoding (-c copy). One ffmpeg per stream writes
// 1 s segments that serve both HLS (master.m3u8 + media_N.m3u8) and DASH (manifest.mpd) from the same files.
import type { FfmpegJobSpec } from './ffmpeg-job';

export interface CmafPackagingOptions {
  /** e.g. rtmp://127.0.0.1:1935/live/bars-720p30 */
  input: string;
  /** Directory of this stream's files; the MPD is written as <dir>/manifest.mpd. */
  outputDir: string;
  /** Segment duration in seconds (the source has a keyframe each second). */
  segmentSeconds?: number;
  /** Segments kept in the manifests, and extra ones kept on disk for late readers. */
  windowSize?: number;
  extraWindowSize?: number;
  /** URL the MPD names as UTCTiming source (the packager's /time). */
  utcTimingUrl?: string;
  /** Give up reading the input after this long without data (µs granularity in ffmpeg). */
  inputTimeoutMs?: number;
}

export function cmafPackagingJob(opts: CmafPackagingOptions): FfmpegJobSpec {
  const seg = opts.segmentSeconds ?? 1;
  return {
    globalOptions: ['-hide_banner', '-nostats', '-loglevel', 'warning'],
    inputs: [
      {
        source: opts.input,
        // Probe briefly: the FLV sequence headers carry the codec parameters, and every second spent probing
        // delays the first segment and shifts the MPD's availabilityStartTime (DASH latency) by as much.
        options: [
          '-rw_timeout', String((opts.inputTimeoutMs ?? 5000) * 1000),
          '-fflags', '+nobuffer',
          '-analyzeduration', '500000',
          '-probesize', '262144',
          '-f', 'flv',
        ],
      },
    ],
    output: `${opts.outputDir}/manifest.mpd`,
    outputOptions: [
      '-map', '0:v:0', '-map', '0:a:0?',
      '-c', 'copy',
      '-f', 'dash',
      '-seg_duration', String(seg),
      '-use_template', '1',
      '-use_timeline', '0',
      '-window_size', String(opts.windowSize ?? 6),
      '-extra_window_size', String(opts.extraWindowSize ?? 3),
      '-remove_at_exit', '1',
      '-hls_playlist', '1',
      '-hls_master_name', 'master.m3u8',
      '-adaptation_sets', 'id=0,streams=v id=1,streams=a',
      // The MPD is refreshed each segment; tell players to reload it that often (default would be 500 s).
      '-update_period', String(seg),
      '-init_seg_name', 'init-$RepresentationID$.m4s',
      '-media_seg_name', 'chunk-$RepresentationID$-$Number%05d$.m4s',
      ...(opts.utcTimingUrl ? ['-utc_timing_url', opts.utcTimingUrl] : []),
    ],
  };
}
