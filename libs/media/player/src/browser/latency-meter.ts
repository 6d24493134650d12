// Glass-to-glass latency from the burned-in timecode strip: on each presented frame, draw it into a small
// canvas, decode the capture time, and compare with the (server-corrected) time the frame is displayed.
import { CLOCK_PATH } from '@livelab/media-contract';
import { decodeTimecodeStrip } from '@livelab/media-testsignal';

type FrameCallback = (now: number, meta: { expectedDisplayTime: number; width: number; height: number }) => void;
type VideoWithRvfc = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: FrameCallback) => number;
  cancelVideoFrameCallback?: (id: number) => void;
};

export class LatencyMeter {
  private readonly canvas = document.createElement('canvas');
  private readonly ctx: CanvasRenderingContext2D;
  private handle?: number;
  private lastDecode = 0;
  /** server clock − browser clock, ms (from /time); the generator's and packager's clocks are assumed synced. */
  clockOffsetMs = 0;
  samples: Array<{ t: number; ms: number }> = [];
  decodeFailures = 0;

  constructor(
    private readonly video: VideoWithRvfc,
    private readonly minIntervalMs = 100,
  ) {
    this.canvas.width = 320;
    this.canvas.height = 180;
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  }

  start(): void {
    this.stop();
    const onFrame: FrameCallback = (_now, meta) => {
      this.measure(performance.timeOrigin + meta.expectedDisplayTime);
      this.handle = this.video.requestVideoFrameCallback?.(onFrame);
    };
    if (this.video.requestVideoFrameCallback) this.handle = this.video.requestVideoFrameCallback(onFrame);
  }

  stop(): void {
    if (this.handle !== undefined) this.video.cancelVideoFrameCallback?.(this.handle);
    this.handle = undefined;
  }

  reset(): void {
    this.samples = [];
    this.decodeFailures = 0;
  }

  get latest(): number | undefined {
    return this.samples.at(-1)?.ms;
  }

  private measure(displayEpochMs: number): void {
    const now = Date.now();
    if (now - this.lastDecode < this.minIntervalMs) return;
    const { videoWidth: w, videoHeight: h } = this.video;
    if (!w || !h) return;
    this.lastDecode = now;
    const ch = Math.max(64, Math.round((this.canvas.width * h) / w));
    if (this.canvas.height !== ch) this.canvas.height = ch;
    this.ctx.drawImage(this.video, 0, 0, this.canvas.width, ch);
    const img = this.ctx.getImageData(0, 0, this.canvas.width, ch);
    const captured = decodeTimecodeStrip(img.data, img.width, img.height);
    if (captured === null) {
      this.decodeFailures++;
      return;
    }
    const ms = displayEpochMs + this.clockOffsetMs - captured;
    this.samples.push({ t: now, ms });
    const cutoff = now - 120_000;
    while (this.samples.length && this.samples[0].t < cutoff) this.samples.shift();
  }
}

/** Estimate server − browser clock offset from the packager's clock (NTP-style, half the round trip). */
export async function measureClockOffset(url = CLOCK_PATH): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    const res = await fetch(url, { cache: 'no-store' });
    const server = Date.parse((await res.text()).trim());
    const t1 = Date.now();
    if (Number.isFinite(server) && t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: server - (t0 + t1) / 2 };
  }
  return best.offset;
}
