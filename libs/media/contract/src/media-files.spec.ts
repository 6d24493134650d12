import fc from 'fast-check';
import {
  DASH_INIT_TEMPLATE,
  DASH_MEDIA_TEMPLATE,
  dashManifestUri,
  dashMediaTemplate,
  isGroupedMediaFile,
  MAX_GROUPED_CHUNKS,
  MAX_GROUPED_SEGMENTS,
  initUri,
  MEDIA_FILE_PATTERN,
  mediaPlaylistUri,
  multivariantUri,
  parseMediaFile,
  partUri,
  segmentUri,
  type MediaFile,
} from './media-files';
import type { Mode } from './modes';

describe('parseMediaFile', () => {
  it.each<[string, MediaFile]>([
    ['master.m3u8', { kind: 'hls-multivariant', mode: 'standard' }],
    ['master-ll.m3u8', { kind: 'hls-multivariant', mode: 'll' }],
    ['media_0.m3u8', { kind: 'hls-media', track: 0, mode: 'standard' }],
    ['media_1-ll.m3u8', { kind: 'hls-media', track: 1, mode: 'll' }],
    ['media_42.m3u8', { kind: 'hls-media', track: 42, mode: 'standard' }],
    ['manifest.mpd', { kind: 'dash-manifest', mode: 'standard' }],
    ['manifest-ll.mpd', { kind: 'dash-manifest', mode: 'll' }],
    ['init-0.m4s', { kind: 'init', track: 0 }],
    ['init-17.m4s', { kind: 'init', track: 17 }],
    ['chunk-0-00001.m4s', { kind: 'segment', track: 0, number: 1 }],
    ['chunk-1-1764000123.m4s', { kind: 'segment', track: 1, number: 1764000123 }],
    ['chunk-99-999999999999.m4s', { kind: 'segment', track: 99, number: 999999999999 }],
    ['chunk-0-7.m4s', { kind: 'segment', track: 0, number: 7 }],
    ['chunk-0-00001.0.m4s', { kind: 'part', track: 0, number: 1, part: 0 }],
    ['chunk-1-1764000123.4.m4s', { kind: 'part', track: 1, number: 1764000123, part: 4 }],
    ['chunk-2-00010.9999.m4s', { kind: 'part', track: 2, number: 10, part: 9999 }],
    // a stream shape's grouping (MediaGrouping): -s<N> stored segments per segment, -c<P> stored chunks per part
    ['chunk-0-00021-s2.m4s', { kind: 'segment', track: 0, number: 21, group: { segments: 2, chunks: 1 } }],
    ['chunk-1-00021-s4.3.m4s', { kind: 'part', track: 1, number: 21, part: 3, group: { segments: 4, chunks: 1 } }],
    ['chunk-0-00042.1-c3.m4s', { kind: 'part', track: 0, number: 42, part: 1, group: { segments: 1, chunks: 3 } }],
    ['chunk-0-00021-s2.4-c4.m4s', { kind: 'part', track: 0, number: 21, part: 4, group: { segments: 2, chunks: 4 } }],
  ])('%s', (name, expected) => {
    expect(parseMediaFile(name)).toEqual(expected);
  });

  it('accepts every name the playlists and MPDs use, and reads back what they were made from', () => {
    for (const mode of ['standard', 'll'] as const) {
      expect(parseMediaFile(multivariantUri(mode))).toEqual({ kind: 'hls-multivariant', mode });
      expect(parseMediaFile(mediaPlaylistUri(3, mode))).toEqual({ kind: 'hls-media', track: 3, mode });
      expect(parseMediaFile(dashManifestUri(mode))).toEqual({ kind: 'dash-manifest', mode });
    }
    expect(parseMediaFile(initUri(1))).toEqual({ kind: 'init', track: 1 });
    for (const n of [1, 99999, 100000, 1_764_000_000]) {
      expect(parseMediaFile(segmentUri(0, n))).toEqual({ kind: 'segment', track: 0, number: n });
      expect(parseMediaFile(partUri(1, n, 4))).toEqual({ kind: 'part', track: 1, number: n, part: 4 });
    }
  });

  it.each([
    // not names at all
    '',
    '.',
    '..',
    '/',
    // paths and traversal
    '/master.m3u8',
    './master.m3u8',
    '../master.m3u8',
    'live/master.m3u8',
    'x/../manifest.mpd',
    '..\\init-0.m4s',
    'media_0.m3u8/',
    '%2e%2e%2fmaster.m3u8',
    'master.m3u8%00',
    // extra dots, extra suffixes, missing parts
    'master..m3u8',
    'master.m3u8.m3u8',
    'master.m3u8.bak',
    '.master.m3u8',
    'manifest.mpd.',
    'chunk-0-1..m4s',
    'chunk-0-1.0.0.m4s',
    'chunk-0-1.m4s.m4s',
    // groupings out of range, on the wrong element, or spelt another way
    'chunk-0-1-s1.m4s',
    'chunk-0-1-s5.m4s',
    'chunk-0-1-s10.m4s',
    'chunk-0-1-c2.m4s',
    'chunk-0-1.0-c1.m4s',
    'chunk-0-1.0-c5.m4s',
    'chunk-0-1.0-s2.m4s',
    'chunk-0-1-s2-s2.m4s',
    'chunk-0-1-S2.m4s',
    'chunk-0-1-2s.m4s',
    'chunk-0-1.0.m4s.tmp',
    'chunk-0-.m4s',
    'chunk--1.m4s',
    'chunk-0.m4s',
    'init-.m4s',
    'media_.m3u8',
    'media_0-ll-ll.m3u8',
    'master-ll-ll.m3u8',
    'manifest-lowlatency.mpd',
    // signs, exponents, hex, spaces, control characters
    'chunk-0--1.m4s',
    'chunk-0-1.-1.m4s',
    'chunk-0-1e3.m4s',
    'chunk-0-0x10.m4s',
    'chunk-0-+1.m4s',
    'media_-1.m3u8',
    ' master.m3u8',
    'master.m3u8 ',
    'master.m3u8\n',
    'master.m3u8\0',
    'init-0.m4s\ninit-1.m4s',
    // huge numbers
    'media_100.m3u8',
    'init-100.m4s',
    'chunk-100-1.m4s',
    'chunk-0-1234567890123.m4s',
    'chunk-0-99999999999999999999999.m4s',
    'chunk-0-1.10000.m4s',
    // case
    'MASTER.M3U8',
    'Master.m3u8',
    'master.M3U8',
    'master-LL.m3u8',
    'media_0-LL.m3u8',
    'Manifest.mpd',
    'manifest.MPD',
    'INIT-0.m4s',
    'init-0.M4S',
    'Chunk-0-1.m4s',
    'chunk-0-1.M4S',
    // other files
    'index.html',
    'init-0.mp4',
    'chunk-0-1.mp4',
    'chunk-0-1.ts',
    'media_0.m3u',
    'manifest.m3u8',
    'master.mpd',
  ])('rejects %j', (name) => {
    expect(parseMediaFile(name)).toBeUndefined();
    expect(MEDIA_FILE_PATTERN.test(name)).toBe(false);
  });

  it('gives safe integers for the largest accepted numbers', () => {
    const f = parseMediaFile('chunk-99-999999999999.9999.m4s');
    expect(f).toEqual({ kind: 'part', track: 99, number: 999_999_999_999, part: 9999 });
    expect(f?.kind === 'part' && Number.isSafeInteger(f.number)).toBe(true);
  });
});


describe('the builders', () => {
  it('write the names players and tests already know', () => {
    expect([multivariantUri('standard'), multivariantUri('ll')]).toEqual(['master.m3u8', 'master-ll.m3u8']);
    expect([mediaPlaylistUri(0, 'standard'), mediaPlaylistUri(1, 'll')]).toEqual(['media_0.m3u8', 'media_1-ll.m3u8']);
    expect([dashManifestUri('standard'), dashManifestUri('ll')]).toEqual(['manifest.mpd', 'manifest-ll.mpd']);
    expect(initUri(1)).toBe('init-1.m4s');
    expect(segmentUri(0, 42)).toBe('chunk-0-00042.m4s');
    expect(segmentUri(1, 1_764_000_123)).toBe('chunk-1-1764000123.m4s');
    expect(partUri(0, 42, 3)).toBe('chunk-0-00042.3.m4s');
    // a grouping of 1 and 1 is the stored names; a segment's name never carries the part grouping
    expect(segmentUri(0, 42, { segments: 1, chunks: 1 })).toBe('chunk-0-00042.m4s');
    expect(segmentUri(0, 21, { segments: 2, chunks: 3 })).toBe('chunk-0-00021-s2.m4s');
    expect(partUri(0, 21, 4, { segments: 2, chunks: 3 })).toBe('chunk-0-00021-s2.4-c3.m4s');
    expect(partUri(0, 42, 1, { segments: 1, chunks: 2 })).toBe('chunk-0-00042.1-c2.m4s');
  });

  it('DASH templates: $RepresentationID$ and $Number%05d$ expand to the init and segment names', () => {
    expect(DASH_INIT_TEMPLATE).toBe('init-$RepresentationID$.m4s');
    expect(DASH_MEDIA_TEMPLATE).toBe('chunk-$RepresentationID$-$Number%05d$.m4s');
    fc.assert(
      fc.property(track, segmentNumber, (t, n) => {
        expect(expandDashTemplate(DASH_INIT_TEMPLATE, t, n)).toBe(initUri(t));
        expect(expandDashTemplate(DASH_MEDIA_TEMPLATE, t, n)).toBe(segmentUri(t, n));
        expect(dashMediaTemplate()).toBe(DASH_MEDIA_TEMPLATE);
      }),
    );
    fc.assert(
      fc.property(track, segmentNumber, grouping, (t, n, g) => {
        expect(expandDashTemplate(dashMediaTemplate(g), t, n)).toBe(segmentUri(t, n, g));
      }),
    );
  });
});

// DASH's template expansion (ISO/IEC 23009-1 §5.3.9.4.4), written out here for the check.
function expandDashTemplate(template: string, representationId: number, n: number): string {
  return template
    .replace(/\$RepresentationID\$/g, String(representationId))
    .replace(/\$Number(?:%0(\d+)d)?\$/g, (_m, width?: string) => String(n).padStart(Number(width ?? 0), '0'));
}

const track = fc.integer({ min: 0, max: 99 });
const segmentNumber = fc.integer({ min: 0, max: 999_999_999_999 });
const partIndex = fc.integer({ min: 0, max: 9999 });
const mode = fc.constantFrom<Mode>('standard', 'll');
const grouping = fc.record({ segments: fc.integer({ min: 1, max: MAX_GROUPED_SEGMENTS }), chunks: fc.integer({ min: 1, max: MAX_GROUPED_CHUNKS }) });

/** The builder for what parseMediaFile read. */
function rebuild(f: MediaFile): string {
  switch (f.kind) {
    case 'hls-multivariant':
      return multivariantUri(f.mode);
    case 'hls-media':
      return mediaPlaylistUri(f.track, f.mode);
    case 'dash-manifest':
      return dashManifestUri(f.mode);
    case 'init':
      return initUri(f.track);
    case 'segment':
      return segmentUri(f.track, f.number, f.group);
    case 'part':
      return partUri(f.track, f.number, f.part, f.group);
  }
}

describe('builders and parser (properties)', () => {
  it('read back what every builder wrote', () => {
    fc.assert(
      fc.property(track, segmentNumber, partIndex, mode, (t, n, p, m) => {
        expect(parseMediaFile(multivariantUri(m))).toEqual({ kind: 'hls-multivariant', mode: m });
        expect(parseMediaFile(mediaPlaylistUri(t, m))).toEqual({ kind: 'hls-media', track: t, mode: m });
        expect(parseMediaFile(dashManifestUri(m))).toEqual({ kind: 'dash-manifest', mode: m });
        expect(parseMediaFile(initUri(t))).toEqual({ kind: 'init', track: t });
        expect(parseMediaFile(segmentUri(t, n))).toEqual({ kind: 'segment', track: t, number: n });
        expect(parseMediaFile(partUri(t, n, p))).toEqual({ kind: 'part', track: t, number: n, part: p });
      }),
    );
  });

  it('read back grouped names: the grouping that names different bytes, and nothing for the stored grouping', () => {
    fc.assert(
      fc.property(track, segmentNumber, partIndex, grouping, (t, n, p, g) => {
        const seg = parseMediaFile(segmentUri(t, n, g));
        const part = parseMediaFile(partUri(t, n, p, g));
        expect(seg).toEqual({ kind: 'segment', track: t, number: n, ...(g.segments > 1 ? { group: { segments: g.segments, chunks: 1 } } : {}) });
        expect(part).toEqual({ kind: 'part', track: t, number: n, part: p, ...(g.segments > 1 || g.chunks > 1 ? { group: g } : {}) });
        expect(isGroupedMediaFile(part as MediaFile)).toBe(g.segments > 1 || g.chunks > 1);
        // A grouped name is never a stored one.
        if (g.segments > 1) expect(segmentUri(t, n, g)).not.toBe(segmentUri(t, n));
      }),
    );
  });

  it('accept only names a builder writes (up to zero-padding), never a path', () => {
    const nameLike = fc.stringMatching(/^[a-z0-9_.%/\\-]{0,30}(?:m3u8|mpd|m4s)?$/);
    fc.assert(
      fc.property(fc.oneof(nameLike, fc.string()), (s) => {
        const f = parseMediaFile(s);
        if (!f) return;
        expect(s).not.toMatch(/[/\\%]|\.\./);
        expect(parseMediaFile(rebuild(f))).toEqual(f);
      }),
    );
  });

  it('reject a valid name with a path around it', () => {
    fc.assert(
      fc.property(track, segmentNumber, fc.constantFrom('/', '../', './', 'x/', '%2f', '..\\'), (t, n, prefix) => {
        expect(parseMediaFile(prefix + segmentUri(t, n))).toBeUndefined();
        expect(parseMediaFile(segmentUri(t, n) + '/')).toBeUndefined();
      }),
    );
  });
});
