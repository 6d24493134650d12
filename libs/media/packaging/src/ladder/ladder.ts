// One ABR ladder (docs/abr.md): the rung publishes of one stream name (<stream>~0 … video, <stream>~audio) grouped
// into one presentation under /live/<stream>/. Each rung publish has its own remux and CmafStore (remux/
// stream-packager.ts), so one rung's failure or restart never stalls another; the rungs' segments are numbered on
// the ladder's one grid (ladder-alignment.ts) and their tracks composed for the manifests and routes
// (presentation-store.ts). A rung is in the presentation from the moment its remux is playable until its publish
// ends; a rung whose keyframes are off the grid is refused (its remux stopped, logged, counted).
import { EventEmitter } from 'node:events';
import type { Logger } from '@livelab/service-kit';
import { CHUNK_SECONDS, rungTrack, type Rung } from '@livelab/media-contract';
import { CmafStore, type CmafStoreOptions, type LiveTimeline, type Track } from '../cmaf/cmaf-store';
import type { LiveStream } from '../http/live-stream';
import type { StreamPackager, StreamState } from '../remux/stream-packager';
import { LadderAlignment } from './ladder-alignment';
import { PresentationStore } from './presentation-store';

export interface LadderOptions {
  /** The stream name the presentation is served under. */
  name: string;
  /** The ladder's first segment number (segment-numbers.ts, from its first rung's publish). */
  firstNumber: number;
  /** Each rung's store: the DVR window and the byte budget (per rung publish). */
  storeOptions?: Pick<CmafStoreOptions, 'windowSegments' | 'maxBytes'>;
  /** Nominal segment duration, s: the grid's step (the publisher's GOP). */
  segmentSeconds?: number;
  chunkSeconds?: number;
  logger: Logger;
  /** Start the remux of one rung publish into `store` (the packager registers its uploads). */
  startRemux: (publishName: string, rung: Rung, store: CmafStore) => StreamPackager;
  /** Stop a rung's remux and release its uploads. */
  stopRemux: (publishName: string, remux: StreamPackager) => Promise<void>;
}

export interface LadderRung {
  publishName: string;
  rung: Rung;
  track: number;
  remux: StreamPackager;
  /** In the presentation now. */
  member: boolean;
  refused?: string;
}

/** Events: 'live' when first playable, 'refused' (publishName, reason), 'change' when the rungs in it change. */
export class Ladder extends EventEmitter implements LiveStream {
  readonly ladder = true;
  readonly since = new Date();
  liveSince?: Date;
  readonly store = new PresentationStore();
  timeline?: LiveTimeline;
  readonly alignment: LadderAlignment;
  private readonly rungs = new Map<string, LadderRung>();
  private ended = false;

  constructor(private readonly opts: LadderOptions) {
    super();
    this.alignment = new LadderAlignment(opts.firstNumber, opts.segmentSeconds ?? 1);
  }

  get name(): string {
    return this.opts.name;
  }

  get chunkSeconds(): number {
    return this.opts.chunkSeconds ?? CHUNK_SECONDS;
  }

  /** live: playable with at least one video rung in it; ended: every rung publish has gone. */
  get state(): StreamState {
    if (this.ended) return 'ended';
    return this.timeline && this.members().some((r) => r.rung.kind === 'video') ? 'live' : 'starting';
  }

  /** The rungs in the presentation, video top first, then the audio. */
  members(): LadderRung[] {
    return [...this.rungs.values()].filter((r) => r.member).sort((a, b) => a.track - b.track);
  }

  get isEmpty(): boolean {
    return this.rungs.size === 0;
  }

  /** A rung publish started. */
  addRung(publishName: string, rung: Rung): void {
    if (this.ended) return;
    const track = rungTrack(rung);
    const store = new CmafStore({
      ...this.opts.storeOptions,
      firstNumber: this.opts.firstNumber,
      trackIdFor: () => track,
      placeSegment: (t: Track, remuxNumber, decodeTime, run) => this.place(publishName, t, remuxNumber, decodeTime, run),
    });
    const remux = this.opts.startRemux(publishName, rung, store);
    const r: LadderRung = { publishName, rung, track, remux, member: false };
    this.rungs.set(publishName, r);
    remux.on('live', () => this.join(r));
    remux.start();
  }

  /** A rung publish ended: it drops out of the presentation (its URLs 404 until it comes back). */
  async removeRung(publishName: string): Promise<void> {
    const r = this.rungs.get(publishName);
    if (!r) return;
    this.rungs.delete(publishName);
    this.leave(r);
    this.alignment.forget(publishName);
    await this.opts.stopRemux(publishName, r.remux);
  }

  /** Every rung gone (or the packager stopping): the presentation ends. */
  async end(): Promise<void> {
    const names = [...this.rungs.keys()];
    this.ended = true;
    this.store.close();
    await Promise.all(names.map((n) => this.removeRung(n)));
  }

  private place(publishName: string, t: Track, remuxNumber: number, decodeTime: number, run: number): number | undefined {
    const r = this.rungs.get(publishName);
    if (!r || r.refused) return undefined;
    const kind = t.info?.kind ?? 'video';
    const video = [...this.rungs.values()].filter((x) => x.rung.kind === 'video' && !x.refused);
    const top = Math.min(...video.map((x) => x.track));
    // The newest segment the other video rungs have made: where a restarted remux's run belongs (ladder-alignment.ts).
    const others = video.filter((x) => x !== r).map((x) => x.remux.store.track(x.track)?.inProgress()?.number ?? x.remux.store.track(x.track)?.lastComplete()?.number ?? -Infinity);
    const newest = others.length ? Math.max(...others) : undefined;
    const p = this.alignment.place(publishName, t.id, kind, remuxNumber, decodeTime / t.timescale, run, r.track === top, Number.isFinite(newest) ? newest : undefined);
    if ('number' in p) {
      t.timeOffset = Math.round(p.shiftSeconds * t.timescale); // CmafStore rewrites this run's decode times by it
      return p.number;
    }
    if ('refuse' in p) setImmediate(() => void this.refuse(r, p.refuse));
    else this.opts.logger.debug({ rung: publishName, reason: p.drop }, 'rung segment dropped');
    return undefined;
  }

  private async refuse(r: LadderRung, reason: string): Promise<void> {
    if (r.refused || this.rungs.get(r.publishName) !== r) return;
    r.refused = reason;
    this.opts.logger.warn({ stream: this.name, rung: r.publishName, reason }, 'rung refused from the ladder: not aligned');
    this.emit('refused', r.publishName, reason);
    this.leave(r);
    await this.opts.stopRemux(r.publishName, r.remux);
  }

  private join(r: LadderRung): void {
    if (r.refused || this.ended || this.rungs.get(r.publishName) !== r) return;
    r.member = true;
    this.settle();
    if (this.timeline) this.admit(r);
  }

  /** The ladder's timeline, once a video rung (and the audio, when published) is playable. */
  private settle(): void {
    if (this.timeline) return;
    const ready = [...this.rungs.values()].filter((r) => r.member && r.remux.timeline);
    const video = ready.find((r) => r.rung.kind === 'video');
    const audioPublished = [...this.rungs.values()].some((r) => r.rung.kind === 'audio' && !r.refused);
    const audioReady = ready.some((r) => r.rung.kind === 'audio');
    const zero = this.alignment.zeroSeconds;
    if (!video?.remux.timeline || (audioPublished && !audioReady) || zero === undefined) return;
    const own = video.remux.timeline;
    // The rung's own timeline is on the grid (its first segment's number and time); restated from the grid's line.
    this.timeline = {
      availabilityStart: new Date(Math.round(own.availabilityStart.getTime() - (own.zeroSeconds - zero) * 1000)),
      zeroSeconds: zero,
      segmentSeconds: own.segmentSeconds,
      targetDuration: own.targetDuration,
      partTarget: new Map(),
      firstNumber: this.alignment.firstNumber,
    };
    this.liveSince = new Date();
    for (const m of ready) this.admit(m);
    this.opts.logger.info({ stream: this.name, rungs: this.members().map((m) => m.publishName) }, 'ladder playable');
    this.emit('live');
  }

  private admit(r: LadderRung): void {
    const tl = this.timeline as LiveTimeline;
    const own = r.remux.timeline;
    if (own) {
      const target = own.partTarget.get(r.track);
      // The target duration stays the ladder's (fixed once playable): a rung with longer segments is off the grid.
      if (target !== undefined) tl.partTarget.set(r.track, target);
    }
    this.store.add(r.track, r.remux.store);
    this.emit('change');
  }

  private leave(r: LadderRung): void {
    if (!r.member) return;
    r.member = false;
    this.store.remove(r.track);
    this.emit('change');
  }
}
