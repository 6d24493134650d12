// Public API of @livelab/media-ffmpeg: the one place that runs ffmpeg (through fluent-ffmpeg),
// supervises its processes, and builds the packager's remux arguments. The generator's test-signal job is in
// @livelab/media-generator.
export { FfmpegRun, runFfmpeg, warmUpFfmpeg, type FfmpegJobSpec, type FfmpegExit } from './ffmpeg-job';
export { SupervisedFfmpeg, redactSecrets, type SupervisedFfmpegOptions } from './supervised-ffmpeg';
export { checkFfmpeg, probe, parseFrameRate, FFMPEG_INSTALL_HINT, type ProbeResult, type ProbeStream } from './ffmpeg-tools';
export { cmafPackagingJob, type CmafPackagingOptions } from './cmaf-packaging-args';
