import {
  AUDIO,
  boxesOf,
  feedLive,
  fragmentsOf,
  generateCmaf,
  generateLateAudioRungCmaf,
  randomPieces,
  removeCmaf,
  rng,
  VIDEO,
  type CmafFiles,
  FIXTURE_ENCODE_TIMEOUT_MS,
} from '../../test/cmaf-fixtures';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe } from '@livelab/media-ffmpeg';
import {
  averageBitrate,
  CmafStore,
  SPARE_SEGMENTS,
  peakBitrate,
  wallClockMs,
  zeroTime,
  type LiveTimeline,
  type Part,
  type Segment,
  type Track,
} from './cmaf-store';
import { parseInitSegment, parseMoof, withoutEmptyEdit, type TrackInfo } from './fmp4';

// Real CMAF from ffmpeg (6 s: six 1 s segments per track, of five ~200 ms fragments each), fed as the remux uploads it.
let files: CmafFiles;
let info: Map<number, TrackInfo>;
beforeAll(async () => {
  files = await generateCmaf(6);
  info = new Map([VIDEO, AUDIO].map((t) => [t, parseInitSegment(files.init.get(t) as Buffer)]));
}, FIXTURE_ENCODE_TIMEOUT_MS);
afterAll(() => removeCmaf(files));
afterEach(() => jest.useRealTimers());

const seg = (track: number, i: number) => files.segments.get(track)?.[i] as Buffer;
const frags = (track: number, i: number) => fragmentsOf(seg(track, i), info.get(track) as TrackInfo);
const joined = (s: Segment) => Buffer.concat(s.chunks());
/** Bytes held, counted afresh (init + every segment): what CmafStore.bytes() keeps up to date. */
const heldBytes = (store: CmafStore) =>
  store.readyTracks().reduce((n, t) => n + (t.init?.length ?? 0) + [...t.segments.values()].reduce((m, s) => m + s.bytes, 0), 0);

function newStore(opts?: ConstructorParameters<typeof CmafStore>[0]): CmafStore {
  const store = new CmafStore(opts);
  for (const t of [VIDEO, AUDIO]) store.setInit(t, Buffer.from(files.init.get(t) as Buffer));
  return store;
}

/** Uploads a whole segment file (a copy: the store may rewrite tfdt in place) in random pieces. */
function upload(
  store: CmafStore,
  track: number,
  number: number,
  bytes: Buffer,
  maxPiece = 5000,
  seed = number,
): void {
  const sink = store.openSegment(track, number);
  for (const piece of randomPieces(Buffer.from(bytes), maxPiece, rng(seed))) sink.write(piece);
  sink.end();
}

/** Base decode time of a part as stored (its moof parsed again). */
function storedTfdt(track: Track, part: Part): number {
  const moof = boxesOf(part.data).find((b) => b.type === 'moof');
  if (!moof) throw new Error('part without moof');
  return parseMoof(moof.bytes, track.info as TrackInfo).baseDecodeTime;
}

describe('CmafStore: parts and segments', () => {
  it('makes a part of each fragment the moment its mdat is complete, and completes the segment on end', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const store = newStore();
    const partEvents: Array<{ track: Track; segment: Segment; part: Part }> = [];
    const segEvents: Segment[] = [];
    store.on('part', (track: Track, segment: Segment, part: Part) =>
      partEvents.push({ track, segment, part }),
    );
    store.on('segment', (_t: Track, s: Segment) => segEvents.push(s));
    const file = seg(VIDEO, 0);
    const expected = frags(VIDEO, 0);
    const sink = store.openSegment(VIDEO, 1);
    const s = store.track(VIDEO)?.segments.get(1) as Segment;
    expect(s).toBeDefined();
    expect(s.complete).toBe(false);
    expect(store.track(VIDEO)?.inProgress()).toBe(s);
    let written = 0;
    for (const piece of randomPieces(Buffer.from(file), 3000, rng(1))) {
      jest.advanceTimersByTime(1);
      sink.write(piece);
      written += piece.length;
      const done = expected.filter((f) => f.end <= written).length;
      expect(s.parts).toHaveLength(done);
      expect(partEvents).toHaveLength(done);
      if (done && expected[done - 1].end > written - piece.length)
        expect(s.parts[done - 1].availableAt).toBe(Date.now()); // completed by this piece
    }
    expect(s.complete).toBe(false);
    expect(segEvents).toEqual([]);
    sink.end();
    expect(s.complete).toBe(true);
    expect(segEvents).toEqual([s]);
    expect(store.track(VIDEO)?.lastComplete()).toBe(s);
    expect(store.track(VIDEO)?.inProgress()).toBeUndefined();

    expect(s.parts.map((p) => p.index)).toEqual([0, 1, 2, 3, 4]);
    s.parts.forEach((p, k) => {
      expect(p.data.equals(file.subarray(expected[k].start, expected[k].end))).toBe(true);
      expect(p).toMatchObject({ duration: 3072, samples: 6, independent: k === 0 });
      expect(partEvents[k]).toMatchObject({ track: store.track(VIDEO), segment: s, part: p });
    });
    // availableAt never goes back, and differs where parts completed in different pieces.
    expect(s.parts.map((p) => p.availableAt)).toEqual(
      [...s.parts.map((p) => p.availableAt)].sort((a, b) => a - b),
    );
    expect(new Set(s.parts.map((p) => p.availableAt)).size).toBeGreaterThan(1);
    expect(joined(s).equals(file)).toBe(true);
    expect(s.bytes).toBe(file.length);
    expect(s.startTime).toBe(0);
    expect(s.duration).toBe(15360);
    expect(s.durationS).toBe(1);
    expect(store.track(VIDEO)).toMatchObject({ mediaEnd: 15360, firstTime: 0 });
  });

  it('holds every segment of both tracks byte for byte, whatever the upload pieces', () => {
    const store = newStore();
    let total = 0;
    for (const t of [VIDEO, AUDIO]) {
      total += (files.init.get(t) as Buffer).length;
      (files.segments.get(t) as Buffer[]).forEach((file, i) => {
        upload(store, t, i + 1, file, [1, 17, 1000, 70_000][i % 4], 10 * t + i);
        total += file.length;
      });
    }
    for (const t of [VIDEO, AUDIO]) {
      const track = store.track(t) as Track;
      const all = files.segments.get(t) as Buffer[];
      expect(track.ordered().map((s) => s.number)).toEqual(all.map((_f, i) => i + 1));
      track.ordered().forEach((s, i) => {
        expect(s.complete).toBe(true);
        expect(joined(s).equals(all[i])).toBe(true);
        expect(s.tail).toEqual([]);
      });
      // Media time runs on from segment to segment.
      const ordered = track.ordered();
      for (let i = 1; i < ordered.length; i++)
        expect(ordered[i].startTime).toBe((ordered[i - 1].startTime as number) + ordered[i - 1].duration);
    }
    expect(store.bytes()).toBe(total);
    expect(store.readyTracks().map((t) => t.id)).toEqual([VIDEO, AUDIO]);
    expect(store.videoTrack()?.id).toBe(VIDEO);
  });

  it('keeps the window (windowSegments) and SPARE_SEGMENTS complete segments, plus the one in progress', () => {
    expect(SPARE_SEGMENTS).toBe(2);
    const store = newStore({ windowSegments: 2 });
    for (let i = 0; i < 6; i++) upload(store, VIDEO, i + 1, seg(VIDEO, i));
    const track = store.track(VIDEO) as Track;
    // Between two segments the slot of the one in progress still holds the oldest.
    expect(track.ordered().map((s) => s.number)).toEqual([2, 3, 4, 5, 6]);
    expect(track.window).toBe(2); // what the manifests offer: the newest 2
    const sink = store.openSegment(VIDEO, 7);
    sink.write(Buffer.from(seg(VIDEO, 0).subarray(0, frags(VIDEO, 0)[0].end)));
    expect(track.ordered().map((s) => [s.number, s.complete])).toEqual([
      [3, true],
      [4, true],
      [5, true],
      [6, true],
      [7, false],
    ]);
    sink.end();
    expect(track.ordered().map((s) => s.number)).toEqual([3, 4, 5, 6, 7]);
    // Each track has its own window.
    upload(store, AUDIO, 1, seg(AUDIO, 0));
    expect(
      store
        .track(AUDIO)
        ?.ordered()
        .map((s) => s.number),
    ).toEqual([1]);
    // The bytes held follow what is kept.
    expect(store.bytes()).toBe(heldBytes(store));
  });

  it('joins a complete segment into one Buffer, its parts views of it', () => {
    const store = newStore();
    upload(store, VIDEO, 1, seg(VIDEO, 0));
    const s = store.track(VIDEO)?.segments.get(1) as Segment;
    expect(s.data?.equals(seg(VIDEO, 0))).toBe(true);
    expect(s.chunks()).toEqual([s.data]);
    for (const p of s.parts) expect(p.data.buffer).toBe(s.data?.buffer);
    expect(Buffer.concat(s.parts.map((p) => p.data)).equals(seg(VIDEO, 0))).toBe(true);
  });

  describe('the byte budget (maxBytes)', () => {
    const biggest = () => Math.max(...[0, 1, 2, 3, 4, 5].map((i) => seg(VIDEO, i).length));

    it('trims the oldest segments first and shortens the window, and lengthens it again when the bitrate falls', () => {
      const budget = 7 * biggest();
      const store = newStore({ windowSegments: 12, maxBytes: budget });
      expect(store.maxSegmentBytes).toBe(Math.floor(budget / 4));
      for (let i = 0; i < 18; i++) upload(store, VIDEO, i + 1, seg(VIDEO, i % 6));
      const track = store.track(VIDEO) as Track;
      expect(store.bytes()).toBeLessThanOrEqual(budget);
      const held = track.ordered().map((s) => s.number);
      expect(held.at(-1)).toBe(18); // the newest stay
      expect(held.length).toBeGreaterThanOrEqual(4);
      expect(held.length).toBeLessThan(12);
      expect(track.budgetTrimmed).toBe(true);
      expect(track.window).toBe(held.length - SPARE_SEGMENTS);
      // A lower bitrate (segments of one small fragment): the window grows back to the whole DVR window.
      const small = Buffer.from(seg(VIDEO, 1).subarray(frags(VIDEO, 1).at(-1)?.start, frags(VIDEO, 1).at(-1)?.end));
      expect(small.length * 15).toBeLessThan(budget);
      for (let n = 19; n < 19 + 15; n++) upload(store, VIDEO, n, small);
      expect(track.budgetTrimmed).toBe(false);
      expect(track.window).toBe(12);
      expect(track.completeCount()).toBe(12 + SPARE_SEGMENTS + 1); // between segments: the in-progress slot too
      expect(store.bytes()).toBe(heldBytes(store));
    });

    it('a hostile bitrate: a segment over a quarter of the budget is cut off, and the store never holds more than its budget', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 4 * biggest(), max: 20 * biggest() }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 25 }),
          (budget, plan) => {
            const store = newStore({ windowSegments: 8, maxBytes: budget });
            let n = 0;
            for (const [i, copies] of plan) {
              // One segment of `copies` times the fixture segment's fragments (a bitrate up to 6x): its parts in order.
              const sink = store.openSegment(VIDEO, ++n);
              let cut = false;
              try {
                for (let c = 0; c < copies; c++) {
                  sink.write(Buffer.from(seg(VIDEO, i)));
                  expect(store.bytes()).toBeLessThanOrEqual(budget);
                }
              } catch (e) {
                cut = true;
                expect((e as Error).message).toMatch(/exceeds \d+ bytes \(a quarter of the store's byte budget\)/);
              }
              sink.end();
              expect(cut).toBe(copies * seg(VIDEO, i).length > store.maxSegmentBytes);
              expect(store.bytes()).toBeLessThanOrEqual(budget);
              expect(store.bytes()).toBe(heldBytes(store));
              const t = store.track(VIDEO) as Track;
              const complete = t.completeCount();
              expect(t.window).toBeGreaterThanOrEqual(1);
              expect(t.window).toBeLessThanOrEqual(8);
              if (t.budgetTrimmed) expect(t.window).toBe(Math.min(8, Math.max(1, complete - SPARE_SEGMENTS)));
            }
          },
        ),
        { seed: 1717, numRuns: 60 },
      );
    });
  });

  it('numbers segments from firstNumber', () => {
    const store = newStore({ firstNumber: 1_764_000 });
    upload(store, VIDEO, 1, seg(VIDEO, 0));
    upload(store, VIDEO, 2, seg(VIDEO, 1));
    expect(
      store
        .track(VIDEO)
        ?.ordered()
        .map((s) => s.number),
    ).toEqual([1_764_000, 1_764_001]);
    const plain = newStore();
    upload(plain, VIDEO, 1, seg(VIDEO, 0));
    expect([...(plain.track(VIDEO) as Track).segments.keys()]).toEqual([1]);
  });

  it('keeps boxes after the last mdat as the segment tail', () => {
    const store = newStore();
    const free = Buffer.from([0, 0, 0, 12, 0x66, 0x72, 0x65, 0x65, 1, 2, 3, 4]);
    const withTail = Buffer.concat([seg(VIDEO, 0), free]);
    upload(store, VIDEO, 1, withTail);
    const s = store.track(VIDEO)?.segments.get(1) as Segment;
    expect(s.parts).toHaveLength(5);
    expect(s.tail.map((b) => b.toString('latin1', 4, 8))).toEqual(['free']);
    expect(joined(s).equals(withTail)).toBe(true);
    expect(s.bytes).toBe(withTail.length);
  });

  it('completes a cut upload with the parts that arrived whole, dropping the unfinished fragment', () => {
    const store = newStore();
    const file = seg(VIDEO, 0);
    const f = frags(VIDEO, 0);
    const sink = store.openSegment(VIDEO, 1);
    // Up to the middle of the third fragment's mdat: its sidx and moof are in, its mdat is not.
    sink.write(Buffer.from(file.subarray(0, f[2].end - 100)));
    sink.end();
    const s = store.track(VIDEO)?.segments.get(1) as Segment;
    expect(s.complete).toBe(true);
    expect(s.parts).toHaveLength(2);
    expect(s.duration).toBe(2 * 3072);
    // A moof without its mdat would break a player's parser: the segment ends with the last whole fragment.
    expect(joined(s).equals(file.subarray(0, f[1].end))).toBe(true);
    expect(s.bytes).toBe(f[1].end);
  });
});

describe('CmafStore: remux restarts', () => {
  it('beginRun finishes the old run, continues segment numbers and rewrites tfdt so media time runs on', () => {
    const store = newStore();
    // Run 1: segments 1 and 2 whole, segment 3 cut after two parts (the remux crashed), on both tracks.
    const old: Record<number, ReturnType<CmafStore['openSegment']>> = {};
    for (const t of [VIDEO, AUDIO]) {
      upload(store, t, 1, seg(t, 0));
      upload(store, t, 2, seg(t, 1));
      old[t] = store.openSegment(t, 3);
      old[t].write(Buffer.from(seg(t, 2).subarray(0, frags(t, 2)[1].end)));
    }
    const video = store.track(VIDEO) as Track;
    const audio = store.track(AUDIO) as Track;
    const endOfRun1: Record<number, number> = {
      [VIDEO]: video.mediaEnd as number,
      [AUDIO]: audio.mediaEnd as number,
    };
    expect(endOfRun1[VIDEO]).toBe(2 * 15360 + 2 * 3072);
    expect(endOfRun1[AUDIO]).toBe(
      frags(AUDIO, 2)[1].timing.baseDecodeTime + frags(AUDIO, 2)[1].timing.duration,
    );

    const finished: Array<[number, number]> = [];
    store.on('segment', (t: Track, s: Segment) => finished.push([t.id, s.number]));
    store.beginRun();
    expect(finished).toEqual([
      [VIDEO, 3],
      [AUDIO, 3],
    ]);
    expect(video.segments.get(3)?.complete).toBe(true);
    // The dying upload's last bytes change nothing.
    old[VIDEO].write(Buffer.from(seg(VIDEO, 2).subarray(frags(VIDEO, 2)[1].end)));
    old[VIDEO].end();
    expect(video.segments.get(3)?.parts).toHaveLength(2);

    // Run 2: ffmpeg starts again from segment 1 and decode time 0, and re-sends the same init.
    const firstInit = video.init;
    store.setInit(VIDEO, Buffer.from(files.init.get(VIDEO) as Buffer));
    expect(video.init).toBe(firstInit);
    for (const t of [VIDEO, AUDIO]) {
      upload(store, t, 1, seg(t, 0));
      upload(store, t, 2, seg(t, 1));
    }
    for (const t of [VIDEO, AUDIO]) {
      const track = store.track(t) as Track;
      expect(track.ordered().map((s) => s.number)).toEqual([1, 2, 3, 4, 5]);
      expect(track.firstTime).toBe(0);
      // Each part's stored tfdt continues the previous part's media time, across the restart.
      let expectTime = 0;
      for (const s of track.ordered()) {
        expect(s.startTime).toBe(expectTime);
        for (const p of s.parts) {
          expect(storedTfdt(track, p)).toBe(expectTime);
          expectTime += p.duration;
        }
      }
      expect(track.segments.get(4)?.startTime).toBe(endOfRun1[t]);
      expect(track.mediaEnd).toBe(expectTime);
      // Only the tfdt changed: the rest of each part is the file's bytes.
      const fresh = track.segments.get(4) as Segment;
      const original = frags(t, 0);
      fresh.parts.forEach((p, k) => {
        const src = seg(t, 0).subarray(original[k].start, original[k].end);
        const diff = [...p.data].flatMap((b, i) => (b === src[i] ? [] : [i]));
        const moofAt = p.data.indexOf('moof', 0, 'latin1') - 4;
        const tfdtValue =
          moofAt +
          (parseMoof(boxesOf(p.data).find((b) => b.type === 'moof')?.bytes as Buffer, track.info as TrackInfo)
            .tfdtAt as number);
        expect(diff.length).toBeGreaterThan(0);
        for (const i of diff) expect(i >= tfdtValue && i < tfdtValue + 8).toBe(true);
      });
    }
  });

  it('continues numbers past the highest of any track, the same number on every track for one remux segment', () => {
    const store = newStore({ firstNumber: 100 });
    upload(store, VIDEO, 1, seg(VIDEO, 0));
    upload(store, AUDIO, 1, seg(AUDIO, 0));
    upload(store, AUDIO, 2, seg(AUDIO, 1)); // audio was a segment ahead when the remux died
    store.beginRun();
    upload(store, VIDEO, 1, seg(VIDEO, 0));
    upload(store, AUDIO, 1, seg(AUDIO, 0));
    expect(store.track(AUDIO)?.ordered().at(-1)?.number).toBe(102);
    expect(store.track(VIDEO)?.ordered().at(-1)?.number).toBe(102);
  });
});

describe('CmafStore: waiting for media', () => {
  it('resolves at once when ready, and on the part that makes it ready', async () => {
    const store = newStore();
    await expect(store.waitFor(() => true, 10)).resolves.toBe(true);
    const track = store.track(VIDEO) as Track;
    let checks = 0;
    const ready = () => {
      checks++;
      return (track.segments.get(1)?.parts.length ?? 0) >= 2;
    };
    let settled: boolean | undefined;
    const waiting = store.waitFor(ready, 5000).then((v) => (settled = v));
    const sink = store.openSegment(VIDEO, 1);
    const file = Buffer.from(seg(VIDEO, 0));
    const f = frags(VIDEO, 0);
    sink.write(file.subarray(0, f[1].end - 1));
    await Promise.resolve();
    expect(settled).toBeUndefined();
    sink.write(file.subarray(f[1].end - 1, f[1].end));
    await waiting;
    expect(settled).toBe(true);
    // The waiter is gone: later media does not call it again.
    const after = checks;
    sink.write(file.subarray(f[1].end));
    sink.end();
    expect(checks).toBe(after);
  });

  it('resolves false on timeout, and not before', async () => {
    jest.useFakeTimers();
    const store = newStore();
    let settled: boolean | undefined;
    const waiting = store.waitFor(() => false, 3000).then((v) => (settled = v));
    jest.advanceTimersByTime(2999);
    await Promise.resolve();
    expect(settled).toBeUndefined();
    jest.advanceTimersByTime(1);
    await waiting;
    expect(settled).toBe(false);
  });

  it('resolves false on close(), wakes every waiter, and answers false after', async () => {
    const store = newStore();
    const sink = store.openSegment(VIDEO, 1);
    const waits = [store.waitFor(() => false, 60_000), store.waitFor(() => false, 60_000)];
    store.close();
    await expect(Promise.all(waits)).resolves.toEqual([false, false]);
    expect(store.isClosed).toBe(true);
    expect(store.tracks.size).toBe(0);
    await expect(store.waitFor(() => false, 60_000)).resolves.toBe(false);
    // A late upload piece is ignored.
    expect(() => sink.write(Buffer.from(seg(VIDEO, 0)))).not.toThrow();
  });
});

describe('CmafStore: refusals', () => {
  it('refuses a segment before its track has an init segment', () => {
    const store = new CmafStore();
    expect(() => store.openSegment(VIDEO, 1)).toThrow('segment for track 0 before its init segment');
    store.setInit(AUDIO, Buffer.from(files.init.get(AUDIO) as Buffer));
    expect(() => store.openSegment(VIDEO, 1)).toThrow('segment for track 0 before its init segment');
    expect(() => store.openSegment(AUDIO, 1)).not.toThrow();
  });

  it('refuses an init segment that is not one', () => {
    const store = new CmafStore();
    expect(() => store.setInit(VIDEO, Buffer.from(seg(VIDEO, 0)))).toThrow(/not an init segment/);
    expect(store.readyTracks()).toEqual([]);
  });

  it('cuts off a segment larger than maxSegmentBytes', () => {
    const store = newStore({ maxSegmentBytes: 30_000 });
    expect(seg(VIDEO, 0).length).toBeGreaterThan(30_000);
    const sink = store.openSegment(VIDEO, 1);
    expect(() => sink.write(Buffer.from(seg(VIDEO, 0)))).toThrow('segment 1 exceeds 30000 bytes');
    // One under the limit goes in.
    expect(seg(AUDIO, 0).length).toBeLessThan(30_000);
    upload(store, AUDIO, 1, seg(AUDIO, 0));
    expect(store.track(AUDIO)?.segments.get(1)?.parts).toHaveLength(5);
  });

  it('throws on malformed upload bytes', () => {
    const store = newStore();
    const sink = store.openSegment(VIDEO, 1);
    expect(() => sink.write(Buffer.from('\0\0\0\x10\x01\x02\x03\x04garbage!', 'latin1'))).toThrow(
      /malformed MP4/,
    );
  });
});

describe('bitrates and wall clock', () => {
  it('peak and average bitrate over complete segments only', () => {
    const store = newStore();
    expect(peakBitrate(store.track(VIDEO) as Track)).toBe(0);
    expect(averageBitrate(store.track(VIDEO) as Track)).toBe(0);
    for (let i = 0; i < 4; i++) upload(store, VIDEO, i + 1, seg(VIDEO, i));
    const sink = store.openSegment(VIDEO, 5);
    sink.write(Buffer.from(seg(VIDEO, 4).subarray(0, frags(VIDEO, 4)[0].end))); // one 200 ms part: a high rate if counted
    const rates = [0, 1, 2, 3].map((i) => (seg(VIDEO, i).length * 8) / 1);
    const track = store.track(VIDEO) as Track;
    expect(peakBitrate(track)).toBe(Math.round(Math.max(...rates)));
    expect(averageBitrate(track)).toBe(Math.round(rates.reduce((a, b) => a + b) / 4));
    expect(peakBitrate(track)).toBeGreaterThanOrEqual(averageBitrate(track));
  });

  it('wallClockMs maps media time to the wall clock from the timeline zero, the same instant on every track', () => {
    jest.useFakeTimers();
    const store = newStore();
    feedLive(store, files, { t0: 1_700_000_000_000, segments: 2 });
    const tl: LiveTimeline = {
      availabilityStart: new Date(1_700_000_000_000),
      zeroSeconds: 0,
      segmentSeconds: 1,
      targetDuration: 1,
      partTarget: new Map(),
      firstNumber: 1,
    };
    const video = store.track(VIDEO) as Track;
    const audio = store.track(AUDIO) as Track;
    expect(wallClockMs(tl, video, 0)).toBe(1_700_000_000_000);
    expect(wallClockMs(tl, video, 15360 + 7680)).toBe(1_700_000_001_500);
    expect(wallClockMs(tl, audio, 96000)).toBe(1_700_000_002_000);
    // Audio that starts 0.488 s before the first keyframe (the remux keeps audio from before it): one media time is one
    // wall time on both tracks. A zero per track (each track's own first time) put this audio 488 ms late (issue 15).
    audio.firstTime = 0.533 * 48000;
    const late = { ...tl, zeroSeconds: 1.021 };
    expect(wallClockMs(late, video, 1.021 * 15360)).toBeCloseTo(1_700_000_000_000, 3);
    expect(wallClockMs(late, audio, 1.021 * 48000)).toBeCloseTo(1_700_000_000_000, 3);
    expect(wallClockMs(late, audio, 0.533 * 48000)).toBeCloseTo(1_700_000_000_000 - 488, 3);
    expect(zeroTime(late, video)).toBe(Math.round(1.021 * 15360));
    expect(zeroTime(late, audio)).toBe(Math.round(1.021 * 48000));
  });
});

describe('CmafStore: a track whose init has a leading empty edit (a ladder rung whose remux joined the publish late)', () => {
  const LATE_S = 0.2;
  let late: CmafFiles;
  beforeAll(async () => {
    late = await generateLateAudioRungCmaf(3, LATE_S);
  }, FIXTURE_ENCODE_TIMEOUT_MS);
  afterAll(() => removeCmaf(late));

  /** Where ffprobe starts the track in an init + segments file: honouring the edit list (Safari, ffmpeg) or not (MSE). */
  async function startTimes(name: string, bytes: Buffer[]): Promise<{ edits: number; mse: number }> {
    const file = join(late.dir, name);
    writeFileSync(file, Buffer.concat(bytes));
    const [edits, mse] = await Promise.all([probe(file), probe(file, { args: ['-ignore_editlist', '1'] })]);
    return { edits: Number(edits.streams[0].start_time), mse: Number(mse.streams[0].start_time) };
  }

  it('moves the edit into every tfdt and out of the init, so players that honour edit lists and MSE players agree', async () => {
    const init = late.init.get(0) as Buffer;
    const segments = late.segments.get(0) as Buffer[];
    expect(parseInitSegment(init).editShiftTicks).toBe(LATE_S * 48000);
    // What the remux wrote: a player ignoring the edit (hls.js and dash.js through MSE) starts the audio 0.2 s early.
    const raw = await startTimes('raw.mp4', [init, ...segments]);
    expect(raw.edits).toBeCloseTo(LATE_S, 3);
    expect(raw.mse).toBeCloseTo(0, 3);

    jest.useFakeTimers({ now: 1_000_000 });
    const store = new CmafStore();
    store.setInit(0, Buffer.from(init));
    segments.forEach((bytes, i) => upload(store, 0, i + 1, bytes));
    const t = store.track(0) as Track;
    const served = await startTimes('served.mp4', [t.init as Buffer, ...t.ordered().map(joined)]);
    expect(served.edits).toBeCloseTo(LATE_S, 3); // unchanged for a player that honours edit lists
    expect(served.mse).toBeCloseTo(LATE_S, 3); // and now the same without them
    expect(parseInitSegment(t.init as Buffer).editShiftTicks).toBe(0);
    expect(storedTfdt(t, t.ordered()[0].parts[0])).toBe(LATE_S * 48000);
    expect(t.firstTime).toBe(LATE_S * 48000);
  });

  it("takes the next edit's media_time (a first sample's composition offset) out of the shift and sets it to 0", () => {
    const init = Buffer.from(late.init.get(0) as Buffer);
    const elst = init.indexOf('elst', 0, 'latin1') - 4;
    expect(init[elst + 8]).toBe(0); // version 0: 12-byte entries, FFmpeg's [empty 200 ms, (0, media_time 0)]
    expect(init.readUInt32BE(elst + 12)).toBe(2);
    init.writeInt32BE(480, elst + 16 + 12 + 4); // the second entry starts 10 ms into the media
    expect(parseInitSegment(init).editShiftTicks).toBe(LATE_S * 48000 - 480);
    const out = withoutEmptyEdit(init);
    expect(out.length).toBe(init.length);
    expect(out.readUInt32BE(elst)).toBe(init.readUInt32BE(elst) - 12); // one entry fewer…
    expect(out.readUInt32BE(elst + 12)).toBe(1);
    expect(out.readInt32BE(elst + 16 + 4)).toBe(0); // …which starts at media time 0
    const free = elst + out.readUInt32BE(elst);
    expect([out.readUInt32BE(free), out.toString('latin1', free + 4, free + 8)]).toEqual([12, 'free']); // in its bytes
    expect(parseInitSegment(out)).toEqual({ ...parseInitSegment(init), editShiftTicks: 0 });
    expect(withoutEmptyEdit(out)).toBe(out); // none left: the same buffer
  });
});
