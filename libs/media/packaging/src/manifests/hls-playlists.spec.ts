import {
  AUDIO,
  generateCmaf,
  liveStream,
  removeCmaf,
  VIDEO,
  type CmafFiles,
  type LiveStream,
} from '../../test/cmaf-fixtures';
import { initUri, mediaPlaylistUri, multivariantUri, partUri, segmentUri, type Mode } from '@livelab/media-contract';
import { averageBitrate, CmafStore, peakBitrate, wallClockMs, type Track } from '../cmaf/cmaf-store';
import { lastListedPart, mediaPlaylist, multivariantPlaylist, partHoldBack, PLAYLIST_SEGMENTS } from './hls-playlists';

// Playlists written from a store fed with real ffmpeg CMAF (8 s: 1 s segments, ~200 ms parts) at the live pace,
// checked against the rules of RFC 8216 and draft-pantos-hls-rfc8216bis (low-latency HLS).
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
let files: CmafFiles;
/** 7 segments complete, segment 8 in progress with 2 parts. */
let inProgress: LiveStream;
/** 7 segments complete, nothing in progress (between two segment uploads). */
let between: LiveStream;

beforeAll(() => {
  files = generateCmaf(8);
  jest.useFakeTimers();
  inProgress = liveStream(files, { t0: T0, segments: 7, inProgressParts: 2 });
  between = liveStream(files, { t0: T0, segments: 7 });
  jest.useRealTimers();
});
afterAll(() => removeCmaf(files));

type Attrs = Record<string, string>;
/** An attribute list: KEY=value or KEY="quoted, value". */
function attrs(list: string): Attrs {
  const out: Attrs = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)(,|$)/g;
  let consumed = 0;
  for (let m = re.exec(list); m; m = re.exec(list)) {
    if (m.index !== consumed) throw new Error(`bad attribute list: ${list}`);
    if (m[1] in out) throw new Error(`duplicate attribute ${m[1]}`);
    out[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
    consumed = re.lastIndex;
    if (m[0] === '' || consumed >= list.length) break;
  }
  if (consumed !== list.length) throw new Error(`bad attribute list: ${list}`);
  return out;
}

interface ParsedPart extends Attrs {
  DURATION: string;
  URI: string;
}
interface ParsedSegment {
  uri: string;
  duration: number;
  parts: ParsedPart[];
}
interface MediaPlaylist {
  lines: string[];
  tag(name: string): string | undefined;
  segments: ParsedSegment[];
  /** Parts after the last segment (the segment in progress). */
  trailingParts: ParsedPart[];
}

/** Parses a media playlist, checking the generic syntax rules on the way. */
function parse(text: string): MediaPlaylist {
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines[0]).toBe('#EXTM3U');
  for (const line of lines) {
    expect(line).not.toBe(''); // (allowed, but we write none)
    expect(line).toMatch(/^[\x20-\x7e]+$/); // no control characters
  }
  const segments: ParsedSegment[] = [];
  let parts: ParsedPart[] = [];
  let extinf: number | undefined;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-PART:')) parts.push(attrs(line.slice('#EXT-X-PART:'.length)) as ParsedPart);
    else if (line.startsWith('#EXTINF:')) {
      const m = /^#EXTINF:(\d+(?:\.\d+)?),$/.exec(line);
      expect(m).not.toBeNull();
      extinf = Number(m?.[1]);
    } else if (!line.startsWith('#')) {
      expect(extinf).toBeDefined(); // every URI line follows its EXTINF
      segments.push({ uri: line, duration: extinf as number, parts });
      parts = [];
      extinf = undefined;
    }
  }
  expect(extinf).toBeUndefined();
  const tag = (name: string) => {
    const found = lines.filter((l) => l === name || l.startsWith(`${name}:`));
    expect(found.length).toBeLessThanOrEqual(1);
    return found[0]?.slice(name.length + 1);
  };
  return { lines, tag, segments, trailingParts: parts };
}

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
  let pl: MediaPlaylist;
  let t: Track;
  beforeAll(() => {
    const { store, tl } = stream();
    t = store.track(track) as Track;
    text = mediaPlaylist(t, tl, 'll');
    pl = parse(text);
  });

  it('has version, EXT-X-MAP before the first segment, and EXTINF durations of the segments', () => {
    expect(Number(pl.tag('#EXT-X-VERSION'))).toBeGreaterThanOrEqual(6); // EXT-X-MAP without I-frames only needs 6
    expect(pl.tag('#EXT-X-MAP')).toBe(`URI="${initUri(track)}"`);
    const firstUri = pl.lines.findIndex((l) => !l.startsWith('#'));
    expect(pl.lines.findIndex((l) => l.startsWith('#EXT-X-MAP'))).toBeLessThan(firstUri);
    expect(pl.segments).toHaveLength(PLAYLIST_SEGMENTS);
    for (const s of pl.segments) {
      const seg = t.segments.get(segNumber(s.uri, track));
      expect(seg?.complete).toBe(true);
      expect(s.duration).toBeCloseTo(seg?.durationS as number, 4);
    }
  });

  it('EXT-X-TARGETDURATION is at least every EXTINF rounded to the nearest integer', () => {
    const target = Number(pl.tag('#EXT-X-TARGETDURATION'));
    expect(Number.isInteger(target)).toBe(true);
    for (const s of pl.segments) expect(Math.round(s.duration)).toBeLessThanOrEqual(target);
  });

  it('EXT-X-MEDIA-SEQUENCE is the first listed segment, and segment numbers follow on one by one', () => {
    const msn = Number(pl.tag('#EXT-X-MEDIA-SEQUENCE'));
    expect(msn).toBe(segNumber(pl.segments[0].uri, track));
    pl.segments.forEach((s, i) => expect(s.uri).toBe(segmentUri(track, msn + i)));
    const newest = t.lastComplete()?.number as number;
    expect(msn + pl.segments.length - 1).toBe(newest);
  });

  it('has EXT-X-PROGRAM-DATE-TIME for the first segment, on the timeline', () => {
    const pdt = pl.tag('#EXT-X-PROGRAM-DATE-TIME') as string;
    expect(pdt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const first = t.segments.get(segNumber(pl.segments[0].uri, track));
    const { tl } = stream();
    expect(Date.parse(pdt)).toBe(Math.floor(wallClockMs(tl, t, first?.startTime as number)));
    // The first listed segment (number 2) was captured from T0 + 1 s.
    expect(Math.abs(Date.parse(pdt) - (T0 + (segNumber(pl.segments[0].uri, track) - 1) * 1000))).toBeLessThan(
      50,
    );
    expect(pl.lines.findIndex((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME'))).toBeLessThan(
      pl.lines.indexOf(pl.segments[0].uri),
    );
  });

  it('EXT-X-SERVER-CONTROL: CAN-BLOCK-RELOAD=YES, PART-HOLD-BACK at least 2 (we use 3) part targets', () => {
    const sc = attrs(pl.tag('#EXT-X-SERVER-CONTROL') as string);
    const partTarget = Number(attrs(pl.tag('#EXT-X-PART-INF') as string)['PART-TARGET']);
    expect(sc['CAN-BLOCK-RELOAD']).toBe('YES');
    expect(Number(sc['PART-HOLD-BACK'])).toBeGreaterThanOrEqual(2 * partTarget);
    expect(Number(sc['PART-HOLD-BACK'])).toBeCloseTo(3 * partTarget, 6);
    expect(Number(sc['PART-HOLD-BACK'])).toBe(partHoldBack(partTarget));
  });

  it('EXT-X-PART-INF is present and no part is longer than PART-TARGET', () => {
    const partTarget = Number(attrs(pl.tag('#EXT-X-PART-INF') as string)['PART-TARGET']);
    expect(partTarget).toBeGreaterThan(0);
    const all = [...pl.segments.flatMap((s) => s.parts), ...pl.trailingParts];
    expect(all.length).toBeGreaterThan(0);
    for (const p of all) expect(Number(p.DURATION)).toBeLessThanOrEqual(partTarget);
    // rfc8216bis: at least 85% of PART-TARGET, except independent parts and a segment's last part.
    for (const s of [...pl.segments.map((x) => x.parts), pl.trailingParts]) {
      s.slice(0, -1).forEach((p) => {
        if (p['INDEPENDENT'] !== 'YES') expect(Number(p.DURATION)).toBeGreaterThanOrEqual(0.85 * partTarget);
      });
    }
  });

  it('lists the parts of a segment in order, adding up to its EXTINF', () => {
    for (const s of pl.segments.filter((x) => x.parts.length)) {
      const n = segNumber(s.uri, track);
      s.parts.forEach((p, k) => expect(p.URI).toBe(partUri(track, n, k)));
      expect(s.parts.reduce((sum, p) => sum + Number(p.DURATION), 0)).toBeCloseTo(s.duration, 3);
    }
  });

  it('marks the keyframe parts INDEPENDENT=YES: the first of each video segment, every audio part', () => {
    const groups = [...pl.segments.map((s) => s.parts), pl.trailingParts].filter((g) => g.length);
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      g.forEach((p, k) => expect(p['INDEPENDENT']).toBe(track === AUDIO || k === 0 ? 'YES' : undefined));
    }
  });

  it('lists parts only for the segments that end within 3 target durations of the live edge, and for all of those', () => {
    const target = Number(pl.tag('#EXT-X-TARGETDURATION'));
    const end =
      pl.segments.reduce((n, s) => n + s.duration, 0) +
      pl.trailingParts.reduce((n, p) => n + Number(p.DURATION), 0);
    let at = 0;
    const withParts: number[] = [];
    for (const s of pl.segments) {
      at += s.duration;
      const fromEdge = end - at;
      if (s.parts.length) withParts.push(segNumber(s.uri, track));
      expect(s.parts.length > 0).toBe(fromEdge < 3 * target - 1e-3);
    }
    expect(withParts.length).toBeGreaterThanOrEqual(2);
    expect(withParts.length).toBeLessThan(pl.segments.length);
  });

  it('lists the in-progress segment as parts after the last segment, and ends with the preload hint of the next part', () => {
    const cur = t.inProgress();
    const last = pl.lines[pl.lines.length - 1];
    expect(pl.lines.filter((l) => l.startsWith('#EXT-X-PRELOAD-HINT'))).toHaveLength(1);
    expect(last.startsWith('#EXT-X-PRELOAD-HINT:')).toBe(true);
    const hint = attrs(last.slice('#EXT-X-PRELOAD-HINT:'.length));
    expect(hint['TYPE']).toBe('PART');
    if (cur) {
      expect(cur.parts).toHaveLength(2);
      expect(pl.trailingParts.map((p) => p.URI)).toEqual([
        partUri(track, cur.number, 0),
        partUri(track, cur.number, 1),
      ]);
      expect(hint['URI']).toBe(partUri(track, cur.number, 2));
    } else {
      expect(pl.trailingParts).toEqual([]);
      const newest = segNumber(pl.segments[pl.segments.length - 1].uri, track);
      expect(hint['URI']).toBe(partUri(track, newest + 1, 0));
    }
  });

  it('lastListedPart names the last EXT-X-PART of the playlist', () => {
    const parts = [...pl.segments.flatMap((s) => s.parts), ...pl.trailingParts];
    const { msn, part } = lastListedPart(t);
    expect(parts[parts.length - 1].URI).toBe(partUri(track, msn, part));
  });
});

describe.each(cases)('standard media playlist: %s', (_name, stream, track) => {
  it('has no low-latency tags, and lists complete segments only', () => {
    const { store, tl } = stream();
    const t = store.track(track) as Track;
    const text = mediaPlaylist(t, tl, 'standard');
    const pl = parse(text);
    expect(text).not.toMatch(/#EXT-X-PART|#EXT-X-PART-INF|#EXT-X-PRELOAD-HINT|PART-HOLD-BACK/);
    expect(pl.trailingParts).toEqual([]);
    expect(pl.tag('#EXT-X-SERVER-CONTROL')).toBe('CAN-BLOCK-RELOAD=YES');
    const numbers = pl.segments.map((s) => segNumber(s.uri, track));
    expect(numbers).toEqual([2, 3, 4, 5, 6, 7]);
    if (t.inProgress()) expect(numbers).not.toContain(t.inProgress()?.number);
    expect(Number(pl.tag('#EXT-X-MEDIA-SEQUENCE'))).toBe(2);
    expect(pl.tag('#EXT-X-MAP')).toBe(`URI="${initUri(track)}"`);
    expect(pl.tag('#EXT-X-PROGRAM-DATE-TIME')).toBeDefined();
    for (const s of pl.segments)
      expect(Math.round(s.duration)).toBeLessThanOrEqual(Number(pl.tag('#EXT-X-TARGETDURATION')));
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
      expect(pl.lines[pl.lines.length - 1]).toBe(
        `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partUri(VIDEO, 8, 0)}"`,
      );
      expect(lastListedPart(t)).toEqual({ msn: 7, part: 4 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('a track with no segments: header, MAP and the hint for the first part', () => {
    const store = new CmafStore();
    store.setInit(VIDEO, files.init.get(VIDEO) as Buffer);
    const t = store.track(VIDEO) as Track;
    const tl = inProgress.tl;
    const text = mediaPlaylist(t, tl, 'll');
    expect(text).toContain(`#EXT-X-MEDIA-SEQUENCE:${tl.firstNumber}\n`);
    expect(text).toContain(`#EXT-X-MAP:URI="init-0.m4s"`);
    expect(text).not.toContain('#EXTINF');
    expect(lastListedPart(t)).toEqual({ msn: -1, part: -1 });
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
  const streamInf = (text: string) => {
    const lines = text.trimEnd().split('\n');
    const i = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    return { attrs: attrs(lines[i].slice('#EXT-X-STREAM-INF:'.length)), uri: lines[i + 1], lines };
  };

  it.each<[Mode, string, string]>([
    ['standard', 'media_0.m3u8', 'media_1.m3u8'],
    ['ll', 'media_0-ll.m3u8', 'media_1-ll.m3u8'],
  ])(
    '%s: CODECS, RESOLUTION, FRAME-RATE, the audio group, bandwidths, and the %s URIs',
    (mode, videoUri, audioUri) => {
      const tracks = inProgress.store.readyTracks();
      const text = multivariantPlaylist(tracks, mode);
      const { attrs: a, uri, lines } = streamInf(text);
      expect(lines[0]).toBe('#EXTM3U');
      expect(lines).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
      expect(uri).toBe(videoUri);
      expect(uri).toBe(mediaPlaylistUri(VIDEO, mode));
      expect(a['CODECS']).toMatch(/^avc1\.6400[0-9a-f]{2},mp4a\.40\.2$/);
      expect(a['CODECS']).toBe(`${tracks[0].info?.codec},${tracks[1].info?.codec}`);
      expect(a['RESOLUTION']).toBe('320x180');
      expect(a['FRAME-RATE']).toBe('30.000');
      expect(a['AUDIO']).toBe('audio');
      const media = lines.filter((l) => l.startsWith('#EXT-X-MEDIA:'));
      expect(media).toHaveLength(1);
      expect(attrs(media[0].slice('#EXT-X-MEDIA:'.length))).toMatchObject({
        TYPE: 'AUDIO',
        'GROUP-ID': 'audio',
        CHANNELS: '2',
        URI: audioUri,
        DEFAULT: 'YES',
      });
      const bandwidth = Number(a['BANDWIDTH']);
      const average = Number(a['AVERAGE-BANDWIDTH']);
      expect(average).toBeGreaterThan(0);
      expect(bandwidth).toBeGreaterThanOrEqual(average);
      expect(bandwidth).toBe(peakBitrate(tracks[0]) + peakBitrate(tracks[1]));
      expect(average).toBe(averageBitrate(tracks[0]) + averageBitrate(tracks[1]));
      // BANDWIDTH is the peak segment bit rate: no complete segment pair goes over it.
      for (const s of tracks[0].ordered().filter((x) => x.complete)) {
        const audio = tracks[1].segments.get(s.number);
        if (!audio?.complete) continue;
        expect((s.bytes * 8) / s.durationS + (audio.bytes * 8) / audio.durationS).toBeLessThanOrEqual(
          bandwidth + 1,
        );
      }
    },
  );

  it('URIs differ per mode', () => {
    const tracks = inProgress.store.readyTracks();
    expect(multivariantUri('standard')).toBe('master.m3u8');
    expect(multivariantUri('ll')).toBe('master-ll.m3u8');
    expect(streamInf(multivariantPlaylist(tracks, 'standard')).uri).not.toBe(
      streamInf(multivariantPlaylist(tracks, 'll')).uri,
    );
  });

  it('video only: no audio group', () => {
    const video = inProgress.store.track(VIDEO) as Track;
    const text = multivariantPlaylist([video], 'standard');
    const { attrs: a } = streamInf(text);
    expect(text).not.toContain('#EXT-X-MEDIA:');
    expect(a['AUDIO']).toBeUndefined();
    expect(a['CODECS']).toBe(video.info?.codec);
    expect(Number(a['BANDWIDTH'])).toBe(peakBitrate(video));
  });

  it('no tracks yet: just the header', () => {
    expect(multivariantPlaylist([], 'll')).toBe(
      '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n',
    );
  });
});
