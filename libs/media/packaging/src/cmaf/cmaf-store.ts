// One live stream's media in memory: per track its init segment and a bounded window of CMAF segments, each
// made of parts (one `moof`+`mdat` fragment each, ~200 ms) as the remux uploads them. Both low-latency and
// standard HLS/DASH are served from here; nothing touches the disk. The window is the packager's time-shift (DVR)
// window (DVR_WINDOW_S, @livelab/media-contract live-window.ts) plus SPARE_SEGMENTS, under a byte budget per store
// (`maxBytes`) that trims the oldest segments first: what a publisher can make us hold is bounded whatever its bitrate. Readers wait on `waitFor` and are woken on
// every new part, so a blocked playlist request or an in-progress segment download moves the moment data lands.
import { EventEmitter } from 'node:events';
import { DVR_WINDOW_S, dvrWindowSegments } from '@livelab/media-contract';
import { BoxSplitter, parseInitSegment, parseMoof, withoutEmptyEdit, type TrackInfo } from './fmp4';
import { highestSegmentNumber } from './segment-numbers';
import { ReadyWaiters } from './ready-waiters';

export interface Part {
  /** Index within its segment, from 0. */
  index: number;
  /** The part's bytes: [styp] [prft] moof mdat. */
  data: Buffer;
  /** In the track's timescale. */
  duration: number;
  /** Starts with a sync sample (keyframe). */
  independent: boolean;
  samples: number;
  /** Wall-clock ms when the part was complete here. */
  availableAt: number;
}

export class Segment {
  readonly parts: Part[] = [];
  complete = false;
  /** Decode time of the first sample (track timescale); undefined until the first part. */
  startTime?: number;
  /** Sum of the parts' durations (track timescale). */
  duration = 0;
  bytes = 0;
  /** Boxes after the last mdat (rare): sent at the end of the segment. */
  tail: Buffer[] = [];
  /** Once complete: the whole segment as one Buffer (its parts' `data` are views into it: no copy is held twice). */
  data?: Buffer;
  readonly startedAt = Date.now();
  /** First segment after a remux restart (HLS: EXT-X-DISCONTINUITY is not needed: times are continued). */
  constructor(
    readonly number: number,
    readonly track: Track,
  ) {}

  /** Segment bytes, as far as they have arrived. */
  chunks(): Buffer[] {
    return this.data ? [this.data] : [...this.parts.map((p) => p.data), ...this.tail];
  }

  /** Once complete, join the parts into one Buffer and make each part a view of it (one copy per segment, ever). */
  seal(): void {
    if (this.data) return;
    const data = Buffer.concat([...this.parts.map((p) => p.data), ...this.tail]);
    let at = 0;
    for (const p of this.parts) {
      const n = p.data.length;
      p.data = data.subarray(at, at + n);
      at += n;
    }
    this.tail = at < data.length ? [data.subarray(at)] : []; // still sent last to readers of the segment in progress
    this.data = data;
  }

  get durationS(): number {
    return this.duration / this.track.timescale;
  }
}

export class Track {
  init?: Buffer;
  info?: TrackInfo;
  readonly segments = new Map<number, Segment>();
  /** Added to every tfdt so media time continues across remux restarts (track timescale). */
  timeOffset = 0;
  /**
   * The leading empty edit of the init segment the current remux run sent (track timescale): added to every tfdt of
   * that run, and taken out of the init players get, so a tfdt is the sample's presentation time for every player
   * (fmp4.ts TrackInfo.editShiftTicks: MSE ignores empty edits).
   */
  editShift = 0;
  /** End of the newest part's media time (after offset). */
  mediaEnd?: number;
  /** First decode time seen (after offset): the presentation time offset for DASH. */
  firstTime?: number;
  /**
   * Complete segments the manifests may offer (list, and a DASH player may seek back over): the store's
   * `windowSegments`, fewer while the byte budget holds the track shorter (CmafStore `maxBytes`).
   */
  window: number;
  /** The byte budget trimmed this track since it last held a full window. */
  budgetTrimmed = false;

  constructor(
    readonly id: number,
    window = DEFAULT_WINDOW_SEGMENTS,
  ) {
    this.window = window;
  }

  get timescale(): number {
    return this.info?.timescale ?? 1;
  }

  /** Segments oldest first. */
  ordered(): Segment[] {
    return [...this.segments.values()].sort((a, b) => a.number - b.number);
  }

  /** Newest segment that is complete, if any. */
  lastComplete(): Segment | undefined {
    let best: Segment | undefined;
    for (const s of this.segments.values()) if (s.complete && (!best || s.number > best.number)) best = s;
    return best;
  }

  /** Complete segments held. */
  completeCount(): number {
    let n = 0;
    for (const s of this.segments.values()) if (s.complete) n++;
    return n;
  }

  /** The segment being made (newest, incomplete), if any. */
  inProgress(): Segment | undefined {
    let best: Segment | undefined;
    for (const s of this.segments.values()) if (!s.complete && (!best || s.number > best.number)) best = s;
    return best;
  }
}

/** The default DVR window in (1 s) segments. */
export const DEFAULT_WINDOW_SEGMENTS = dvrWindowSegments(DVR_WINDOW_S.default);
/**
 * Complete segments kept beyond the window: a segment that just left a playlist stays fetchable for a player that
 * loaded the playlist a moment before (RFC 8216 §6.2.2; ffmpeg's `extra_window_size`).
 */
export const SPARE_SEGMENTS = 2;
/**
 * Default byte budget of one store (one publish: a single stream, or one rung of a ladder): 48 MiB holds the full
 * default window (30 + 2 + 1 segments) up to ~12 Mbit/s; above that the window shortens instead of memory growing.
 */
export const DEFAULT_STORE_MAX_BYTES = 48 * 1024 * 1024;
/** A segment may take at most this share of the budget (so the budget always holds a few). */
const SEGMENT_SHARE_OF_BUDGET = 1 / 4;

export interface CmafStoreOptions {
  /** Complete segments manifests offer per track (the DVR window); SPARE_SEGMENTS more are kept. */
  windowSegments?: number;
  /**
   * Byte budget of the whole store (init segments and every segment held, in progress included): past it the
   * oldest complete segments go first and the tracks' `window` shrinks until it fits (DEFAULT_STORE_MAX_BYTES).
   */
  maxBytes?: number;
  /** Upper bound on one segment's bytes; an upload beyond it is cut off (default a quarter of `maxBytes`). */
  maxSegmentBytes?: number;
  /** Number given to the remux's first segment (later ones follow on, also across remux restarts): segment-numbers.ts. */
  firstNumber?: number;
  /**
   * An ABR ladder's rung (ladder/): the id its track takes in the presentation (rung k's video is track k, the audio
   * LADDER_AUDIO_TRACK) instead of the remux's stream index.
   */
  trackIdFor?: (info: TrackInfo) => number;
  /**
   * An ABR ladder's rung: number each segment from its media time, as the ladder's alignment rule says (called at the
   * segment's first fragment with its decode time as the remux wrote it; undefined drops the segment). Decode times
   * are not continued across restarts here: the callback sets the track's `timeOffset` (ladder-alignment.ts).
   */
  placeSegment?: (track: Track, remuxNumber: number, baseDecodeTime: number, run: number) => number | undefined;
}

/**
 * Events: 'part' (track, segment, part), 'segment' (track, segment) when complete, 'change' after any of them, a
 * new init segment, or close.
 */
export class CmafStore extends EventEmitter {
  readonly tracks = new Map<number, Track>();
  /** Goes up on every change: manifests written from the store are cached per version (http/manifest-cache.ts). */
  version = 0;
  private readonly waiters = new ReadyWaiters(() => this.closed);
  private numberOffset = 0;
  private highestNumber = 0;
  private readonly firstNumber: number;
  private closed = false;
  /** Remux stream index → track id (they differ for a ladder's rung). */
  private readonly remuxTracks = new Map<number, number>();
  private run = 0;
  readonly windowSegments: number;
  readonly maxBytes: number;
  readonly maxSegmentBytes: number;
  /** Bytes held (init + segments), kept up to date as bytes arrive and segments go. */
  private held = 0;
  private readonly trackIdFor?: CmafStoreOptions['trackIdFor'];
  private readonly placeSegment?: CmafStoreOptions['placeSegment'];

  constructor(opts: CmafStoreOptions = {}) {
    super();
    this.windowSegments = opts.windowSegments ?? DEFAULT_WINDOW_SEGMENTS;
    this.maxBytes = opts.maxBytes ?? DEFAULT_STORE_MAX_BYTES;
    this.maxSegmentBytes = Math.min(opts.maxSegmentBytes ?? Infinity, Math.floor(this.maxBytes * SEGMENT_SHARE_OF_BUDGET));
    this.firstNumber = opts.firstNumber ?? 1;
    this.trackIdFor = opts.trackIdFor;
    this.placeSegment = opts.placeSegment;
    this.numberOffset = this.firstNumber - 1;
    this.highestNumber = this.numberOffset;
    this.setMaxListeners(0);
  }

  /** The highest segment number used so far (firstNumber − 1 before the first). */
  get highestUsedNumber(): number {
    return this.highestNumber;
  }

  track(id: number): Track | undefined {
    return this.tracks.get(id);
  }

  /** Tracks with an init segment, by id. */
  readyTracks(): Track[] {
    return [...this.tracks.values()].filter((t) => t.info).sort((a, b) => a.id - b.id);
  }

  videoTrack(): Track | undefined {
    return this.readyTracks().find((t) => t.info?.kind === 'video');
  }

  /** Bytes held (init + segments), for metrics and the benchmark; never above `maxBytes` once a part is stored. */
  bytes(): number {
    return this.held;
  }

  /**
   * A new remux run is starting (after a crash): its segment numbers start from 1 again and its decode times from
   * ~0. Continue both from where the last run stopped so players see one unbroken stream.
   */
  beginRun(): void {
    this.numberOffset = this.highestNumber;
    this.run++;
    for (const t of this.tracks.values()) {
      const cur = t.inProgress();
      if (cur) this.finishSegment(t, cur); // the old run will not finish it
      if (!this.placeSegment) t.timeOffset = Number.NaN; // set from the next first fragment
    }
  }

  /** The track a remux upload names by its stream index. */
  remuxTrack(remuxId: number): Track | undefined {
    return this.tracks.get(this.remuxTracks.get(remuxId) ?? remuxId);
  }

  setInit(remuxId: number, data: Buffer): void {
    const info = parseInitSegment(data);
    const trackId = this.trackIdFor ? this.trackIdFor(info) : remuxId;
    this.remuxTracks.set(remuxId, trackId);
    let t = this.tracks.get(trackId);
    if (!t) this.tracks.set(trackId, (t = new Track(trackId, this.windowSegments)));
    t.editShift = info.editShiftTicks; // this run's own (a restarted remux starts at another time)
    // A restarted remux re-sends the same init; keep the first (URLs players hold stay valid).
    if (!t.init) {
      t.init = withoutEmptyEdit(data);
      t.info = info;
      this.held += data.length;
    }
    this.notify();
  }

  /**
   * Receive segment `number` (as the remux numbers it) of a track: returns a sink fed with upload bytes as they
   * arrive and ended when the upload completes. Throws if the track has no init segment yet.
   */
  openSegment(remuxId: number, number: number): { write(piece: Buffer): void; end(): void } {
    const t = this.remuxTrack(remuxId);
    if (!t?.info) throw new Error(`segment for track ${remuxId} before its init segment`);
    const run = this.run;
    const open = (n: number): Segment => {
      const highest = highestSegmentNumber(Date.now(), this.firstNumber);
      if (n > highest) throw new Error(`segment ${n} is ahead of the wall clock (at most ${highest} now): the publisher sends faster than segment-numbers.ts allows`);
      this.highestNumber = Math.max(this.highestNumber, n);
      const prev = t.segments.get(n);
      if (prev) this.drop(t, prev);
      const opened = new Segment(n, t);
      t.segments.set(n, opened);
      this.trimWindow(t);
      return opened;
    };
    // A ladder's rung numbers a segment from its first fragment's media time (placeSegment), so it opens there.
    let seg: Segment | undefined = this.placeSegment ? undefined : open(number + this.numberOffset);
    let dropped = false;
    let bytes = 0;
    // No box larger than a segment may be: what one upload can make us buffer is bounded by the budget too.
    const splitter = new BoxSplitter(this.maxSegmentBytes);
    let prefix: Buffer[] = [];
    let pendingTiming: ReturnType<typeof parseMoof> | undefined;
    return {
      write: (piece: Buffer) => {
        if (seg?.complete || dropped) return;
        for (const box of splitter.push(piece)) {
          if (box.type === 'moof') {
            pendingTiming = parseMoof(box.bytes, t.info as TrackInfo);
            pendingTiming.baseDecodeTime += t.editShift; // the presentation time (written into the tfdt below)
            if (!seg && this.placeSegment) {
              const n = this.placeSegment(t, number, pendingTiming.baseDecodeTime, run);
              if (n === undefined) {
                dropped = true;
                return;
              }
              seg = open(n);
              this.setBytes(seg, bytes);
            }
            this.continueTime(t, box.bytes, pendingTiming); // a ladder's rung: by the offset its placement set
          }
          prefix.push(box.bytes);
          bytes += box.bytes.length;
          if (seg) {
            this.setBytes(seg, bytes);
            if (this.held > this.maxBytes) this.trimBudget();
          }
          if (bytes > this.maxSegmentBytes) throw new Error(`segment ${seg?.number ?? number} exceeds ${this.maxSegmentBytes} bytes (a quarter of the store's byte budget)`);
          if (box.type === 'mdat' && pendingTiming && seg) {
            const timing = pendingTiming;
            pendingTiming = undefined;
            const part: Part = {
              index: seg.parts.length,
              data: prefix.length === 1 ? prefix[0] : Buffer.concat(prefix),
              duration: timing.duration,
              independent: timing.independent,
              samples: timing.sampleCount,
              availableAt: Date.now(),
            };
            prefix = [];
            if (seg.startTime === undefined) seg.startTime = timing.baseDecodeTime;
            seg.duration += timing.duration;
            seg.parts.push(part);
            t.mediaEnd = timing.baseDecodeTime + timing.duration;
            if (t.firstTime === undefined) t.firstTime = timing.baseDecodeTime;
            this.emit('part', t, seg, part);
            this.notify();
          }
        }
      },
      end: () => {
        if (!seg || seg.complete) return;
        // A fragment cut off before its mdat (the remux died mid-upload) goes, with the boxes before its moof: a
        // moof without its data at the end of the segment would break players' parsers.
        if (pendingTiming) {
          for (const b of prefix) this.setBytes(seg, seg.bytes - b.length);
          prefix = [];
        }
        seg.tail = prefix;
        this.finishSegment(t, seg);
      },
    };
  }

  /** Resolves true once `ready()` holds (checked whenever media arrives), false on timeout or close. */
  waitFor(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.waiters.waitFor(ready, timeoutMs);
  }

  /** Drop everything and wake every waiter (they see `closed`). */
  close(): void {
    this.closed = true;
    for (const t of this.tracks.values()) for (const s of t.segments.values()) s.complete = true;
    this.notify();
    this.tracks.clear();
    this.held = 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private finishSegment(t: Track, seg: Segment): void {
    seg.complete = true;
    seg.seal();
    this.updateWindow(t);
    this.emit('segment', t, seg);
    this.notify();
  }

  /**
   * Rewrite the fragment's tfdt by the track's offset (set on the first fragment after a restart); `timing` already
   * holds the run's empty edit (Track.editShift) beyond the box's own tfdt.
   */
  private continueTime(t: Track, moof: Buffer, timing: { baseDecodeTime: number; tfdtAt?: number; tfdtVersion?: number }): void {
    if (Number.isNaN(t.timeOffset)) t.timeOffset = (t.mediaEnd ?? timing.baseDecodeTime) - timing.baseDecodeTime;
    timing.baseDecodeTime += t.timeOffset;
    if (t.timeOffset + t.editShift === 0 || timing.tfdtAt === undefined) return;
    if (timing.tfdtVersion === 1) moof.writeBigUInt64BE(BigInt(timing.baseDecodeTime), timing.tfdtAt);
    else moof.writeUInt32BE(timing.baseDecodeTime >>> 0, timing.tfdtAt);
  }

  private setBytes(seg: Segment, n: number): void {
    if (seg.track.segments.get(seg.number) === seg) this.held += n - seg.bytes; // a trimmed segment no longer counts
    seg.bytes = n;
  }

  private drop(t: Track, s: Segment): void {
    if (t.segments.get(s.number) !== s) return;
    t.segments.delete(s.number);
    this.held -= s.bytes;
  }

  /** The DVR window: windowSegments + SPARE_SEGMENTS complete segments and the one in progress. */
  private trimWindow(t: Track): void {
    const keep = this.windowSegments + SPARE_SEGMENTS + 1; // + the one in progress
    const all = t.ordered();
    for (const s of all.slice(0, Math.max(0, all.length - keep))) this.drop(t, s);
    this.updateWindow(t);
  }

  /**
   * Over the byte budget: the oldest complete segments go (lowest number first, whichever track), until the store
   * fits. Segments in progress stay (each is at most a quarter of the budget), so this always ends under `maxBytes`.
   */
  private trimBudget(): void {
    while (this.held > this.maxBytes) {
      let oldest: Segment | undefined;
      for (const t of this.tracks.values()) {
        for (const s of t.segments.values()) if (s.complete && (!oldest || s.number < oldest.number)) oldest = s;
      }
      if (!oldest) return;
      this.drop(oldest.track, oldest);
      oldest.track.budgetTrimmed = true;
      this.updateWindow(oldest.track);
    }
  }

  /**
   * What the manifests offer of a track: the whole window, or — while the budget holds it shorter — the complete
   * segments held less the spare ones (at least one), until it holds a full window again.
   */
  private updateWindow(t: Track): void {
    if (!t.budgetTrimmed) return;
    const complete = t.completeCount();
    if (complete >= this.windowSegments + SPARE_SEGMENTS) t.budgetTrimmed = false;
    t.window = t.budgetTrimmed ? Math.min(this.windowSegments, Math.max(1, complete - SPARE_SEGMENTS)) : this.windowSegments;
  }

  private notify(): void {
    this.version++;
    this.waiters.wake();
    this.emit('change');
  }
}

/**
 * The fixed timing facts manifests are written from, settled when the stream becomes playable (manifests must not
 * change them afterwards).
 */
export interface LiveTimeline {
  /** Wall-clock time of media time `zeroSeconds` (DASH availabilityStartTime, HLS PROGRAM-DATE-TIME). */
  availabilityStart: Date;
  /**
   * The media time (s) availabilityStart is the wall-clock time of: the video track's first decode time. One instant
   * for every track: tracks need not start together (the remux's first audio sample can come ~0.5 s before its first
   * keyframe), and a zero per track shifted audio against video by that much (issue 15).
   */
  zeroSeconds: number;
  /** Nominal segment duration, s (DASH SegmentTemplate@duration). */
  segmentSeconds: number;
  /** HLS EXT-X-TARGETDURATION, whole seconds. */
  targetDuration: number;
  /** LL-HLS PART-TARGET per track id, s. */
  partTarget: Map<number, number>;
  /** Number of the first segment (DASH startNumber). */
  firstNumber: number;
}

/** Wall-clock ms at which media time `t` (track timescale) of track `track` was captured, by the timeline. */
export function wallClockMs(tl: LiveTimeline, track: Track, t: number): number {
  return tl.availabilityStart.getTime() + (t / track.timescale - tl.zeroSeconds) * 1000;
}

/** The timeline's zero in a track's timescale: DASH presentationTimeOffset, the same instant on every track. */
export function zeroTime(tl: LiveTimeline, track: Track): number {
  return Math.round(tl.zeroSeconds * track.timescale);
}

/** Peak bitrate over the complete segments held, bits/s (0 before the first). */
export function peakBitrate(track: Track): number {
  let peak = 0;
  for (const s of track.segments.values()) if (s.complete && s.duration > 0) peak = Math.max(peak, (s.bytes * 8) / s.durationS);
  return Math.round(peak);
}

/** Mean bitrate over the complete segments held, bits/s. */
export function averageBitrate(track: Track): number {
  let bytes = 0;
  let secs = 0;
  for (const s of track.segments.values()) {
    if (!s.complete) continue;
    bytes += s.bytes;
    secs += s.durationS;
  }
  return secs > 0 ? Math.round((bytes * 8) / secs) : 0;
}
