// The packager's remux job: RTMP in, CMAF fMP4 out, no re-encoding (-c copy). One ffmpeg per stream uploads
// 1 s segments of ~200 ms fragments (CMAF chunks) over HTTP PUT to the packager's in-memory store as they are
// made (chunked transfer, one persistent connection per track); the packager writes every manifest itself
// (ffmpeg's own MPD uploads are ignored). Measured behaviour: ../shared/FACTS.md, docs/low-latency.md.
import { CHUNK_SECONDS, dashManifestUri, DASH_INIT_TEMPLATE, DASH_MEDIA_TEMPLATE } from '@livelab/media-contract';
import type { FfmpegJobSpec } from './ffmpeg-job';

export interface CmafPackagingOptions {
  /** e.g. rtmp://127.0.0.1:1935/live/bars-720p30 */
  input: string;
  /** Upload base URL; files are PUT as <base>/<file>, named by DASH_INIT_TEMPLATE, DASH_MEDIA_TEMPLATE and manifest.mpd. */
  uploadBaseUrl: string;
  /** Segment duration in seconds (the source has a keyframe each second). */
  segmentSeconds?: number;
  /** CMAF chunk (fragment) duration in seconds: the LL-HLS part / LL-DASH chunk. */
  chunkSeconds?: number;
  /** Give up reading the input after this long without data (µs granularity in ffmpeg). */
  inputTimeoutMs?: number;
  /**
   * One rung of an ABR ladder (docs/abr.md): the input carries only this kind of track, and its timestamps are kept
   * as the publisher sent them (`-copyts`) so every rung's tfdt is on the ladder's one publisher clock — the rungs'
   * remuxes start at different GOPs, and ffmpeg's default (each run starting at 0) made them disagree.
   */
  rung?: 'video' | 'audio';
}

export function cmafPackagingJob(opts: CmafPackagingOptions): FfmpegJobSpec {
  const seg = opts.segmentSeconds ?? 1;
  return {
    globalOptions: ['-hide_banner', '-nostats', '-loglevel', 'warning', ...(opts.rung ? ['-copyts'] : [])],
    inputs: [
      {
        source: opts.input,
        // Start fast (docs/low-latency.md, "Start-up"): the FLV sequence headers carry the codec parameters, so
        // probe 100 ms only. No `-fflags +nobuffer`: it throws away the packets read while probing — the GOP
        // node-media-server replays, with its keyframe — and the first segment then waited ~1 s for the next one.
        // TCP_NODELAY on the RTMP read: each handshake step otherwise waited ~45 ms for a delayed ACK (3 steps);
        // a tcp protocol option, so not for a file input (the test fixtures remux files).
        options: [
          '-rw_timeout', String((opts.inputTimeoutMs ?? 5000) * 1000),
          '-analyzeduration', '100000',
          ...(/^rtmps?:/.test(opts.input) ? ['-tcp_nodelay', '1'] : []),
          '-probesize', '262144',
          '-f', 'flv',
        ],
      },
    ],
    output: `${opts.uploadBaseUrl}/${dashManifestUri('standard')}`, // ffmpeg's own MPD: the upload server drops it
    outputOptions: [
      ...(opts.rung === 'audio' ? ['-map', '0:a:0'] : opts.rung === 'video' ? ['-map', '0:v:0'] : ['-map', '0:v:0', '-map', '0:a:0?']),
      '-c', 'copy',
      '-f', 'dash',
      // Upload each segment while it is made: one fragment (moof+mdat) per chunk, flushed at once.
      '-method', 'PUT',
      '-http_persistent', '1',
      // Without TCP_NODELAY a third of the small uploads arrived ~40 ms late (Nagle).
      '-http_opts', 'tcp_nodelay=1',
      // Keep going if the packager is briefly unreachable (it reconnects at the next segment).
      '-ignore_io_errors', '1',
      '-streaming', '1',
      '-frag_type', 'duration',
      '-frag_duration', String(opts.chunkSeconds ?? CHUNK_SECONDS),
      '-seg_duration', String(seg),
      '-use_template', '1',
      '-use_timeline', '0',
      '-window_size', '6',
      '-adaptation_sets', 'id=0,streams=v id=1,streams=a',
      '-init_seg_name', DASH_INIT_TEMPLATE,
      '-media_seg_name', DASH_MEDIA_TEMPLATE,
    ],
  };
}
