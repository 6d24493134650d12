// The packager's time-shift (DVR) window: how much of each stream it keeps and lists (the packager's DVR_WINDOW_S,
// as nginx-rtmp's hls_playlist_length, MediaMTX's hlsSegmentCount or a Wowza/Unified "DVR window"). Here, in the
// contract, because a URL's stream shape (faults.ts `window=`) is bounded by it and means "at most this many of it".

/**
 * Seconds of media each stream keeps and lists: HLS media playlists list that many segments (parts only for the last
 * few), the MPD's timeShiftBufferDepth says it. Default 30 s — nginx-rtmp's default `hls_playlist_length`; room for an
 * ABR tester to sit 12–20 s behind the live edge; ~5 MB per Mbit/s of a stream (docs/low-latency.md "DVR window").
 * The minimum, 6 s, is the live window the packager listed before it had this setting (RFC 8216 §6.2.2 asks for
 * at least three target durations).
 */
export const DVR_WINDOW_S = { default: 30, min: 6, max: 3600 } as const;

/** Segments of a `windowS`-second window of `segmentS`-second segments (whole segments, rounded up). */
export function dvrWindowSegments(windowS: number, segmentS = 1): number {
  return Math.max(1, Math.ceil(windowS / segmentS - 1e-9));
}

/** The most segments a URL's stream shape may ask for (`window=`): the longest window of 1 s segments. */
export const MAX_WINDOW_SEGMENTS = dvrWindowSegments(DVR_WINDOW_S.max);

/**
 * Segments a manifest offers: the stream's window (`offered`: what the store keeps listable), capped by a URL's
 * stream shape `window=` (at most that many of them, never more than the store has).
 */
export function shapedWindow(offered: number, shapeWindow?: number): number {
  return shapeWindow === undefined ? offered : Math.min(offered, shapeWindow);
}

/**
 * The CMAF chunk the packager's remux cuts (`-frag_duration`): an LL-HLS part, an LL-DASH chunk. The generator's
 * drop-late-frames rule (docs/wip/generator-drop-late-frames.patch, not landed) keeps each chunk's first frame whole.
 */
export const CHUNK_SECONDS = 0.2;
