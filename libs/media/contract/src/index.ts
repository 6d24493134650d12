// Public API of @livelab/media-contract: what the packager, the remux, the page, the browser tests and the bench
// agree on. Browser-safe: no Node imports (tsconfig.lib.json has no Node types).
export { STREAM_NAME_PATTERN, isStreamName } from './stream-name';
export {
  RUNG_SEPARATOR,
  MAX_RUNGS,
  AUDIO_RUNG,
  LADDER_AUDIO_TRACK,
  rungPublishName,
  rungTrack,
  parsePublishName,
  type Rung,
} from './ladder-names';
export type { Mode, Format } from './modes';
export { CHUNK_SECONDS, DVR_WINDOW_S, MAX_WINDOW_SEGMENTS, dvrWindowSegments, shapedWindow } from './live-window';
export {
  SEGMENT_NUMBER_DIGITS,
  multivariantUri,
  mediaPlaylistUri,
  dashManifestUri,
  initUri,
  segmentUri,
  partUri,
  DASH_INIT_TEMPLATE,
  DASH_MEDIA_TEMPLATE,
  dashMediaTemplate,
  MAX_GROUPED_SEGMENTS,
  MAX_GROUPED_CHUNKS,
  MEDIA_FILE_PATTERN,
  parseMediaFile,
  isGroupedMediaFile,
  type MediaGrouping,
  type MediaFile,
  type MediaFileOf,
  type MediaKind,
} from './media-files';
export {
  HLS_MSN_PARAM,
  HLS_PART_PARAM,
  HLS_SKIP_PARAM,
  deliveryDirectivesQuery,
  parseDeliveryDirectives,
  rawDeliveryDirectives,
  type DeliveryDirectives,
  type HlsSkip,
} from './delivery-directives';
export { LIVE_PATH, mediaPath, manifestUri, manifestPath, parseMediaPath, splitMediaPath } from './media-paths';
export { STREAMS_API_PATH, CLOCK_PATH, streamUrls, type StreamSummary, type RungSummary, type StreamList, type StreamUrls } from './streams-api';
export {
  FAULTS_PATH,
  FAULT_LIMITS,
  FAULT_TARGETS,
  FAULT_STATUSES,
  FAULT_PRESETS,
  SHAPE_PRESETS,
  UTC_TIMING_CHOICES,
  SHAPE_LIMITS,
  shapeText,
  shapeGrouping,
  parseFaultRules,
  faultRuleText,
  faultRulesText,
  faultsPrefix,
  faultedPath,
  splitFaultPath,
  faultDraw,
  faultMatches,
  matchFault,
  type FaultRule,
  type FaultEffect,
  type FaultEffectKind,
  type FaultTarget,
  type FaultStatus,
  type FaultParse,
  type FaultRequest,
  type StreamShape,
  type UtcTimingChoice,
} from './faults';
export type { PageStats, PageStatsWindow, AbrStats, RenditionInfo, RungSwitch, RecoveryEvent, RecoveryEventKind } from './page-stats';
export { PAGE_PARAMS, MAX_SOURCE_URL_LENGTH, LIVE_DELAY_RANGE_S, parseLiveDelay, parsePageSource, pageQuery, rungOfMediaPlaylistUrl, type PageSource } from './page-source';
