// dash.js 5.2 and a live segment that is lost for good (answered 404 on every retry): a workaround, hand-written
// because dash.js has no setting for it (read in node_modules/dashjs's source map, 5.2.1):
//   - FragmentController.onFragmentLoadingCompleted (src/streaming/controllers/FragmentController.js:143) puts the
//     request's service location on the blacklist on any media download error; an MPD without <BaseURL> has one;
//   - the next request (StreamProcessor._handleFragmentLoadingError, src/streaming/StreamProcessor.js:1134: the same
//     segment again, from the middle of its time) finds no base URL: BaseURLSelector.select raises
//     URL_RESOLUTION_FAILED and clears the blacklist, and every ScheduleController stops its timer on that event
//     (src/streaming/controllers/ScheduleController.js:396, _onURLResolutionFailed) — video and audio alike;
//   - nothing starts them again but a play or a seek: the catch-up's own seek runs on timeupdate / progress events,
//     which a stalled element no longer fires.
// So the player sits at the lost segment for good (measured in the page, LL, 2026-12-01: a number-based MPD and a
// 30-segment SegmentTimeline alike; a 6-segment timeline got going again only once the segment had left it). The
// workaround: on a media-segment download error of a live stream, once the live target (the DVR window's end − the
// target delay) has passed the lost segment's end, seek to the live target — what dash.js's catch-up would do.
// hls.js needs none of this (it skips a part or segment that keeps failing).

/** The part of dash.js's MediaPlayer used here (dashjs.MediaPlayerClass has these). */
export interface LostSegmentPlayer {
  on(type: 'error', listener: (e: unknown) => void): void;
  isDynamic(): boolean;
  getDvrWindow(): { end: number };
  getTargetLiveDelay(): number;
  time(): number;
  seekToOriginalLive(): void;
}

/** dash.js's DOWNLOAD_ERROR_ID_CONTENT_CODE (a media, index or other content request failed on every retry). */
const DOWNLOAD_ERROR_CONTENT = 27;

/** How long to wait before jumping to the live target so that it lands past the lost segment's end, ms. */
export function lostSegmentWaitMs(segmentEndS: number, liveTargetS: number, marginS = 0.1): number {
  if (!Number.isFinite(segmentEndS) || !Number.isFinite(liveTargetS)) return 0;
  return Math.max(0, Math.round((segmentEndS + marginS - liveTargetS) * 1000));
}

/** The lost media segment's end (presentation time, s) from a dash.js ERROR event, or undefined for other errors. */
export function lostSegmentEnd(e: unknown): number | undefined {
  const err = (e as { error?: { code?: number; data?: { request?: { type?: string; startTime?: number; duration?: number } } } } | undefined)?.error;
  const req = err?.data?.request;
  if (err?.code !== DOWNLOAD_ERROR_CONTENT || req?.type !== 'MediaSegment') return undefined;
  const end = (req.startTime ?? NaN) + (req.duration ?? NaN);
  return Number.isFinite(end) ? end : undefined;
}

/** Gets a live dash.js player past segments lost for good (see above). */
export function skipLostDashSegments(player: LostSegmentPlayer): void {
  let pending: ReturnType<typeof setTimeout> | undefined;
  player.on('error', (e) => {
    const end = lostSegmentEnd(e);
    if (end === undefined || !player.isDynamic() || player.time() >= end) return;
    const target = player.getDvrWindow().end - player.getTargetLiveDelay();
    clearTimeout(pending);
    pending = setTimeout(() => {
      if (player.time() < end) player.seekToOriginalLive();
    }, lostSegmentWaitMs(end, target));
  });
}
