// A/V sync as the viewer gets it: when the test signal's beep is heard against when its flash is shown
// (@livelab/media-testsignal av-sync-marks: the beep sounds exactly while the flash frames are on screen).
// - Audio: the element's sound is routed through Web Audio (MediaElementAudioSourceNode → an AudioWorklet that
//   passes it on to the speakers and reports the context time of each beep onset, to the sample). The context's
//   output timestamp turns that into the moment it leaves for the speakers, on the performance clock, less the
//   graph's own latency (baseLatency + outputLatency, 42 ms in headless Chromium): the element syncs its video to
//   the moment it hands audio to the graph, not knowing the graph's latency, so that latency is the meter's own
//   doing and would not be there without it. It is reported apart (graphLatencyMs).
// - Video: requestVideoFrameCallback on every presented frame, the flash square's brightness read from a tiny
//   canvas; the onset is the expectedDisplayTime of the first bright frame. An onset seen right after a dropped or
//   skipped frame is not counted (its true first frame may not have been shown).
// offset = heard − shown, ms: positive when the sound comes late. Hand-written: no library measures this.
import { AV_MARK_SECONDS, BEEP_AMPLITUDE, flashBox } from '@livelab/media-testsignal';

type FrameMeta = { expectedDisplayTime: number; mediaTime: number; presentedFrames: number; width: number; height: number };
type VideoWithRvfc = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: FrameMeta) => void) => number;
};

/** The worklet, as source (a Blob URL module: the page is one bundle). Runs in the audio rendering thread. */
const ONSET_WORKLET = `
class BeepOnset extends AudioWorkletProcessor {
  constructor() { super(); this.quiet = 0; }
  process(inputs, outputs) {
    const input = inputs[0], output = outputs[0];
    for (let c = 0; c < output.length; c++) if (input[c]) output[c].set(input[c]);
    const ch = input[0];
    if (!ch) return true;
    for (let i = 0; i < ch.length; i++) {
      if (Math.abs(ch[i]) > ${BEEP_AMPLITUDE * 0.25}) {
        if (this.quiet > sampleRate * ${(1 - AV_MARK_SECONDS) / 2}) this.port.postMessage(currentTime + i / sampleRate);
        this.quiet = 0;
      } else this.quiet++;
    }
    return true;
  }
}
registerProcessor('livelab-beep-onset', BeepOnset);
`;

/** Pairs beep and flash onsets closer than this, ms (the marks come once a second). */
const PAIR_WINDOW_MS = 400;

export class AvSyncMeter {
  /** heard − shown per beep, ms, newest last (last 2 minutes). */
  samples: Array<{ t: number; ms: number }> = [];
  /** Why nothing is measured, for the stats panel (e.g. muted). */
  state: 'off' | 'muted' | 'measuring' | 'unsupported' = 'off';
  private ctx?: AudioContext;
  private attached = false;
  private readonly canvas = document.createElement('canvas');
  private readonly g: CanvasRenderingContext2D;
  private lastPresented = -1;
  private lastMediaTime = 0;
  /** The shortest step between presented frames' media times seen: one frame period, s. */
  private framePeriod = Infinity;
  private wasBright = false;
  private readonly heard: number[] = [];
  private readonly shown: number[] = [];

  constructor(private readonly video: VideoWithRvfc) {
    this.canvas.width = this.canvas.height = 4;
    this.g = this.canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  }

  /**
   * Route the element's audio through the onset detector. Only when the audio context runs (autoplay with sound
   * allowed, or from a click): a suspended context would silence the element. Call again from a user gesture.
   */
  async enable(): Promise<boolean> {
    if (this.attached) return true;
    if (typeof AudioWorkletNode === 'undefined' || !this.video.requestVideoFrameCallback) {
      this.state = 'unsupported';
      return false;
    }
    this.ctx ??= new AudioContext({ latencyHint: 'interactive' });
    if (this.ctx.state !== 'running') await Promise.race([this.ctx.resume(), new Promise((r) => setTimeout(r, 200))]);
    if (this.ctx.state !== 'running') {
      this.state = 'muted';
      return false;
    }
    const url = URL.createObjectURL(new Blob([ONSET_WORKLET], { type: 'text/javascript' }));
    await this.ctx.audioWorklet.addModule(url);
    URL.revokeObjectURL(url);
    const node = new AudioWorkletNode(this.ctx, 'livelab-beep-onset', { outputChannelCount: [2] });
    node.port.onmessage = (e: MessageEvent<number>) => this.onBeep(e.data);
    this.ctx.createMediaElementSource(this.video).connect(node).connect(this.ctx.destination);
    this.attached = true;
    this.state = 'measuring';
    this.watchFrames();
    return true;
  }

  reset(): void {
    this.samples = [];
    this.heard.length = this.shown.length = 0;
    this.lastPresented = -1;
    this.framePeriod = Infinity;
  }

  /** Median of the last 20 offsets, ms. */
  get median(): number | undefined {
    const v = this.samples.slice(-20).map((s) => s.ms).sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : undefined;
  }

  /** Latency the Web Audio route adds after the element (not in the offsets), ms. */
  get graphLatencyMs(): number | undefined {
    return this.ctx && this.attached ? (this.ctx.baseLatency + (this.ctx.outputLatency || 0)) * 1000 : undefined;
  }

  private onBeep(contextTime: number): void {
    const ctx = this.ctx as AudioContext;
    const out = ctx.getOutputTimestamp();
    if (out.contextTime === undefined || out.performanceTime === undefined) return;
    const heard = out.performanceTime + (contextTime - out.contextTime) * 1000 - (this.graphLatencyMs ?? 0);
    this.add(this.heard, heard, this.shown, 1);
  }

  private watchFrames(): void {
    const onFrame = (_now: number, meta: FrameMeta) => {
      this.video.requestVideoFrameCallback?.(onFrame);
      const { videoWidth: w, videoHeight: h } = this.video;
      // An onset is timed only on a frame that follows its predecessor directly: no frame skipped in presentation
      // (presentedFrames) nor in media time (a frame the compositor dropped does not count as presented, but leaves
      // a gap of 2+ frame periods in mediaTime; timing the flash on the frame after it would read a period late).
      const step = meta.mediaTime - this.lastMediaTime;
      if (step >= 0.005) this.framePeriod = Math.min(this.framePeriod, step); // (≤ 200 fps: ignores timestamp jitter)
      const continuous = meta.presentedFrames === this.lastPresented + 1 && step > 0 && step < this.framePeriod * 1.5;
      this.lastPresented = meta.presentedFrames;
      this.lastMediaTime = meta.mediaTime;
      if (!w || !h) return;
      const box = flashBox(w, h);
      const inset = box.size / 4;
      this.g.drawImage(this.video, box.x + inset, box.y + inset, box.size / 2, box.size / 2, 0, 0, 4, 4);
      const px = this.g.getImageData(0, 0, 4, 4).data;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4) sum += px[i] + px[i + 1] + px[i + 2];
      const bright = sum / (px.length / 4) / 3 > 200;
      if (bright && !this.wasBright && continuous) this.add(this.shown, meta.expectedDisplayTime, this.heard, -1);
      this.wasBright = bright;
    };
    this.video.requestVideoFrameCallback?.(onFrame);
  }

  /** Record an onset (performance ms) and pair it with the other kind's nearest one. sign: +1 heard, −1 shown. */
  private add(mine: number[], at: number, other: number[], sign: 1 | -1): void {
    mine.push(at);
    if (mine.length > 8) mine.shift();
    const i = other.findIndex((o) => Math.abs(o - at) < PAIR_WINDOW_MS);
    if (i < 0) return;
    const ms = sign * (at - other[i]);
    other.splice(i, 1);
    mine.pop();
    this.samples.push({ t: Date.now(), ms });
    const cutoff = Date.now() - 120_000;
    while (this.samples.length && this.samples[0].t < cutoff) this.samples.shift();
  }
}
