// Player settings for standard (1 s CMAF segments, keyframe each second) live playback, tuned for latency:
// the page, the browser tests and the benchmark all use exactly these. Figures: docs/benchmarks.md.

/** hls.js config (https://github.com/video-dev/hls.js/blob/master/docs/API.md). */
export const HLS_CONFIG = {
  // Play this many seconds behind the live edge of the playlist. The default (3 × target duration) is
  // why late joiners sat near 4 s. 1 segment + a margin: a segment appears in the playlist only once complete,
  // and with blocking reload (below) it appears the moment it is. 1.4 measured 2.1 s glass-to-glass, 1.25 gives
  // 1.9 s with no stalls (docs/benchmarks.md).
  liveSyncDuration: 1.25,
  // If we fall further behind than this (tab in background, stall), jump back to the sync point.
  liveMaxLatencyDuration: 4,
  // Catch up gently by playing up to 8 % faster when behind the target (inaudible).
  maxLiveSyncPlaybackRate: 1.08,
  // After a stall hls.js moves its target back by this much (default 1 s, which kept late joiners a second
  // behind for good after a single start-up hiccup).
  liveSyncOnStallIncrease: 0.2,
  // No EXT-X-PART in standard mode, but the packager supports blocking playlist reload (CAN-BLOCK-RELOAD):
  // in low-latency mode hls.js asks for the next playlist with _HLS_msn and gets it the moment the segment is
  // complete, instead of polling once a second (which cost ~0.5 s on average).
  lowLatencyMode: true,
  // Keep little behind us and little ahead: live, not VOD.
  backBufferLength: 10,
  maxBufferLength: 6,
  // Start from the live edge even when the first playlist is short.
  initialLiveManifestSize: 1,
  enableWorker: true,
  startFragPrefetch: true,
  // Retry quickly: segments are small and local.
  fragLoadPolicy: {
    default: {
      maxTimeToFirstByteMs: 4000,
      maxLoadTimeMs: 8000,
      timeoutRetry: { maxNumRetry: 4, retryDelayMs: 0, maxRetryDelayMs: 0 },
      errorRetry: { maxNumRetry: 6, retryDelayMs: 250, maxRetryDelayMs: 2000 },
    },
  },
} as const;

/**
 * dash.js's throughput estimate before its first measurement, kb/s: a LAN, where these streams are watched — above the
 * default ladders' top rungs (2.5 and 4.5 Mbit/s), so dash.js starts at the top like hls.js does.
 */
export const DASH_START_ESTIMATE_KBPS = 5000;

/** dash.js settings (player.updateSettings). */
export const DASH_SETTINGS = {
  streaming: {
    // Target distance from the live edge, seconds (same reasoning as hls.js liveSyncDuration).
    // dash.js asks for a segment the moment the clock says it is complete (not when a playlist says so), so it
    // needs more margin than hls.js: a 1 s segment is complete ~1.1 s after its first frame was captured. 1.7
    // measures 1.73 s glass-to-glass on a quiet box (docs/benchmarks.md), over issue 15's 1.5 s goal; at 1.5 (1.54 s)
    // the browser test saw 2 stalls in 20 s on the quiet box, at 1.45 3 per 20 s at load 10, at 1.4 ~5 a minute:
    // kept at 1.7 until it is known why dash.js needs ~0.6 s of margin where hls.js needs 0.25 (issue 15).
    delay: { liveDelay: 1.7 },
    liveCatchup: {
      enabled: true,
      // Seek instead of speeding up when further than this from the target.
      maxDrift: 2.5,
      playbackRate: { min: -0.08, max: 0.08 },
    },
    // (dash.js 5 renamed stableBufferTime to bufferTimeDefault and logs the old name as unsupported.)
    // stallThreshold: under this much buffered dash.js declares BUFFER_EMPTY (default 0.3 s) — its ABR's
    // insufficient-buffer rule drops quality and its catch-up treats playback as stalled. Right before the next 1 s
    // segment completes only ~0.35 s is buffered at this delay, so it would do that every second; 0.1 s keeps
    // BUFFER_EMPTY for a buffer that is really running out.
    buffer: { bufferTimeDefault: 4, bufferTimeAtTopQuality: 4, fastSwitchEnabled: true, stallThreshold: 0.1 },
    // Sync with the packager's /time (also announced as UTCTiming in the MPD).
    utcSynchronization: { enabled: true },
    // The first rung: dash.js starts at the highest one under this estimate (its default, 1000 kb/s, put it on the
    // 720p ladder's bottom rung; hls.js starts on the master playlist's first variant, the top). The page's throttle
    // replaces it with the cap (main.ts). kb/s.
    abr: { initialBitrate: { video: DASH_START_ESTIMATE_KBPS } },
    retryAttempts: { MPD: 5, MediaSegment: 5, InitializationSegment: 5 },
    retryIntervals: { MPD: 250, MediaSegment: 250, InitializationSegment: 250 },
  },
} as const;

// Low-latency playback (issue 7): the packager's LL-HLS playlists (EXT-X-PART, ~200 ms parts, PART-HOLD-BACK)
// and LL-DASH MPD (chunked CMAF, availabilityTimeOffset, ServiceDescription latency target). Figures and how
// these were chosen: docs/benchmarks.md ("Low latency").

/**
 * hls.js for LL-HLS. The playlist's PART-HOLD-BACK stays at the RFC's recommended three part targets (0.6 s) for
 * every other player; this page sits closer, 0.45 s behind the edge (2.25 part targets — the RFC's floor is two): with
 * blocking reload and preload hints a part is here ~10–20 ms after it is made, and the page's catch-up (catch-up.ts)
 * slows playback a little instead of stalling when a part is late. Glass-to-glass ≈ this + ~0.1 s of encode, RTMP
 * and remux (docs/benchmarks.md). hls.js needs liveMaxLatencyDuration with liveSyncDuration.
 */
export const HLS_LL_CONFIG = {
  lowLatencyMode: true,
  liveSyncDuration: 0.45,
  liveMaxLatencyDuration: 3,
  // Load the start part while the MediaSource is still opening (time to first frame).
  startFragPrefetch: true,
  // hls.js's own catch-up needs > 1 s buffered, never true here: the page's catch-up.ts does it instead.
  maxLiveSyncPlaybackRate: 1,
  liveSyncOnStallIncrease: 0.1,
  backBufferLength: 6,
  maxBufferLength: 3,
  initialLiveManifestSize: 1,
  enableWorker: true,
  fragLoadPolicy: HLS_CONFIG.fragLoadPolicy,
} as const;

/**
 * dash.js for LL-DASH: low-latency mode (chunked fetch with moof parsing) switches on from the MPD's
 * availabilityTimeComplete="false"; the live delay comes from its ServiceDescription latency target (the packager's
 * DASH_TARGET_LATENCY_MS, 500 ms: chunks arrive as they are made, so it can sit closer than hls.js's part cadence).
 */
export const DASH_LL_SETTINGS = {
  streaming: {
    liveCatchup: {
      enabled: true,
      mode: 'liveCatchupModeDefault',
      maxDrift: 1.5,
      playbackRate: { min: -0.1, max: 0.1 },
      playbackBufferMin: 0.3,
    },
    // lowLatencyStallThreshold: the same in low-latency mode (default 0.3 s, about all a 0.5 s target has buffered
    // between two 200 ms chunks).
    // fastSwitchEnabled stays dash.js's own low-latency default (off): a switch up would re-fetch the segment being
    // played, and a live chunked segment arrives no faster than real time — on the ladder every late joiner that
    // started low re-fetched its first segment at the top rung and stalled twice in its first 3 s.
    buffer: { bufferTimeDefault: 2, bufferTimeAtTopQuality: 2, lowLatencyStallThreshold: 0.08 },
    abr: DASH_SETTINGS.streaming.abr,
    utcSynchronization: { enabled: true },
    retryAttempts: DASH_SETTINGS.streaming.retryAttempts,
    retryIntervals: DASH_SETTINGS.streaming.retryIntervals,
  },
} as const;

/**
 * The page's `?delay=<s>` override: play `delayS` behind the live edge instead of the tuned target (for ABR testing,
 * where a second of buffer is too little to survive a bandwidth drop). hls.js needs liveMaxLatencyDuration with
 * liveSyncDuration, and more than the delay.
 */
export function hlsWithLiveDelay<T extends object>(config: T, delayS: number | undefined): T {
  if (delayS === undefined) return config;
  return { ...config, liveSyncDuration: delayS, liveMaxLatencyDuration: delayS + 4, maxBufferLength: Math.max(6, delayS + 2) };
}

export function dashWithLiveDelay<T extends { streaming: { buffer?: object } }>(settings: T, delayS: number | undefined): T {
  if (delayS === undefined) return settings;
  // Buffer what the delay allows (bufferTimeDefault 2–4 s above would leave a player 12 s back with 4 s to ride out
  // a bandwidth drop).
  const buffer = { ...settings.streaming.buffer, bufferTimeDefault: delayS, bufferTimeAtTopQuality: delayS };
  return { ...settings, streaming: { ...settings.streaming, delay: { liveDelay: delayS }, buffer } };
}
