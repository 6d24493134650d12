// Samples of the frames the video presents (requestVideoFrameCallback), at most one per `minIntervalMs`: each is
// drawn into a small canvas (`width` wide, the frame's aspect) and handed over as ImageData with its display time in
// epoch ms — what the latency meter (timecode strip) and the rung meter (rung strip) read. `null` image: the frame
// could not be read (a cross-origin ?src= stream without CORS taints the canvas). Does nothing in a browser without
// requestVideoFrameCallback.
type FrameCallback = (now: number, meta: { expectedDisplayTime: number }) => void;
export type VideoWithRvfc = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: FrameCallback) => number;
  cancelVideoFrameCallback?: (id: number) => void;
};

export class FrameSampler {
  private readonly canvas = document.createElement('canvas');
  private readonly ctx: CanvasRenderingContext2D;
  private handle?: number;
  private lastSample = 0;

  constructor(
    private readonly video: VideoWithRvfc,
    private readonly opts: { width: number; minIntervalMs: number },
    private readonly onSample: (img: ImageData | null, displayEpochMs: number, nowMs: number) => void,
  ) {
    this.canvas.width = opts.width;
    this.canvas.height = Math.round((opts.width * 9) / 16);
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  }

  start(): void {
    this.stop();
    const onFrame: FrameCallback = (_now, meta) => {
      this.sample(performance.timeOrigin + meta.expectedDisplayTime);
      this.handle = this.video.requestVideoFrameCallback?.(onFrame);
    };
    if (this.video.requestVideoFrameCallback) this.handle = this.video.requestVideoFrameCallback(onFrame);
  }

  stop(): void {
    if (this.handle !== undefined) this.video.cancelVideoFrameCallback?.(this.handle);
    this.handle = undefined;
  }

  private sample(displayEpochMs: number): void {
    const now = Date.now();
    if (now - this.lastSample < this.opts.minIntervalMs) return;
    const { videoWidth: w, videoHeight: h } = this.video;
    if (!w || !h) return;
    this.lastSample = now;
    const ch = Math.max(64, Math.round((this.canvas.width * h) / w));
    if (this.canvas.height !== ch) this.canvas.height = ch;
    let img: ImageData | null;
    try {
      this.ctx.drawImage(this.video, 0, 0, this.canvas.width, ch);
      img = this.ctx.getImageData(0, 0, this.canvas.width, ch);
    } catch {
      img = null;
    }
    this.onSample(img, displayEpochMs, now);
  }
}
