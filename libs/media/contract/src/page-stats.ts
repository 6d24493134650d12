// What the live page reports about its playback, for people (the stats panel) and for the browser tests and the
// bench, which read it with `window.livelabStats()`.
import type { Format, Mode } from './modes';

export interface PageStats {
  stream?: string;
  format?: Format;
  mode?: Mode;
  playing: boolean;
  currentTime: number;
  /** Newest glass-to-glass latency decoded from the timecode strip, ms. */
  g2gMs?: number;
  g2gSamples: number[];
  decodeFailures: number;
  playerLatencyS?: number;
  targetLatencyS?: number;
  bufferS: number;
  bitrateKbps?: number;
  /** e.g. 640x360 */
  resolution?: string;
  droppedFrames?: number;
  totalFrames?: number;
  stalls: number;
  /** A/V sync: when each beep is heard minus when its flash is shown, ms (positive: sound late), newest last. */
  avSamples: number[];
  /** Latency the page's Web Audio route (needed to measure) adds after the element, ms; not in avSamples. */
  avGraphLatencyMs?: number;
  /** Median of the last 20 of avSamples, ms. */
  avOffsetMs?: number;
  /** 'measuring', or why not: 'muted' (sound needs a click or autoplay with sound), 'unsupported', 'off'. */
  avState: 'off' | 'muted' | 'measuring' | 'unsupported';
  /** From picking a stream to its first frame, ms. */
  firstFrameMs?: number;
  errors: string[];
  /** The player's recovery (the page's event lane): error, retry, stall, resume, oldest first. */
  recovery?: RecoveryEvent[];
  /** Fault rules the page plays with (?faults=, the fault panel), '' for none. */
  faults?: string;
  /** Renditions, the rung chosen and on screen, switches and the throttle (issue 17). */
  abr: AbrStats;
}

export type RecoveryEventKind = 'error' | 'retry' | 'stall' | 'resume';
export interface RecoveryEvent {
  /** Wall clock, ms. */
  t: number;
  kind: RecoveryEventKind;
  /** e.g. "chunk-0-17648…m4s 404", "buffer empty at 12.3 s". */
  detail: string;
}

/** One video rendition of the stream as the page's menu lists it. */
export interface RenditionInfo {
  /** The rung index (0 = top): from the file names / Representation id of our ladders, else the bitrate rank. */
  rung: number;
  width?: number;
  height?: number;
  /** The manifest's declared bitrate (HLS BANDWIDTH, DASH @bandwidth), kbit/s. */
  bitrateKbps: number;
}

/** A rendition switch the player made, as the page logged it. Times are epoch ms (Date.now()). */
export interface RungSwitch {
  /** When the player asked for the new rung (hls.js LEVEL_SWITCHING, dash.js QUALITY_CHANGE_REQUESTED). */
  requestedAt: number;
  /** undefined for the first choice. */
  from?: number;
  to: number;
  direction: 'up' | 'down' | 'first';
  /** What the player gave as the cause (dash.js's ABR rule), or how the page asked ('pinned', 'auto'). */
  reason?: string;
  /** The player's bandwidth estimate when it asked, kbit/s. */
  estimateKbps?: number;
  /** When the player says the new rung plays (hls.js LEVEL_SWITCHED, dash.js QUALITY_CHANGE_RENDERED). */
  renderedAt?: number;
  /** When the rung strip of a presented frame first read `to` after the request. */
  onScreenAt?: number;
}

export interface AbrStats {
  renditions: RenditionInfo[];
  /** 'auto' (the player's ABR) or the rung the user pinned. */
  selection: 'auto' | number;
  /** The rung the player chose last (what it is loading). */
  selectedRung?: number;
  /** The rung index decoded from the rung strip of the newest presented frame; null: no strip (single rendition). */
  rungOnScreen?: number | null;
  /** The player's own bandwidth estimate, kbit/s (hls.js bandwidthEstimate, dash.js getAverageThroughput). */
  estimateKbps?: number;
  /** The page's bandwidth cap, kbit/s; undefined: off. */
  capKbps?: number;
  /** Oldest first, the last 200. */
  switches: RungSwitch[];
}

/** The page's window, as the page sets it and the tests read it. */
export interface PageStatsWindow {
  livelabStats: () => PageStats;
}
