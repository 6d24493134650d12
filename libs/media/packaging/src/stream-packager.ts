// One live stream's packaging: an ffmpeg that remuxes the RTMP input into CMAF segments for HLS and DASH,
// restarted with backoff while the publisher is still there, and the stream's directory removed at the end.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@livelab/service-kit';
import { cmafPackagingJob, SupervisedFfmpeg } from '@livelab/media-ffmpeg';
import { playlistLastMsn } from './media-files';

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
  /** When the publisher started: the true availability start of the first remux run. */
  publishedAt?: Date;
}

/** Events: 'live' when first playable, 'restart' (exit) after a remux crash. */
export class StreamPackager extends EventEmitter {
  state: StreamState = 'starting';
  readonly since = new Date();
  liveSince?: Date;
  private readonly ffmpeg: SupervisedFfmpeg;
  private poll?: NodeJS.Timeout;
  private watcher?: FSWatcher;
  private segments = 0;
  private lastMsn = -1;
  private readonly waiters = new Set<() => boolean>();
  private recheck?: NodeJS.Timeout;
  /** Wall time of media time 0 of the first remux run (the publish start), for the MPD. */
  readonly publishedAt: Date;

  constructor(private readonly opts: StreamPackagerOptions) {
    super();
    this.publishedAt = opts.publishedAt ?? new Date();
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

  /** Media sequence number of the newest complete video segment (-1 before the first). */
  get latestMsn(): number {
    return this.lastMsn;
  }

  /**
   * The availabilityStartTime players should use, or undefined to keep ffmpeg's. ffmpeg stamps the MPD when it has
   * finished probing its input (~1 s after the first frame), which would add that second to every DASH player's
   * latency. The first remux run starts at the publish, so media time 0 is the publish start; after a remux restart
   * the new run starts from node-media-server's cached GOP and ffmpeg's own stamp is the better guess.
   */
  get availabilityStartOverride(): Date | undefined {
    return this.ffmpeg.restarts === 0 ? this.publishedAt : undefined;
  }

  /** Resolves true as soon as `ready()` holds (checked on every change in the stream's directory), false after `timeoutMs`. */
  waitUntil(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    if (this.state === 'ended') return Promise.resolve(false);
    return new Promise((resolve) => {
      const check = () => {
        if (this.state !== 'ended' && !ready()) return false;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.state !== 'ended');
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  async start(): Promise<void> {
    await rm(this.opts.dir, { recursive: true, force: true });
    await mkdir(this.opts.dir, { recursive: true });
    this.ffmpeg.start();
    // inotify tells us at once when ffmpeg renames a finished segment or rewrites a playlist; the slow poll is a
    // safety net.
    try {
      this.watcher = watch(this.opts.dir, () => this.onDirChange());
      this.watcher.on('error', () => undefined);
    } catch {
      /* no inotify: the poll still works */
    }
    this.poll = setInterval(() => this.onDirChange(), 250);
    this.poll.unref();
  }

  /** Stop the remux and remove every file of the stream. */
  async stop(): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.poll) clearInterval(this.poll);
    this.watcher?.close();
    for (const w of [...this.waiters]) w();
    await this.ffmpeg.stop(2000);
    await rm(this.opts.dir, { recursive: true, force: true });
  }

  private onDirChange(): void {
    if (this.recheck) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      void this.checkPlayable().then(() => {
        for (const w of [...this.waiters]) w();
      });
    }, 5);
  }

  private async checkPlayable(): Promise<void> {
    try {
      const files = new Set(await readdir(this.opts.dir));
      if (!files.has('master.m3u8') || !files.has('manifest.mpd') || !files.has('media_0.m3u8')) return;
      const playlist = await readFile(join(this.opts.dir, 'media_0.m3u8'), 'utf8');
      this.segments = (playlist.match(/^#EXTINF:/gm) ?? []).length;
      const msn = playlistLastMsn(playlist);
      if (msn >= 0) this.lastMsn = msn; // not monotonic: a restarted remux numbers from 1 again
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
