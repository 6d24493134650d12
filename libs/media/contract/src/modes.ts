// How a stream is played. Both modes come from the same CMAF packaging.
//   'll'        low latency: LL-HLS parts, LL-DASH segments sent chunked while they are made
//   'standard'  whole 1 s segments, listed once complete
// These are the values users see: the page's ?mode=, its stats' `mode`, and the "-ll" in manifest names.
export type Mode = 'll' | 'standard';

/** The manifest format a player reads. */
export type Format = 'hls' | 'dash';
