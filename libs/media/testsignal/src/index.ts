// Public API of @livelab/media-testsignal: the stream catalogue, the timecode strip codec and the rung strip codec (which ABR rung a frame is).
// Browser-safe (the page imports the decoder): no node imports here.
export {
  TIMECODE_STRIP,
  encodeTimecodeCells,
  decodeTimecodeStrip,
  renderTimecodeStrip,
  timecodeChecksum,
} from './timecode-strip';
export { RUNG_STRIP, encodeRungCells, decodeRungStrip, renderRungStrip, rungStripHeight } from './rung-strip';
export {
  DEFAULT_CATALOGUE,
  DEFAULT_STREAM_NAMES,
  MIN_RUNG_WIDTH,
  MIN_RUNG_HEIGHT,
  parseCatalogue,
  selectStreams,
  streamSpecSchema,
  type StreamSpec,
  type LadderRung,
} from './catalogue';
export { AV_MARK_SECONDS, BEEP_AMPLITUDE, BEEP_HZ, flashBox } from './av-sync-marks';
