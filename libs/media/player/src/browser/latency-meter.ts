// Glass-to-glass latency from the burned-in timecode strip: on each presented frame, draw it into a small
// canvas, decode the capture time, and compare with the (server-corrected) time the frame is displayed.
import { CLOCK_PATH } from '@livelab/media-contract';
import { decodeTimecodeStrip } from '@livelab/media-testsignal';
import { FrameSampler, type VideoWithRvfc } from './frame-sampler';

export class LatencyMeter {
  private readonly frames: FrameSampler;
  /** server clock − browser clock, ms (from /time); the generator's and packager's clocks are assumed synced. */
  clockOffsetMs = 0;
  samples: Array<{ t: number; ms: number }> = [];
  decodeFailures = 0;

  constructor(video: VideoWithRvfc, minIntervalMs = 100) {
    this.frames = new FrameSampler(video, { width: 320, minIntervalMs }, (img, displayEpochMs, now) => this.measure(img, displayEpochMs, now));
  }

  start(): void {
    this.frames.start();
  }

  stop(): void {
    this.frames.stop();
  }

  reset(): void {
    this.samples = [];
    this.decodeFailures = 0;
  }

  get latest(): number | undefined {
    return this.samples.at(-1)?.ms;
  }

  private measure(img: ImageData | null, displayEpochMs: number, now: number): void {
    const captured = img && decodeTimecodeStrip(img.data, img.width, img.height);
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
