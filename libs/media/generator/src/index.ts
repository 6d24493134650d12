// Public API of @livelab/media-generator: the generator's logic. The test signal's ffmpeg job and the publisher
// (one supervised ffmpeg per catalogue stream). Running ffmpeg itself is @livelab/media-ffmpeg's job.
export {
  testSignalJob, testSignalLadderJob, testSignalVideoFilters, timecodeStripFilters, rungStripFilters, rungLabel, bitrateLabel,
  FONT_FILE, type TestSignalOptions, type LadderOptions,
} from './test-signal-args';
export { TestSignalPublisher, type TestSignalPublisherOptions } from './test-signal-publisher';
