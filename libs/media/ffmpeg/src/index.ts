// Public API of @livelab/media-ffmpeg: the one place that runs ffmpeg (through fluent-ffmpeg),
// supervises its processes, and builds its argument lists.
export { FfmpegRun, runFfmpeg, warmUpFfmpeg, type FfmpegJobSpec, type FfmpegExit } from './ffmpeg-job';
export { SupervisedFfmpeg, redactSecrets, type SupervisedFfmpegOptions } from './supervised-ffmpeg';
export { checkFfmpeg, probe, parseFrameRate, FFMPEG_INSTALL_HINT, type ProbeResult, type ProbeStream } from './ffmpeg-tools';
export { testSignalJob, testSignalVideoFilters, timecodeStripFilters, FONT_FILE, type TestSignalOptions } from './test-signal-args';
export { cmafPackagingJob, type CmafPackagingOptions } from './cmaf-packaging-args';
export { TestSignalPublisher, type TestSignalPublisherOptions } from './test-signal-publisher';
