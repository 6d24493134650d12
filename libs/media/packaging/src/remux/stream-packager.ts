// One live stream's packaging: an ffmpeg that remuxes the RTMP input into CMAF chunks uploaded into this stream's
// in-memory store, restarted with backoff while the publisher is still there (media time and segment numbers
// continue across restarts), and the timeline the manifests are written from (cmaf/timeline.ts), settled when the
// stream becomes playable.
import { EventEmitter } from 'node:events';
import type { Logger } from '@livelab/service-kit';
import { cmafPackagingJob, SupervisedFfmpeg, type FfmpegExit } from '@livelab/media-ffmpeg';
import { CHUNK_SECONDS } from '@livelab/media-contract';
import { CmafStore, type LiveTimeline } from '../cmaf/cmaf-store';
import { playableTimeline } from '../cmaf/timeline';

export type StreamState = 'starting' | 'live' | 'ended';

export interface StreamPackagerOptions {
  name: string;
  /** rtmp://127.0.0.1:<port>/live/<name> */
  input: string;
  /** Where the remux uploads (CmafUploadServer.register). */
  uploadBaseUrl: string;
  store: CmafStore;
  logger: Logger;
  /**
   * Complete video segments before the stream counts as playable (default 1: hls.js needs one complete segment in a
   * playlist — with only parts it reports LEVEL_EMPTY_ERROR and retries later — and the standard manifests need one).
   */
  minSegments?: number;
  segmentSeconds?: number;
  chunkSeconds?: number;
  backoff?: { baseMs: number; capMs: number };
  /** One rung of an ABR ladder (ladder/): the input has only this kind of track and keeps the publisher's timestamps. */
  rung?: 'video' | 'audio';
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
      () => cmafPackagingJob({ input: opts.input, uploadBaseUrl: opts.uploadBaseUrl, segmentSeconds: opts.segmentSeconds, chunkSeconds: opts.chunkSeconds, rung: opts.rung }),
      { logger: opts.logger, restart: true, backoff: opts.backoff ?? { baseMs: 300, capMs: 5000 }, stableAfterMs: 10_000 },
    );
    this.ffmpeg.on('exit', (e: FfmpegExit) => {
      if (e.killed) this.emit('killed', e);
      if (this.state === 'ended') return;
      this.store.beginRun();
      this.emit('restart', e);
    });
    this.store.on('segment', () => this.checkPlayable());
    this.store.on('part', () => this.checkPlayable());
  }

  get name(): string {
    return this.opts.name;
  }

  get restarts(): number {
    return this.ffmpeg.restarts;
  }

  get chunkSeconds(): number {
    return this.opts.chunkSeconds ?? CHUNK_SECONDS;
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
    const timeline = playableTimeline(this.store.readyTracks(), this.opts.minSegments ?? 1, this.chunkSeconds);
    if (!timeline) return;
    this.timeline = timeline;
    // The first part of the video track, or of the only track there is (a ladder's audio rung has no video).
    const first = this.store.videoTrack() ?? this.store.readyTracks()[0];
    this.state = 'live';
    this.liveSince = new Date();
    this.opts.logger.info(
      {
        stream: this.name,
        startupMs: Date.now() - this.since.getTime(),
        // Where the start-up went: the remux's first part (publisher start + remux spawn + probe), then the segment.
        firstPartMs: Math.min(...(first?.ordered() ?? []).flatMap((s) => s.parts.map((p) => p.availableAt))) - this.since.getTime(),
        segmentSeconds: this.timeline.segmentSeconds,
      },
      'stream playable',
    );
    this.emit('live');
  }
}
