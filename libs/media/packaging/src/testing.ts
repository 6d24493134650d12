// @livelab/media-packaging/testing: the independent readers of our manifests for every test that reads them (the
// packaging specs, the packager and e2e tests): hls-parser for HLS and LL-HLS, fast-xml-parser plus the offline
// ISO/IEC 23009-1 and DASH-IF rules for the MPDs. Kept out of the packager's bundle (index.ts does not export it).
export {
  parseMediaPlaylist,
  parseMultivariantPlaylist,
  newestListedSegment,
  type ParsedMediaPlaylist,
  type HlsMediaPlaylist,
  type HlsMultivariantPlaylist,
  type HlsSegment,
  type HlsPart,
} from './testing/hls-oracle';
export {
  parseMpd,
  parseXml,
  checkMpd,
  allElements,
  oneElement,
  durationSeconds,
  MpdRuleError,
  UTC_TIMING_SCHEMES,
  PROFILE_LIVE,
  PROFILE_DASHIF_LOW_LATENCY,
  type XmlElement,
  type MpdFacts,
} from './testing/mpd-oracle';
