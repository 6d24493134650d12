import {
  AUDIO,
  generateCmaf,
  liveStream,
  removeCmaf,
  rng,
  VIDEO,
  type CmafFiles,
  type LiveStream,
  FIXTURE_ENCODE_TIMEOUT_MS,
} from '../../test/cmaf-fixtures';
import { DEFAULT_WINDOW_SEGMENTS, peakBitrate, type Segment, type Track } from '../cmaf/cmaf-store';
import { dashManifest, DEFAULT_DASH_TARGET_LATENCY_MS, type MpdOptions } from './dash-manifest';
import { initUri, parseMediaFile, segmentUri } from '@livelab/media-contract';
import { allElements, durationSeconds, oneElement, parseMpd, type XmlElement } from '../testing';

// MPDs written from a store fed with real ffmpeg CMAF at the live pace (parts arrive 10–70 ms after their media was
// captured; the clock is jest's fake system clock, so every Part.availableAt is known), checked against the DASH
// rules for a dynamic, number-templated MPD and the DASH-IF low-latency guideline.
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const UTC_URL = 'http://127.0.0.1:8080/time?iso=1&x=<y>';
const NOW = new Date(T0 + 60_000);
let files: CmafFiles;
let live: LiveStream;

beforeAll(async () => {
  files = await generateCmaf(8);
  const jitter = rng(42);
  const delays = new Map<string, number>();
  jest.useFakeTimers();
  live = liveStream(files, {
    t0: T0,
    segments: 7,
    inProgressParts: 2,
    delayMs: (track, seg, part) => {
      const key = `${track}/${seg}/${part}`;
      if (!delays.has(key)) delays.set(key, 10 + Math.round(jitter() * 60));
      return delays.get(key) as number;
    },
  });
  jest.useRealTimers();
}, FIXTURE_ENCODE_TIMEOUT_MS);
afterAll(() => removeCmaf(files));

// Every MPD is read by fast-xml-parser and checked against the offline ISO/IEC 23009-1 and DASH-IF rules
// (../testing, checkMpd); the tests below check our own choices on the parsed elements.
type El = XmlElement;
const all = allElements;
const one = oneElement;
const seconds = durationSeconds;
const parseChecked = (text: string): El => parseMpd(text).root;

const mpd = (opts: Partial<MpdOptions> & Pick<MpdOptions, 'mode'>) =>
  parseChecked(dashManifest(live.store.readyTracks(), live.tl, { utcTimingUrl: UTC_URL, now: NOW, ...opts }));

describe('the MPD oracle rejects what breaks the rules', () => {
  const good = (mode: 'standard' | 'll' = 'll') =>
    dashManifest(live.store.readyTracks(), live.tl, { mode, utcTimingUrl: UTC_URL, now: NOW });
  it.each<[string, (s: string) => string, 'standard' | 'll', RegExp]>([
    ['not well-formed XML', (s) => s.replace('</Period>', ''), 'll', /not well-formed/],
    ['an unescaped & in an attribute', (s) => s.replace('&amp;', '&'), 'll', /bare &/],
    ['a duration that is not xs:duration', (s) => s.replace(/minBufferTime="[^"]+"/, 'minBufferTime="0.4"'), 'll', /minBufferTime.*xs:duration/],
    ['a date that is not xs:dateTime', (s) => s.replace(/publishTime="[^"]+"/, 'publishTime="yesterday"'), 'll', /publishTime.*xs:dateTime/],
    ['no minBufferTime', (s) => s.replace(/ minBufferTime="[^"]+"/, ''), 'standard', /@minBufferTime is required/],
    ['a Representation without bandwidth', (s) => s.replace(/ bandwidth="\d+"/, ''), 'standard', /@bandwidth is required/],
    ['$Time$ in a number-based template', (s) => s.replace(/\$Number%05d\$/, '$Time$'), 'standard', /\$Number\$ in @media/],
    ['an unknown template identifier', (s) => s.replace(/\$RepresentationID\$/, '$Rep$'), 'standard', /unpaired \$/],
    ['availabilityTimeOffset in a standard MPD', (s) => s.replace(/ startNumber=/, ' availabilityTimeOffset="0.8" startNumber='), 'standard', /availabilityTimeOffset outside/],
    ['a low-latency MPD without UTCTiming', (s) => s.replace(/ *<UTCTiming.*\n/, ''), 'll', /has a UTCTiming/],
    ['an unknown UTCTiming scheme', (s) => s.replace('urn:mpeg:dash:utc:http-iso:2014', 'urn:example:clock'), 'll', /unknown scheme/],
    ['an unknown profile', (s) => s.replace('isoff-live:2011', 'isoff-live:2099'), 'standard', /unknown profile/],
    ['UTCTiming before Period', (s) => s.replace(/ *<UTCTiming.*\n/, '').replace('  <Period', `  ${/<UTCTiming.*/.exec(s)?.[0]}\n  <Period`), 'll', /<Period> after <UTCTiming>/],
    ['segments longer than maxSegmentDuration', (s) => s.replace(/maxSegmentDuration="[^"]+"/, 'maxSegmentDuration="PT0.5S"'), 'standard', /longer than @maxSegmentDuration/],
  ])('%s', (_what, breakIt, mode, reason) => {
    expect(() => parseMpd(good(mode))).not.toThrow();
    const broken = breakIt(good(mode));
    expect(broken).not.toBe(good(mode));
    expect(() => parseMpd(broken)).toThrow(reason);
  });
});

describe.each(['standard', 'll'] as const)('%s MPD', (mode) => {
  const ll = mode === 'll';
  let root: El;
  beforeAll(() => {
    root = mpd({ mode });
  });

  it('is a well-formed dynamic MPD with the settled availabilityStartTime', () => {
    expect(root.name).toBe('MPD');
    expect(root.attrs['xmlns']).toBe('urn:mpeg:dash:schema:mpd:2011');
    expect(root.attrs['type']).toBe('dynamic');
    expect(root.attrs['availabilityStartTime']).toBe(live.tl.availabilityStart.toISOString());
    expect(root.attrs['publishTime']).toBe(NOW.toISOString());
    const profiles = root.attrs['profiles'].split(',');
    expect(profiles).toContain('urn:mpeg:dash:profile:isoff-live:2011');
    expect(profiles.includes('http://www.dashif.org/guidelines/low-latency-live-v5')).toBe(ll);
    for (const a of ['minimumUpdatePeriod', 'timeShiftBufferDepth', 'maxSegmentDuration', 'minBufferTime'])
      expect(seconds(root.attrs[a])).toBeGreaterThan(0);
    expect(seconds(root.attrs['maxSegmentDuration'])).toBe(live.tl.segmentSeconds);
    // Elements in schema order: ServiceDescription, Period, UTCTiming.
    expect(root.children.map((c) => c.name)).toEqual([
      ...(ll ? ['ServiceDescription'] : []),
      'Period',
      'UTCTiming',
    ]);
  });

  it('UTCTiming points at the URL given (http-iso), escaped in the XML', () => {
    const utc = one(root, 'UTCTiming');
    expect(utc.attrs).toEqual({ schemeIdUri: 'urn:mpeg:dash:utc:http-iso:2014', value: UTC_URL });
  });

  it('has one AdaptationSet per track with codecs, bandwidth, size / sampling rate', () => {
    const sets = all(root, 'AdaptationSet');
    expect(sets.map((s) => [s.attrs['id'], s.attrs['contentType'], s.attrs['mimeType']])).toEqual([
      ['0', 'video', 'video/mp4'],
      ['1', 'audio', 'audio/mp4'],
    ]);
    for (const s of sets) expect(s.attrs).toMatchObject({ segmentAlignment: 'true', startWithSAP: '1' });
    const [video, audio] = sets.map((s) => one(s, 'Representation'));
    const [vt, at] = [live.store.track(VIDEO) as Track, live.store.track(AUDIO) as Track];
    expect(video.attrs).toMatchObject({
      id: '0',
      codecs: vt.info?.codec,
      width: '320',
      height: '180',
      frameRate: '30',
      sar: '1:1',
    });
    expect(video.attrs['codecs']).toMatch(/^avc1\.6400[0-9a-f]{2}$/);
    expect(audio.attrs).toMatchObject({ id: '1', codecs: 'mp4a.40.2', audioSamplingRate: '48000' });
    expect(audio.attrs['width']).toBeUndefined();
    expect(Number(video.attrs['bandwidth'])).toBe(peakBitrate(vt));
    expect(Number(audio.attrs['bandwidth'])).toBe(peakBitrate(at));
    expect(Number(video.attrs['bandwidth'])).toBeGreaterThan(Number(audio.attrs['bandwidth']));
    expect(one(sets[1], 'AudioChannelConfiguration').attrs['value']).toBe('2');
  });

  it('SegmentTemplate: duration = segment seconds × timescale, startNumber, presentationTimeOffset, templates the server serves', () => {
    const vt = live.store.track(VIDEO) as Track;
    expect(live.tl.zeroSeconds).toBe((vt.firstTime as number) / vt.timescale); // the video's first decode time
    for (const t of [live.store.track(VIDEO) as Track, live.store.track(AUDIO) as Track]) {
      const rep = all(root, 'Representation').find((r) => r.attrs['id'] === String(t.id)) as El;
      const tmpl = one(rep, 'SegmentTemplate');
      expect(Number(tmpl.attrs['timescale'])).toBe(t.timescale);
      expect(Number(tmpl.attrs['duration'])).toBe(live.tl.segmentSeconds * t.timescale);
      expect(Number(tmpl.attrs['startNumber'])).toBe(live.tl.firstNumber);
      expect(Number(tmpl.attrs['presentationTimeOffset'])).toBe(Math.round(live.tl.zeroSeconds * t.timescale));
      // $RepresentationID$ / $Number%05d$ expand to the names the packager serves.
      const expand = (s: string, n: number) =>
        s.replace('$RepresentationID$', rep.attrs['id']).replace('$Number%05d$', String(n).padStart(5, '0'));
      expect(expand(tmpl.attrs['initialization'], 0)).toBe(initUri(t.id));
      expect(expand(tmpl.attrs['media'], 7)).toBe(segmentUri(t.id, 7));
      expect(parseMediaFile(expand(tmpl.attrs['media'], 7))).toEqual({
        kind: 'segment',
        track: t.id,
        number: 7,
      });
      if (ll) {
        expect(Number(tmpl.attrs['availabilityTimeOffset'])).toBeCloseTo(0.8, 9); // segment 1 s − chunk 0.2 s
        expect(tmpl.attrs['availabilityTimeComplete']).toBe('false');
      } else {
        expect(tmpl.attrs['availabilityTimeOffset']).toBeUndefined();
        expect(tmpl.attrs['availabilityTimeComplete']).toBeUndefined();
      }
    }
  });

  it(
    ll
      ? 'has a ServiceDescription latency target and a short minBufferTime'
      : 'has no ServiceDescription, and a suggestedPresentationDelay',
    () => {
      if (ll) {
        const sd = one(root, 'ServiceDescription');
        expect(one(sd, 'Latency').attrs).toEqual({
          referenceId: '0',
          target: String(DEFAULT_DASH_TARGET_LATENCY_MS),
          min: String(DEFAULT_DASH_TARGET_LATENCY_MS / 2),
          max: String(DEFAULT_DASH_TARGET_LATENCY_MS * 2),
        });
        expect(one(sd, 'PlaybackRate').attrs).toEqual({ min: '0.96', max: '1.04' });
        expect(seconds(root.attrs['minBufferTime'])).toBeLessThan(live.tl.segmentSeconds);
        expect(root.attrs['suggestedPresentationDelay']).toBeUndefined();
      } else {
        expect(all(root, 'ServiceDescription')).toEqual([]);
        expect(all(root, 'Latency')).toEqual([]);
        expect(seconds(root.attrs['suggestedPresentationDelay'])).toBeGreaterThanOrEqual(
          live.tl.segmentSeconds,
        );
      }
    },
  );
});

describe('low-latency options', () => {
  it('takes the latency target and chunk duration given', () => {
    const root = mpd({ mode: 'll', targetLatencyMs: 1500, chunkSeconds: 0.25 });
    expect(one(root, 'Latency').attrs).toMatchObject({ target: '1500', min: '750', max: '3000' });
    for (const t of all(root, 'SegmentTemplate')) expect(t.attrs['availabilityTimeOffset']).toBe('0.75');
    expect(seconds(root.attrs['minBufferTime'])).toBe(0.5);
  });
});

describe('segment availability computed from the MPD matches when the media arrived', () => {
  // What a player computes for a number-based SegmentTemplate: segment N (k = N − startNumber) ends at
  // AST + (k + 1) × duration; low latency lets it start fetching availabilityTimeOffset earlier.
  function availability(root: El, track: number) {
    const ast = Date.parse(root.attrs['availabilityStartTime']);
    const rep = all(root, 'Representation').find((r) => r.attrs['id'] === String(track)) as El;
    const tmpl = one(rep, 'SegmentTemplate');
    const d = (Number(tmpl.attrs['duration']) / Number(tmpl.attrs['timescale'])) * 1000;
    const start = Number(tmpl.attrs['startNumber']);
    const ato = Number(tmpl.attrs['availabilityTimeOffset'] ?? 0) * 1000;
    return (n: number) => ({ end: ast + (n - start + 1) * d, llStart: ast + (n - start + 1) * d - ato });
  }
  const complete = (t: number): Segment[] =>
    (live.store.track(t) as Track).ordered().filter((s) => s.complete);

  it.each([
    ['video', VIDEO],
    ['audio', AUDIO],
  ])('%s: each complete segment is announced within 100 ms of its last part arriving', (_n, track) => {
    const at = availability(mpd({ mode: 'standard' }), track);
    expect(complete(track)).toHaveLength(7);
    for (const s of complete(track)) {
      const last = s.parts[s.parts.length - 1];
      expect(Math.abs(at(s.number).end - last.availableAt)).toBeLessThanOrEqual(100);
    }
  });

  it.each([
    ['video', VIDEO],
    ['audio', AUDIO],
  ])(
    '%s, low latency: a segment is announced (end − availabilityTimeOffset) within 100 ms of its first chunk arriving',
    (_n, track) => {
      const at = availability(mpd({ mode: 'll' }), track);
      const segs = (live.store.track(track) as Track).ordered().filter((s) => s.parts.length);
      expect(segs).toHaveLength(8); // including the one in progress
      for (const s of segs)
        expect(Math.abs(at(s.number).llStart - s.parts[0].availableAt)).toBeLessThanOrEqual(100);
    },
  );

  it('never announces media of the segments the timeline was settled from before it arrived', () => {
    const root = mpd({ mode: 'standard' });
    const ast = Date.parse(root.attrs['availabilityStartTime']);
    const video = live.store.track(VIDEO) as Track;
    const pto = Number(one(all(root, 'AdaptationSet')[0], 'SegmentTemplate').attrs['presentationTimeOffset']);
    for (const s of complete(VIDEO).slice(0, 2)) {
      let end = s.startTime as number;
      for (const p of s.parts) {
        end += p.duration;
        expect(ast + ((end - pto) / video.timescale) * 1000).toBeGreaterThanOrEqual(p.availableAt);
      }
    }
    // ... and that bound is tight: some part arrived exactly when the MPD says its media was complete.
    const slack = complete(VIDEO)
      .slice(0, 2)
      .flatMap((s) => {
        let end = s.startTime as number;
        return s.parts.map(
          (p) => ((end += p.duration), ast + ((end - pto) / video.timescale) * 1000 - p.availableAt),
        );
      });
    expect(Math.min(...slack)).toBe(0);
  });

  it('a first segment that came in one burst (a cached GOP) does not make the start late, and nothing is announced before it arrived', () => {
    jest.useFakeTimers();
    try {
      // Segment 1 arrives all at once when its last frame is captured, the rest at the live pace (+10 ms).
      const burst = liveStream(files, {
        t0: T0,
        segments: 4,
        delayMs: (_t, seg, part) => (seg === 0 ? 10 + (4 - part) * 200 : 10),
      });
      // The burst's parts were all there when the stream was listed; the live ones (+10 ms) bound the start.
      expect(burst.tl.availabilityStart.getTime()).toBe(T0 + 10);
      const root = parseChecked(
        dashManifest(burst.store.readyTracks(), burst.tl, { mode: 'standard', utcTimingUrl: UTC_URL }),
      );
      const at = availability(root, VIDEO);
      // The burst segment was complete before the stream was listed; every later one is announced no earlier
      // than it arrived.
      for (const s of (burst.store.track(VIDEO) as Track).ordered().slice(1)) {
        for (const p of s.parts) expect(at(s.number).end).toBeGreaterThanOrEqual(p.availableAt);
      }
    } finally {
      jest.useRealTimers();
    }
  });
  it('a publisher that stalled before the stream was listed and caught up is timed by its pace after the stall', () => {
    jest.useFakeTimers();
    try {
      // Part 0 on time, then a 1.6 s stall: the next parts arrive 20 ms apart from 1.8 s on (ffmpeg's -re catching
      // up), the first of them live but 1.4 s late; from media time 2.2 s on everything is on time again (+10 ms).
      let i = 0;
      const arrivals = new Map<string, number>();
      const stalled = liveStream(files, {
        t0: T0,
        segments: 5,
        delayMs: (track, seg, part) => {
          const key = `${seg}/${part}`;
          const end = (seg * 5 + part + 1) * 200;
          if (!arrivals.has(key)) arrivals.set(key, end === 200 || end >= 2000 ? end + 10 : 1800 + i++ * 20);
          return (arrivals.get(key) as number) - end + (track === VIDEO ? 0 : 1);
        },
      });
      expect(stalled.tl.availabilityStart.getTime()).toBe(T0 + 10);
      // Listed once four parts had come at the new pace (2.2–2.8 s), not from the late one.
      const listedAt = Math.max(...stalled.fed.filter((f) => f.track === VIDEO && f.mediaEndMs <= 2800).map((f) => f.at));
      expect(listedAt).toBe(T0 + 2810);
      const root = parseChecked(dashManifest(stalled.store.readyTracks(), stalled.tl, { mode: 'standard', utcTimingUrl: UTC_URL }));
      const at = availability(root, VIDEO);
      // Nothing that arrived after the stream was listed is announced before it arrived.
      const video = stalled.store.track(VIDEO) as Track;
      const later = video.ordered().filter((x) => x.parts.every((p) => p.availableAt > listedAt));
      expect(later.length).toBeGreaterThan(0);
      for (const s of later) expect(at(s.number).end).toBeGreaterThanOrEqual(s.parts.at(-1)?.availableAt as number);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('the DVR window', () => {
  it("timeShiftBufferDepth is the tracks' window (DVR_WINDOW_S), a shape's window= caps it, and a budget-shortened track shortens it", () => {
    expect(seconds(mpd({ mode: 'll' }).attrs['timeShiftBufferDepth'])).toBe(DEFAULT_WINDOW_SEGMENTS * live.tl.segmentSeconds);
    expect(seconds(mpd({ mode: 'standard', shapeWindow: 4 }).attrs['timeShiftBufferDepth'])).toBe(4);
    expect(seconds(mpd({ mode: 'standard', shapeWindow: 4000 }).attrs['timeShiftBufferDepth'])).toBe(DEFAULT_WINDOW_SEGMENTS);
    const video = live.store.track(VIDEO) as Track;
    const saved = video.window;
    try {
      video.window = 3; // as CmafStore sets it while its byte budget holds the track short
      expect(seconds(mpd({ mode: 'll' }).attrs['timeShiftBufferDepth'])).toBe(3);
      // A SegmentTimeline lists the same window per track (the audio keeps its own: all 7 it holds); a shape's
      // window= caps it.
      const count = (set: El) => all(set, 'S').reduce((n, s) => n + 1 + Number(s.attrs['r'] ?? 0), 0);
      expect(all(mpd({ mode: 'standard', template: 'timeline' }), 'AdaptationSet').map(count)).toEqual([3, 7]);
      expect(all(mpd({ mode: 'standard', template: 'timeline', shapeWindow: 5 }), 'AdaptationSet').map(count)).toEqual([3, 5]);
    } finally {
      video.window = saved;
    }
  });
});

describe('a SegmentTimeline (a stream shape, tmpl=timeline)', () => {
  /** A Representation's timeline, S elements expanded: each segment's number ($Number$ = startNumber + k), t and d. */
  const timeline = (root: El, id: number) => {
    const rep = all(root, 'Representation').find((r) => r.attrs['id'] === String(id)) as El;
    const tmpl = one(rep, 'SegmentTemplate');
    const out: { number: number; t: number; d: number }[] = [];
    let t = 0;
    for (const s of all(one(tmpl, 'SegmentTimeline'), 'S')) {
      if (s.attrs['t'] !== undefined) t = Number(s.attrs['t']);
      for (let i = 0; i <= Number(s.attrs['r'] ?? 0); i++) {
        out.push({ number: Number(tmpl.attrs['startNumber']) + out.length, t, d: Number(s.attrs['d']) });
        t += Number(s.attrs['d']);
      }
    }
    return out;
  };

  it.each([VIDEO, AUDIO])(
    'low latency: the last S is the segment being made, at the end of the last complete one and never shorter than a real segment (track %i)',
    (id) => {
      const track = live.store.track(id) as Track;
      const cur = track.inProgress() as Segment;
      const complete = track.ordered().filter((s) => s.complete);
      const last = complete.at(-1) as Segment;
      expect(cur.number).toBe(last.number + 1);
      const ll = timeline(mpd({ mode: 'll', template: 'timeline' }), id);
      const std = timeline(mpd({ mode: 'standard', template: 'timeline' }), id);
      // The standard MPD lists complete segments only; the low-latency one the same and the segment being made.
      expect(std.at(-1)).toEqual({ number: last.number, t: last.startTime, d: last.duration });
      expect(ll.slice(0, -1)).toEqual(std);
      const made = ll.at(-1) as { number: number; t: number; d: number };
      expect(made.number).toBe(cur.number);
      expect(made.t).toBe((last.startTime as number) + last.duration);
      // Announced as the nominal segment in whole samples: for audio (AAC frames, not a divisor of a second) no
      // shorter than any real segment and at most a frame longer than the nominal one; video exactly the second.
      const samples = last.parts.reduce((n, p) => n + p.samples, 0);
      const sample = last.duration / samples;
      const nominal = live.tl.segmentSeconds * track.timescale;
      expect(made.d).toBeGreaterThanOrEqual(Math.max(...complete.map((s) => s.duration), cur.duration));
      expect(made.d - nominal).toBeLessThan(sample);
      if (id === VIDEO) expect(made.d).toBe(nominal);
      // A stale timeline (a fault rule) lists what was complete then, nothing being made.
      expect(timeline(mpd({ mode: 'll', template: 'timeline', asOfMs: NOW.getTime() }), id)).toEqual(std);
    },
  );

  it('low latency: the same latency target as the number-based MPD', () => {
    const target = (root: El) => one(one(root, 'ServiceDescription'), 'Latency').attrs['target'];
    expect(target(mpd({ mode: 'll', template: 'timeline' }))).toBe(String(DEFAULT_DASH_TARGET_LATENCY_MS));
    expect(target(mpd({ mode: 'll' }))).toBe(String(DEFAULT_DASH_TARGET_LATENCY_MS));
  });
});
