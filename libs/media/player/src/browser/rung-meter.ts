// Which rung is on screen: on presented frames (requestVideoFrameCallback, at most 10 per second) the frame is drawn
// into a small canvas and the rung strip along its bottom edge is decoded (@livelab/media-testsignal rung-strip.ts).
// null when the frame has no strip (a single-rendition stream).
import { decodeRungStrip } from '@livelab/media-testsignal';
import { FrameSampler, type VideoWithRvfc } from './frame-sampler';

export class RungMeter {
  private readonly frames: FrameSampler;

  constructor(
    video: VideoWithRvfc,
    /** Called with the decoded rung (or null) and the frame's display time, epoch ms. */
    onRung: (rung: number | null, displayEpochMs: number) => void,
    minIntervalMs = 100,
  ) {
    // 256 px wide: 16 px per cell, and a 16:9 frame's strip (4 % of 144 px) keeps ~6 rows after scaling.
    this.frames = new FrameSampler(video, { width: 256, minIntervalMs }, (img, displayEpochMs) =>
      onRung(img && decodeRungStrip(img.data, img.width, img.height), displayEpochMs),
    );
  }

  start(): void {
    this.frames.start();
  }

  stop(): void {
    this.frames.stop();
  }
}
