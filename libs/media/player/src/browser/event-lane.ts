// The player's recovery on a timeline (issue 18): error, retry, stall and resume events, drawn as a lane under the
// latency plot (same 60 s span) and reported in livelabStats().recovery. Player-agnostic, so hls.js and dash.js are
// read the same way: media requests from the Resource Timing API (Chromium reports `responseStatus`; 0 = no answer,
// a dropped or hung connection), stalls and resumes from the video element's `waiting` / `playing`.
import type { RecoveryEvent, RecoveryEventKind } from '@livelab/media-contract';
import { clearedCanvas } from './plot';

/** Events kept (the lane shows the last 60 s; older ones are dropped). */
const MAX_EVENTS = 500;
const SPAN_MS = 60_000;
const COLOURS: Record<RecoveryEventKind, string> = { error: '#ff6b6b', retry: '#ffb84f', stall: '#c38bff', resume: '#3ecf8e' };

export class EventLane {
  readonly events: RecoveryEvent[] = [];
  /** Media URLs whose last request failed: the next request for one is a retry. */
  private readonly failed = new Set<string>();
  private stalled = false;
  /** Playback has started since the last reset (the first `playing`). */
  private started = false;
  private observer?: PerformanceObserver;

  constructor(video: HTMLVideoElement) {
    // A stall is a `waiting` after playback has started. Before the first `playing` the element waits by design: with a
    // DVR window Chromium puts a live MediaSource at the seekable range's start (up to DVR_WINDOW_S back) when its
    // metadata loads, fires `waiting` there, and the player seeks to its live start a few ms later — that was shown as
    // "buffer empty at <window start>" then "resume at <edge>", a 30 s jump that never happened on screen.
    video.addEventListener('waiting', () => {
      if (this.stalled || !this.started) return;
      this.stalled = true;
      this.note('stall', `buffer empty at ${video.currentTime.toFixed(1)} s`);
    });
    video.addEventListener('playing', () => {
      this.started = true;
      if (!this.stalled) return;
      this.stalled = false;
      this.note('resume', `playing at ${video.currentTime.toFixed(1)} s`);
    });
    if (typeof PerformanceObserver === 'undefined') return;
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries() as PerformanceResourceTiming[]) this.onRequest(e);
      // Never performance.clearResourceTimings() here (the page did not before): dash.js 5 can read its requests' timings
      // from that buffer for its throughput estimate (abr.throughput.useResourceTimingApi). An observer sees every entry.
    });
    this.observer.observe({ type: 'resource', buffered: false });
  }

  reset(): void {
    this.events.length = 0;
    this.failed.clear();
    this.stalled = false;
    this.started = false;
  }

  note(kind: RecoveryEventKind, detail: string): void {
    this.events.push({ t: Date.now(), kind, detail });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  private onRequest(e: PerformanceResourceTiming): void {
    if (!/\/live\/[^/]+\/[^/?]+\.(m4s|m3u8|mpd)/.test(e.name)) return;
    const url = new URL(e.name);
    const key = url.pathname + (url.searchParams.has('_HLS_msn') ? '?reload' : '');
    const file = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    const status = (e as PerformanceResourceTiming & { responseStatus?: number }).responseStatus;
    const retry = this.failed.has(key);
    if (retry) this.note('retry', file);
    if (status === undefined) return; // a browser without responseStatus: retries only
    if (status === 0 || status >= 400) {
      this.failed.add(key);
      this.note('error', `${file} ${status === 0 ? 'no answer' : status}`);
      if (this.failed.size > MAX_EVENTS) this.failed.clear();
    } else {
      this.failed.delete(key);
    }
  }
}

/** The lane: one tick per event over the last 60 s, coloured by kind (error red, retry amber, stall violet, resume green). */
export function drawEventLane(canvas: HTMLCanvasElement, events: RecoveryEvent[]): void {
  const surface = clearedCanvas(canvas);
  if (!surface) return;
  const { ctx, w, h, dpr } = surface;
  const now = Date.now();
  const kinds: RecoveryEventKind[] = ['error', 'retry', 'stall', 'resume'];
  const row = h / kinds.length;
  ctx.font = `${10 * dpr}px system-ui, sans-serif`;
  kinds.forEach((k, i) => {
    ctx.fillStyle = '#93a0ad';
    ctx.fillText(k, 4 * dpr, i * row + row * 0.75);
  });
  for (const e of events) {
    if (e.t < now - SPAN_MS) continue;
    const x = ((e.t - (now - SPAN_MS)) / SPAN_MS) * w;
    const i = kinds.indexOf(e.kind);
    ctx.fillStyle = COLOURS[e.kind];
    ctx.fillRect(x - dpr, i * row + 2 * dpr, 2 * dpr, row - 4 * dpr);
  }
}
