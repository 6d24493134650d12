// Which rung is on screen: on presented frames (requestVideoFrameCallback, at most 10 per second) the frame is drawn
// into a small canvas and the rung strip along its bottom edge is decoded (@livelab/media-testsignal rung-strip.ts).
// null when the frame has no strip (a single-rendition stream).
import { decodeRungStrip } from '@livelab/media-testsignal';

type FrameCallback = (now: number, meta: { expectedDisplayTime: number }) => void;
type VideoWithRvfc = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: FrameCallback) => number;
  cancelVideoFrameCallback?: (id: number) => void;
};

export class RungMeter {
  private readonly canvas = document.createElement('canvas');
  private readonly ctx: CanvasRenderingContext2D;
  private handle?: number;
  private lastDecode = 0;

  constructor(
    private readonly video: VideoWithRvfc,
    /** Called with the decoded rung (or null) and the frame's display time, epoch ms. */
    private readonly onRung: (rung: number | null, displayEpochMs: number) => void,
    private readonly minIntervalMs = 100,
  ) {
    // 256 px wide: 16 px per cell, and a 16:9 frame's strip (4 % of 144 px) keeps ~6 rows after scaling.
    this.canvas.width = 256;
    this.canvas.height = 144;
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

  private measure(displayEpochMs: number): void {
    const now = Date.now();
    if (now - this.lastDecode < this.minIntervalMs) return;
    const { videoWidth: w, videoHeight: h } = this.video;
    if (!w || !h) return;
    this.lastDecode = now;
    const ch = Math.max(64, Math.round((this.canvas.width * h) / w));
    if (this.canvas.height !== ch) this.canvas.height = ch;
    let img: ImageData;
    try {
      this.ctx.drawImage(this.video, 0, 0, this.canvas.width, ch);
      img = this.ctx.getImageData(0, 0, this.canvas.width, ch);
    } catch {
      // A cross-origin stream (?src=) served without CORS taints the canvas: the frame cannot be read.
      this.onRung(null, displayEpochMs);
      return;
    }
    this.onRung(decodeRungStrip(img.data, img.width, img.height), displayEpochMs);
  }
}
