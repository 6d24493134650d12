// One live stream's packaging: an ffmpeg that remuxes the RTMP input into CMAF chunks uploaded into this stream's
// in-memory store, restarted with backoff while the publisher is still there (media time and segment numbers
// continue across restarts), and the timeline the manifests are written from, settled when the stream becomes
// playable.
import { EventEmitter } from 'node:events';
import type { Logger } from '@livelab/service-kit';
import { cmafPackagingJob, SupervisedFfmpeg, type FfmpegExit } from '@livelab/media-ffmpeg';
import { CmafStore, type LiveTimeline, type Track } from './cmaf-store';

export type StreamState = 'starting' | 'live' | 'ended';

export interface StreamPackagerOptions {
  name: string;
  /** rtmp://127.0.0.1:<port>/live/<name> */
  input: string;
  /** Where the remux uploads (CmafUploadServer.register). */
  uploadBaseUrl: string;
  store: CmafStore;
  logger: Logger;
  /** Complete video segments before the stream counts as playable. */
  minSegments?: number;
  segmentSeconds?: number;
  chunkSeconds?: number;
  backoff?: { baseMs: number; capMs: number };
}

/** Events: 'live' when first playable, 'restart' (exit) after a remux crash, 'killed' when a stop needed SIGKILL. */
export class StreamPackager extends EventEmitter {
  state: StreamState = 'starting';
  readonly since = new Date();
  liveSince?: Date;
  timeline?: LiveTimeline;
  readonly store: CmafStore;
  private readonly ffmpeg: SupervisedFfmpeg;

  constructor(private readonly opts: StreamPackagerOptions) {
    super();
    this.store = opts.store;
    this.ffmpeg = new SupervisedFfmpeg(
      `remux:${opts.name}`,
      () => cmafPackagingJob({ input: opts.input, uploadBaseUrl: opts.uploadBaseUrl, segmentSeconds: opts.segmentSeconds, chunkSeconds: opts.chunkSeconds }),
      { logger: opts.logger, restart: true, backoff: opts.backoff ?? { baseMs: 300, capMs: 5000 }, stableAfterMs: 10_000 },
    );
    this.ffmpeg.on('exit', (e: FfmpegExit) => {
      if (e.killed) this.emit('killed', e);
      if (this.state === 'ended') return;
      this.store.beginRun();
      this.emit('restart', e);
    });
    this.store.on('segment', () => this.checkPlayable());
  }

  get name(): string {
    return this.opts.name;
  }

  get restarts(): number {
    return this.ffmpeg.restarts;
  }

  get chunkSeconds(): number {
    return this.opts.chunkSeconds ?? 0.2;
  }

  start(): void {
    this.ffmpeg.start();
  }

  /** Stop the remux and drop the stream's media. */
  async stop(): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.store.close();
    await this.ffmpeg.stop(2000);
  }

  private checkPlayable(): void {
    if (this.state !== 'starting') return;
    const tracks = this.store.readyTracks();
    const video = tracks.find((t) => t.info?.kind === 'video');
    if (!video) return;
    const completeVideo = video.ordered().filter((s) => s.complete && s.parts.length);
    if (completeVideo.length < (this.opts.minSegments ?? 2)) return;
    if (tracks.some((t) => !t.lastComplete())) return; // every track has media
    this.timeline = settleTimeline(tracks, video, this.chunkSeconds);
    this.state = 'live';
    this.liveSince = new Date();
    this.opts.logger.info(
      { stream: this.name, startupMs: Date.now() - this.since.getTime(), segmentSeconds: this.timeline.segmentSeconds },
      'stream playable',
    );
    this.emit('live');
  }
}

const ceilMs = (s: number) => Math.ceil(s * 1000 - 1e-6) / 1000;

/**
 * The timeline from what has arrived so far. availabilityStart is the latest wall time consistent with every part
 * of the video track having become available by the time its media had been captured: parts that came in a burst
 * (a cached GOP) would make it early, so the latest bound wins.
 */
export function settleTimeline(tracks: Track[], video: Track, chunkSeconds: number): LiveTimeline {
  const segments = video.ordered().filter((s) => s.complete && s.parts.length);
  const first = segments[0];
  const segmentSeconds = Number(first.durationS.toFixed(3));
  const zero = video.firstTime ?? 0;
  let start = -Infinity;
  for (const s of video.ordered()) {
    let end = s.startTime ?? 0;
    for (const p of s.parts) {
      end += p.duration;
      start = Math.max(start, p.availableAt - ((end - zero) / video.timescale) * 1000);
    }
  }
  const partTarget = new Map<number, number>();
  for (const t of tracks) {
    let max = chunkSeconds;
    for (const s of t.segments.values()) for (const p of s.parts) max = Math.max(max, p.duration / t.timescale);
    partTarget.set(t.id, ceilMs(max));
  }
  return {
    availabilityStart: new Date(Math.round(start)),
    segmentSeconds,
    targetDuration: Math.max(1, Math.round(Math.max(...segments.map((s) => s.durationS)))),
    partTarget,
    firstNumber: first.number - (first.startTime !== undefined && first.startTime > zero ? Math.round((first.startTime - zero) / video.timescale / segmentSeconds) : 0),
  };
}
