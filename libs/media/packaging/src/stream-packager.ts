// One live stream's packaging: an ffmpeg that remuxes the RTMP input into CMAF segments for HLS and DASH,
// restarted with backoff while the publisher is still there, and the stream's directory removed at the end.
import { EventEmitter } from 'node:events';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@livelab/service-kit';
import { cmafPackagingJob, SupervisedFfmpeg } from '@livelab/media-ffmpeg';

export type StreamState = 'starting' | 'live' | 'ended';

export interface StreamPackagerOptions {
  name: string;
  /** rtmp://127.0.0.1:<port>/live/<name> */
  input: string;
  dir: string;
  logger: Logger;
  utcTimingUrl?: string;
  /** Segments listed in the HLS media playlist before the stream counts as playable. */
  minSegments?: number;
  backoff?: { baseMs: number; capMs: number };
}

/** Events: 'live' when first playable, 'restart' (exit) after a remux crash. */
export class StreamPackager extends EventEmitter {
  state: StreamState = 'starting';
  readonly since = new Date();
  liveSince?: Date;
  private readonly ffmpeg: SupervisedFfmpeg;
  private poll?: NodeJS.Timeout;
  private segments = 0;

  constructor(private readonly opts: StreamPackagerOptions) {
    super();
    this.ffmpeg = new SupervisedFfmpeg(
      `remux:${opts.name}`,
      () => cmafPackagingJob({ input: opts.input, outputDir: opts.dir, utcTimingUrl: opts.utcTimingUrl }),
      { logger: opts.logger, restart: true, backoff: opts.backoff ?? { baseMs: 300, capMs: 5000 }, stableAfterMs: 10_000 },
    );
    this.ffmpeg.on('exit', (e) => {
      if (this.state !== 'ended') this.emit('restart', e);
    });
  }

  get name(): string {
    return this.opts.name;
  }

  get restarts(): number {
    return this.ffmpeg.restarts;
  }

  /** Number of media segments currently listed in the video playlist. */
  get segmentCount(): number {
    return this.segments;
  }

  async start(): Promise<void> {
    await rm(this.opts.dir, { recursive: true, force: true });
    await mkdir(this.opts.dir, { recursive: true });
    this.ffmpeg.start();
    this.poll = setInterval(() => void this.checkPlayable(), 150);
    this.poll.unref();
  }

  /** Stop the remux and remove every file of the stream. */
  async stop(): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.poll) clearInterval(this.poll);
    await this.ffmpeg.stop(2000);
    await rm(this.opts.dir, { recursive: true, force: true });
  }

  private async checkPlayable(): Promise<void> {
    try {
      const files = new Set(await readdir(this.opts.dir));
      if (!files.has('master.m3u8') || !files.has('manifest.mpd') || !files.has('media_0.m3u8')) return;
      const playlist = await readFile(join(this.opts.dir, 'media_0.m3u8'), 'utf8');
      this.segments = (playlist.match(/^#EXTINF:/gm) ?? []).length;
      if (this.state === 'starting' && this.segments >= (this.opts.minSegments ?? 2)) {
        this.state = 'live';
        this.liveSince = new Date();
        this.opts.logger.info({ stream: this.name, startupMs: Date.now() - this.since.getTime() }, 'stream playable');
        this.emit('live');
      }
    } catch {
      /* directory not there yet, or being rewritten */
    }
  }
}
