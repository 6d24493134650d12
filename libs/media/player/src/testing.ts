// @livelab/media-player/testing: a live ABR ladder made by one real ffmpeg and served with the page, for the page's
// browser tests and the switch bench (not part of the page or the packager's bundle).
export {
  startLadderFixture,
  packagerLadder,
  ladderFixtureJob,
  rungStripFilters,
  throttleRatesFor,
  FIXTURE_LADDER,
  FIXTURE_AUDIO_KBPS,
  FIXTURE_PATH,
  FIXTURE_THROTTLE_RATES,
  type FixtureRung,
  type LadderFixture,
  type ThrottleRates,
} from './testing/abr-ladder-fixture';
