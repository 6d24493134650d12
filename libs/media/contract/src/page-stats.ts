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
}

export type RecoveryEventKind = 'error' | 'retry' | 'stall' | 'resume';
export interface RecoveryEvent {
  /** Wall clock, ms. */
  t: number;
  kind: RecoveryEventKind;
  /** e.g. "chunk-0-17648…m4s 404", "buffer empty at 12.3 s". */
  detail: string;
}

/** The page's window, as the page sets it and the tests read it. */
export interface PageStatsWindow {
  livelabStats: () => PageStats;
}
