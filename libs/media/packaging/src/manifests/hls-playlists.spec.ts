import {
  AUDIO,
  generateCmaf,
  liveStream,
  removeCmaf,
  VIDEO,
  type CmafFiles,
  type LiveStream,
  FIXTURE_ENCODE_TIMEOUT_MS,
} from '../../test/cmaf-fixtures';
import { DVR_WINDOW_S, dvrWindowSegments, initUri, mediaPlaylistUri, multivariantUri, partUri, segmentUri, type Mode } from '@livelab/media-contract';
import { averageBitrate, CmafStore, DEFAULT_WINDOW_SEGMENTS, peakBitrate, wallClockMs, type Track } from '../cmaf/cmaf-store';
import fc from 'fast-check';
import { lastListedPart, mediaPlaylist, multivariantPlaylist, partHoldBack, SKIP_BOUNDARY_TARGET_DURATIONS } from './hls-playlists';
import { parseMediaPlaylist, parseMultivariantPlaylist, type HlsSegment, type ParsedMediaPlaylist } from '../testing';

// Playlists written from a store fed with real ffmpeg CMAF (8 s: 1 s segments, ~200 ms parts) at the live pace,
// checked against the rules of RFC 8216 and draft-pantos-hls-rfc8216bis (low-latency HLS).
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
let files: CmafFiles;
/** 7 segments complete, segment 8 in progress with 2 parts; a DVR window of 6 (so the oldest is held, not listed). */
let inProgress: LiveStream;
/** 7 segments complete, nothing in progress (between two segment uploads). */
let between: LiveStream;

beforeAll(async () => {
  files = await generateCmaf(8);
  jest.useFakeTimers();
  inProgress = liveStream(files, { t0: T0, segments: 7, inProgressParts: 2, windowSegments: 6 });
  between = liveStream(files, { t0: T0, segments: 7, windowSegments: 6 });
  jest.useRealTimers();
}, FIXTURE_ENCODE_TIMEOUT_MS);
afterAll(() => removeCmaf(files));

// Every playlist is read by hls-parser in strict mode (../testing): it throws on the RFC 8216 / rfc8216bis rules it
// knows; the tests below check the rest on the parsed object.
const parse = parseMediaPlaylist;

const segNumber = (uri: string, track: number) => {
  const m = new RegExp(`^chunk-${track}-(\\d{5,})\\.m4s$`).exec(uri);
  if (!m) throw new Error(`not a segment URI: ${uri}`);
  return Number(m[1]);
};

const cases: Array<[string, () => LiveStream, number]> = [
  ['video, segment in progress', () => inProgress, VIDEO],
  ['audio, segment in progress', () => inProgress, AUDIO],
  ['video, between segments', () => between, VIDEO],
  ['audio, between segments', () => between, AUDIO],
];

describe('the live timeline', () => {
  it('was settled at playable from real timing: 1 s segments, target 1, part targets 200 ms video / one AAC fragment audio', () => {
    const { tl } = inProgress;
    expect(tl.segmentSeconds).toBe(1);
    expect(tl.targetDuration).toBe(1);
    expect(tl.firstNumber).toBe(1);
    expect(tl.partTarget.get(VIDEO)).toBe(0.2);
    expect(tl.partTarget.get(AUDIO)).toBe(0.214); // 10 AAC frames = 213.3 ms, rounded up to the ms
    // Parts arrived 10 ms after their media was captured: the wall clock of media time 0 is T0 + 10 ms.
    expect(tl.availabilityStart.getTime()).toBe(T0 + 10);
  });
});

describe.each(cases)('low-latency media playlist: %s', (_name, stream, track) => {
  let text: string;
  let pl: ParsedMediaPlaylist;
  let t: Track;
  beforeAll(() => {
    const { store, tl } = stream();
    t = store.track(track) as Track;
    text = mediaPlaylist(t, tl, 'll');
    pl = parse(text);
  });

  it('has version, EXT-X-MAP before the first segment, and EXTINF durations of the segments', () => {
    expect(pl.playlist.version).toBeGreaterThanOrEqual(6); // EXT-X-MAP without I-frames only needs 6
    expect(pl.segments[0].map?.uri).toBe(initUri(track));
    for (const s of pl.segments) expect(s.map?.uri).toBe(initUri(track));
    expect(t.window).toBe(6);
    expect(pl.segments).toHaveLength(6); // the window; segment 1 is held (a spare), not listed
    for (const s of pl.segments) {
      const seg = t.segments.get(segNumber(s.uri, track));
      expect(seg?.complete).toBe(true);
      expect(s.duration).toBeCloseTo(seg?.durationS as number, 4);
    }
  });

  it('EXT-X-TARGETDURATION is at least every EXTINF rounded to the nearest integer', () => {
    const target = pl.playlist.targetDuration;
    expect(Number.isInteger(target)).toBe(true);
    for (const s of pl.segments) expect(Math.round(s.duration)).toBeLessThanOrEqual(target);
  });

  it('EXT-X-MEDIA-SEQUENCE is the first listed segment, and segment numbers follow on one by one', () => {
    const msn = pl.playlist.mediaSequenceBase as number;
    expect(msn).toBe(segNumber(pl.segments[0].uri, track));
    pl.segments.forEach((s, i) => {
      expect(s.uri).toBe(segmentUri(track, msn + i));
      expect(s.mediaSequenceNumber).toBe(msn + i);
    });
    const newest = t.lastComplete()?.number as number;
    expect(msn + pl.segments.length - 1).toBe(newest);
  });

  it('has EXT-X-PROGRAM-DATE-TIME for the first segment, on the timeline', () => {
    const pdt = pl.segments[0].programDateTime as Date;
    expect(pdt).toBeInstanceOf(Date);
    const first = t.segments.get(segNumber(pl.segments[0].uri, track));
    const { tl } = stream();
    expect(pdt.getTime()).toBe(Math.floor(wallClockMs(tl, t, first?.startTime as number)));
    // The first listed segment (number 2) was captured from T0 + 1 s.
    expect(Math.abs(pdt.getTime() - (T0 + (segNumber(pl.segments[0].uri, track) - 1) * 1000))).toBeLessThan(50);
  });

  it('EXT-X-SERVER-CONTROL: CAN-BLOCK-RELOAD=YES, PART-HOLD-BACK at least 2 (we use 3) part targets', () => {
    const sc = pl.playlist.lowLatencyCompatibility;
    const partTarget = pl.playlist.partTargetDuration as number;
    expect(sc?.canBlockReload).toBe(true);
    expect(sc?.partHoldBack).toBeGreaterThanOrEqual(2 * partTarget);
    expect(sc?.partHoldBack).toBeCloseTo(3 * partTarget, 6);
    expect(sc?.partHoldBack).toBe(partHoldBack(partTarget));
  });

  it('EXT-X-PART-INF is present and no part is longer than PART-TARGET', () => {
    const partTarget = pl.playlist.partTargetDuration as number;
    expect(partTarget).toBeGreaterThan(0);
    expect(pl.allParts.length).toBeGreaterThan(0);
    for (const p of pl.allParts) expect(p.duration).toBeLessThanOrEqual(partTarget);
    // rfc8216bis: at least 85% of PART-TARGET, except independent parts and a segment's last part.
    for (const s of [...pl.segments.map((x) => x.parts), pl.trailingParts]) {
      s.slice(0, -1).forEach((p) => {
        if (!p.independent) expect(p.duration).toBeGreaterThanOrEqual(0.85 * partTarget);
      });
    }
  });

  it('lists the parts of a segment in order, adding up to its EXTINF', () => {
    for (const s of pl.segments.filter((x) => x.parts.length)) {
      const n = segNumber(s.uri, track);
      s.parts.forEach((p, k) => expect(p.uri).toBe(partUri(track, n, k)));
      expect(s.parts.reduce((sum, p) => sum + (p.duration as number), 0)).toBeCloseTo(s.duration, 3);
    }
  });

  it('marks the keyframe parts INDEPENDENT=YES: the first of each video segment, every audio part', () => {
    const groups = [...pl.segments.map((s) => s.parts), pl.trailingParts].filter((g) => g.length);
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) g.forEach((p, k) => expect(Boolean(p.independent)).toBe(track === AUDIO || k === 0));
  });

  it('lists parts only for the segments that start within 3 target durations of the live edge, and for all of those', () => {
    const target = pl.playlist.targetDuration;
    const end =
      pl.segments.reduce((n, s) => n + s.duration, 0) +
      pl.trailingParts.reduce((n, p) => n + (p.duration as number), 0);
    let at = 0;
    const withParts: number[] = [];
    for (const s of pl.segments) {
      const fromEdge = end - at;
      at += s.duration;
      if (s.parts.length) withParts.push(segNumber(s.uri, track));
      expect(s.parts.length > 0).toBe(fromEdge < 3 * target - 1e-3);
    }
    expect(withParts.length).toBeGreaterThanOrEqual(2);
    expect(withParts.length).toBeLessThan(pl.segments.length);
  });

  it('lists the in-progress segment as parts after the last segment, and ends with the preload hint of the next part', () => {
    const cur = t.inProgress();
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^#EXT-X-PRELOAD-HINT:/);
    const hint = pl.preloadHint;
    expect(hint?.hint).toBe(true);
    if (cur) {
      expect(cur.parts).toHaveLength(2);
      expect(pl.trailingParts.map((p) => p.uri)).toEqual([partUri(track, cur.number, 0), partUri(track, cur.number, 1)]);
      expect(hint?.uri).toBe(partUri(track, cur.number, 2));
    } else {
      expect(pl.trailingParts).toEqual([]);
      const newest = segNumber(pl.segments[pl.segments.length - 1].uri, track);
      expect(hint?.uri).toBe(partUri(track, newest + 1, 0));
    }
  });

  it('lastListedPart names the last EXT-X-PART of the playlist', () => {
    const { msn, part } = lastListedPart(t);
    expect(pl.allParts[pl.allParts.length - 1].uri).toBe(partUri(track, msn, part));
  });
});

describe.each(cases)('standard media playlist: %s', (_name, stream, track) => {
  it('has no low-latency tags, and lists complete segments only', () => {
    const { store, tl } = stream();
    const t = store.track(track) as Track;
    const pl = parse(mediaPlaylist(t, tl, 'standard'));
    expect(pl.allParts).toEqual([]);
    expect(pl.preloadHint).toBeUndefined();
    expect(pl.playlist.partTargetDuration).toBeUndefined();
    expect(pl.playlist.lowLatencyCompatibility?.canBlockReload).toBe(true);
    expect(pl.playlist.lowLatencyCompatibility?.partHoldBack).toBeUndefined();
    const numbers = pl.segments.map((s) => segNumber(s.uri, track));
    expect(numbers).toEqual([2, 3, 4, 5, 6, 7]);
    if (t.inProgress()) expect(numbers).not.toContain(t.inProgress()?.number);
    expect(pl.playlist.mediaSequenceBase).toBe(2);
    expect(pl.segments[0].map?.uri).toBe(initUri(track));
    expect(pl.segments[0].programDateTime).toBeInstanceOf(Date);
    for (const s of pl.segments) expect(Math.round(s.duration)).toBeLessThanOrEqual(pl.playlist.targetDuration);
    // Same segments as the low-latency playlist.
    const ll = parse(mediaPlaylist(t, tl, 'll'));
    expect(ll.segments.map((s) => [s.uri, s.duration])).toEqual(pl.segments.map((s) => [s.uri, s.duration]));
  });
});

describe('media playlist edge cases', () => {
  it('a segment opened with no part yet: no parts for it, the hint names its part 0', () => {
    jest.useFakeTimers();
    try {
      const s = liveStream(files, { t0: T0, segments: 7 });
      const t = s.store.track(VIDEO) as Track;
      s.store.openSegment(VIDEO, 8);
      const pl = parse(mediaPlaylist(t, s.tl, 'll'));
      expect(pl.trailingParts).toEqual([]);
      expect(pl.preloadHint?.uri).toBe(partUri(VIDEO, 8, 0));
      expect(lastListedPart(t)).toEqual({ msn: 7, part: 4 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('a track with no segments: header and MAP only (no hint before the first segment opens)', () => {
    const store = new CmafStore();
    store.setInit(VIDEO, files.init.get(VIDEO) as Buffer);
    const t = store.track(VIDEO) as Track;
    const tl = inProgress.tl;
    const text = mediaPlaylist(t, tl, 'll');
    // hls-parser keeps an EXT-X-MAP only on a segment; with none listed, the MAP is read from the text.
    const pl = parse(text);
    expect(pl.segments).toEqual([]);
    expect(pl.playlist.mediaSequenceBase).toBe(tl.firstNumber);
    expect(pl.preloadHint).toBeUndefined();
    expect(pl.allParts).toEqual([]);
    expect(text).toContain(`#EXT-X-MAP:URI="${initUri(VIDEO)}"`);
    expect(lastListedPart(t)).toEqual({ msn: -1, part: -1 });
  });
});

describe('the DVR window', () => {
  it('the default window lists every complete segment held (up to DVR_WINDOW_S), parts only for the last 3 target durations', () => {
    jest.useFakeTimers();
    try {
      const s = liveStream(files, { t0: T0, segments: 7, inProgressParts: 2 });
      const t = s.store.track(VIDEO) as Track;
      expect(t.window).toBe(DEFAULT_WINDOW_SEGMENTS);
      expect(DEFAULT_WINDOW_SEGMENTS).toBe(dvrWindowSegments(DVR_WINDOW_S.default));
      const ll = parse(mediaPlaylist(t, s.tl, 'll'));
      expect(ll.segments.map((x) => segNumber(x.uri, VIDEO))).toEqual([1, 2, 3, 4, 5, 6, 7]);
      // hls-parser (strict) refuses parts further back; these are the segments within 3 s of the end, and the parts of 8.
      expect(ll.segments.filter((x) => x.parts.length).map((x) => segNumber(x.uri, VIDEO))).toEqual([6, 7]);
      expect(parse(mediaPlaylist(t, s.tl, 'standard')).segments).toHaveLength(7);
    } finally {
      jest.useRealTimers();
    }
  });

  it("a stream shape's window= lists at most that many of the window, never more than the store offers", () => {
    const t = inProgress.store.track(VIDEO) as Track; // window 6
    const listed = (window: number) => parse(mediaPlaylist(t, inProgress.tl, 'll', { window })).segments.map((x) => segNumber(x.uri, VIDEO));
    expect(listed(3)).toEqual([5, 6, 7]);
    expect(listed(1)).toEqual([7]);
    expect(listed(20)).toEqual([2, 3, 4, 5, 6, 7]);
  });
});

describe('Playlist Delta Updates (_HLS_skip=YES)', () => {
  // One store fed all 8 s; playlists as of two times (the view's asOfMs: what had arrived by then), the newer one in
  // full and as a delta. The rules checked (rfc8216bis §4.4.3.8, §4.4.5.2, §6.2.5.1, §6.3.7): CAN-SKIP-UNTIL ≥ 6 ×
  // target; the skipped segments are the leading ones that end at least that long before the end, all of them; a
  // client holding a playlist younger than half the boundary has every skipped segment, and its copies plus the delta
  // are the full playlist; the delta's tail (parts, hint, rendition reports) is the full one's.
  let all: LiveStream;
  beforeAll(() => {
    jest.useFakeTimers();
    all = liveStream(files, { t0: T0, segments: 8 });
    jest.useRealTimers();
  });
  const brief = (x: HlsSegment) => ({
    uri: x.uri,
    duration: x.duration,
    msn: x.mediaSequenceNumber,
    gap: !!x.gap,
    parts: x.parts.map((p) => ({ uri: p.uri, duration: p.duration, independent: !!p.independent })),
  });

  it('offers CAN-SKIP-UNTIL in low latency only, and a request for a delta of a standard playlist gets it in full', () => {
    const t = all.store.track(VIDEO) as Track;
    expect(parse(mediaPlaylist(t, all.tl, 'll')).playlist.lowLatencyCompatibility?.canSkipUntil).toBe(SKIP_BOUNDARY_TARGET_DURATIONS * all.tl.targetDuration);
    expect(SKIP_BOUNDARY_TARGET_DURATIONS).toBeGreaterThanOrEqual(6);
    expect(parse(mediaPlaylist(t, all.tl, 'standard')).playlist.lowLatencyCompatibility?.canSkipUntil).toBeUndefined();
    expect(mediaPlaylist(t, all.tl, 'standard', { skip: true })).toBe(mediaPlaylist(t, all.tl, 'standard'));
  });

  it('the delta plus the skipped segments of an earlier full playlist is the full playlist (property, seeded)', () => {
    const { store, tl } = all;
    const boundary = SKIP_BOUNDARY_TARGET_DURATIONS * tl.targetDuration;
    let skippedSome = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(VIDEO, AUDIO),
        fc.integer({ min: 4000, max: 8400 }),
        fc.integer({ min: 0, max: (boundary / 2) * 1000 - 1 }),
        fc.constantFrom(undefined, 3, 7, 8),
        fc.option(fc.integer({ min: 2, max: 5 }), { nil: undefined }),
        (track, at, age, window, gapEvery) => {
          const t = store.track(track) as Track;
          const other = store.track(track === VIDEO ? AUDIO : VIDEO) as Track;
          const view = { window, gap: gapEvery ? (n: number) => n % gapEvery === 0 : undefined, renditionReports: [other] };
          const nowMs = T0 + 500 + at;
          const prev = parse(mediaPlaylist(t, tl, 'll', { ...view, asOfMs: nowMs - age }));
          const full = parse(mediaPlaylist(t, tl, 'll', { ...view, asOfMs: nowMs }));
          const deltaText = mediaPlaylist(t, tl, 'll', { ...view, asOfMs: nowMs, skip: true });
          const delta = parse(deltaText); // strict: EXT-X-SKIP needs version 9, SKIPPED-SEGMENTS > 0
          const n = delta.playlist.skip ?? 0;
          expect(delta.playlist.mediaSequenceBase).toBe(full.playlist.mediaSequenceBase);
          // Which segments: every leading one that ends at least the boundary before the end, and no other.
          const end = full.segments.reduce((x, s) => x + s.duration, 0) + full.trailingParts.reduce((x, p) => x + (p.duration ?? 0), 0);
          let ends = 0;
          const old = full.segments.filter((s) => (ends += s.duration) <= end - boundary + 1e-3).length;
          expect(n).toBe(old);
          if (n === 0) return expect(deltaText).toBe(mediaPlaylist(t, tl, 'll', { ...view, asOfMs: nowMs }));
          skippedSome++;
          expect(delta.playlist.version).toBe(9);
          // A client with the earlier playlist has each skipped segment: its copies plus the delta are the full playlist.
          const mine = new Map(prev.segments.map((s) => [s.mediaSequenceNumber, s]));
          const skipped = full.segments.slice(0, n).map((s) => mine.get(s.mediaSequenceNumber));
          expect(skipped.every(Boolean)).toBe(true);
          const merged = [...(skipped as HlsSegment[]), ...delta.segments];
          expect(merged.map((s) => ({ ...brief(s), parts: [] }))).toEqual(full.segments.map((s) => ({ ...brief(s), parts: [] })));
          expect(delta.segments.map(brief)).toEqual(full.segments.slice(n).map(brief));
          expect(delta.trailingParts.map((p) => p.uri)).toEqual(full.trailingParts.map((p) => p.uri));
          expect(delta.preloadHint?.uri).toBe(full.preloadHint?.uri);
          expect(delta.playlist.renditionReports).toEqual(full.playlist.renditionReports);
          // The wall clock moves to the first segment still listed.
          const pdt = (full.segments[0].programDateTime as Date).getTime() + 1000 * full.segments.slice(0, n).reduce((x, s) => x + s.duration, 0);
          expect(Math.abs((delta.segments[0].programDateTime as Date).getTime() - pdt)).toBeLessThanOrEqual(2);
        },
      ),
      { seed: 16, numRuns: 120 },
    );
    expect(skippedSome).toBeGreaterThan(20); // the property did meet deltas that skip (29 of the 120 seeded runs)
  });
});

describe('lastListedPart', () => {
  it('is the newest part of the segment in progress, else the last part of the newest complete segment', () => {
    expect(lastListedPart(inProgress.store.track(VIDEO) as Track)).toEqual({ msn: 8, part: 1 });
    expect(lastListedPart(inProgress.store.track(AUDIO) as Track)).toEqual({ msn: 8, part: 1 });
    expect(lastListedPart(between.store.track(VIDEO) as Track)).toEqual({ msn: 7, part: 4 });
  });
});


describe('multivariant playlist', () => {
  const variant = (text: string) => {
    const p = parseMultivariantPlaylist(text);
    expect(p.variants).toHaveLength(1);
    return { p, v: p.variants[0] };
  };

  it.each<[Mode, string, string]>([
    ['standard', 'media_0.m3u8', 'media_1.m3u8'],
    ['ll', 'media_0-ll.m3u8', 'media_1-ll.m3u8'],
  ])('%s: CODECS, RESOLUTION, FRAME-RATE, the audio group, bandwidths, and the %s URIs', (mode, videoUri, audioUri) => {
    const tracks = inProgress.store.readyTracks();
    const { p, v } = variant(multivariantPlaylist(tracks, mode));
    expect(p.independentSegments).toBe(true);
    expect(v.uri).toBe(videoUri);
    expect(v.uri).toBe(mediaPlaylistUri(VIDEO, mode));
    expect(v.codecs).toMatch(/^avc1\.6400[0-9a-f]{2},mp4a\.40\.2$/);
    expect(v.codecs).toBe(`${tracks[0].info?.codec},${tracks[1].info?.codec}`);
    expect(v.resolution).toEqual({ width: 320, height: 180 });
    expect(v.frameRate).toBe(30);
    expect(v.audio).toHaveLength(1);
    expect(v.audio[0]).toMatchObject({ type: 'AUDIO', groupId: 'audio', channels: '2', uri: audioUri, isDefault: true });
    const bandwidth = v.bandwidth;
    const average = v.averageBandwidth as number;
    expect(average).toBeGreaterThan(0);
    expect(bandwidth).toBeGreaterThanOrEqual(average);
    expect(bandwidth).toBe(peakBitrate(tracks[0]) + peakBitrate(tracks[1]));
    expect(average).toBe(averageBitrate(tracks[0]) + averageBitrate(tracks[1]));
    // BANDWIDTH is the peak segment bit rate: no complete segment pair goes over it.
    for (const s of tracks[0].ordered().filter((x) => x.complete)) {
      const audio = tracks[1].segments.get(s.number);
      if (!audio?.complete) continue;
      expect((s.bytes * 8) / s.durationS + (audio.bytes * 8) / audio.durationS).toBeLessThanOrEqual(bandwidth + 1);
    }
  });

  it('URIs differ per mode', () => {
    const tracks = inProgress.store.readyTracks();
    expect(multivariantUri('standard')).toBe('master.m3u8');
    expect(multivariantUri('ll')).toBe('master-ll.m3u8');
    expect(variant(multivariantPlaylist(tracks, 'standard')).v.uri).not.toBe(variant(multivariantPlaylist(tracks, 'll')).v.uri);
  });

  it('video only: no audio group', () => {
    const video = inProgress.store.track(VIDEO) as Track;
    const { v } = variant(multivariantPlaylist([video], 'standard'));
    expect(v.audio).toEqual([]);
    expect(v.codecs).toBe(video.info?.codec);
    expect(v.bandwidth).toBe(peakBitrate(video));
  });

  it('no tracks yet: just the header', () => {
    const text = multivariantPlaylist([], 'll');
    expect(text).toBe('#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n');
  });
});

describe('the HLS oracle (hls-parser, strict) rejects what breaks the rules', () => {
  const good = () => mediaPlaylist(inProgress.store.track(VIDEO) as Track, inProgress.tl, 'll');
  it.each<[string, (s: string) => string, RegExp]>([
    ['an EXTINF longer than the target duration', (s) => s.replace(/#EXTINF:[\d.]+,/, '#EXTINF:2.6,'), /EXTINF duration, when rounded/],
    ['a part longer than PART-TARGET', (s) => s.replace(/#EXT-X-PART:DURATION=[\d.]+/, '#EXT-X-PART:DURATION=0.9'), /PART-TARGET is the maximum duration/],
    ['parts without PART-INF', (s) => s.replace(/#EXT-X-PART-INF:[^\n]*\n/, ''), /EXT-X-PART-INF is required/],
    ['parts and no preload hint', (s) => s.replace(/#EXT-X-PRELOAD-HINT:[^\n]*\n/, ''), /must contain an EXT-X-PRELOAD-HINT/],
    ['two preload hints', (s) => s.replace(/(#EXT-X-PRELOAD-HINT:[^\n]*\n)/, '$1$1'), /more than one EXT-X-PRELOAD-HINT/],
    ['a part with no URI', (s) => s.replace(/,URI="chunk-0-\d+\.\d+\.m4s"/, ''), /URI attribute is mandatory/],
    ['a blank line', (s) => s.replace('\n', '\n\n'), /empty line/],
  ])('%s', (_what, breakIt, reason) => {
    expect(() => parse(good())).not.toThrow();
    expect(() => parse(breakIt(good()))).toThrow(reason);
  });
});
