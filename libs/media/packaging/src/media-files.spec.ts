import { initUri, mediaPlaylistUri, multivariantUri, partUri, segmentUri } from './hls-playlists';
import { cacheControl, contentType, MEDIA_FILE_PATTERN, parseMediaFile, type MediaFile } from './media-files';

describe('parseMediaFile', () => {
  it.each<[string, MediaFile]>([
    ['master.m3u8', { kind: 'hls-multivariant', mode: 'standard' }],
    ['master-ll.m3u8', { kind: 'hls-multivariant', mode: 'low-latency' }],
    ['media_0.m3u8', { kind: 'hls-media', track: 0, mode: 'standard' }],
    ['media_1-ll.m3u8', { kind: 'hls-media', track: 1, mode: 'low-latency' }],
    ['media_42.m3u8', { kind: 'hls-media', track: 42, mode: 'standard' }],
    ['manifest.mpd', { kind: 'dash-manifest', mode: 'standard' }],
    ['manifest-ll.mpd', { kind: 'dash-manifest', mode: 'low-latency' }],
    ['init-0.m4s', { kind: 'init', track: 0 }],
    ['init-17.m4s', { kind: 'init', track: 17 }],
    ['chunk-0-00001.m4s', { kind: 'segment', track: 0, number: 1 }],
    ['chunk-1-1764000123.m4s', { kind: 'segment', track: 1, number: 1764000123 }],
    ['chunk-99-999999999999.m4s', { kind: 'segment', track: 99, number: 999999999999 }],
    ['chunk-0-7.m4s', { kind: 'segment', track: 0, number: 7 }],
    ['chunk-0-00001.0.m4s', { kind: 'part', track: 0, number: 1, part: 0 }],
    ['chunk-1-1764000123.4.m4s', { kind: 'part', track: 1, number: 1764000123, part: 4 }],
    ['chunk-2-00010.9999.m4s', { kind: 'part', track: 2, number: 10, part: 9999 }],
  ])('%s', (name, expected) => {
    expect(parseMediaFile(name)).toEqual(expected);
  });

  it('accepts every name the playlists and MPDs use, and reads back what they were made from', () => {
    for (const mode of ['standard', 'low-latency'] as const) {
      expect(parseMediaFile(multivariantUri(mode))).toEqual({ kind: 'hls-multivariant', mode });
      expect(parseMediaFile(mediaPlaylistUri(3, mode))).toEqual({ kind: 'hls-media', track: 3, mode });
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
    expect(Number.isSafeInteger(f?.number)).toBe(true);
  });
});

describe('contentType and cacheControl', () => {
  it.each<[string, string, string]>([
    ['master-ll.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
    ['media_0.m3u8', 'application/vnd.apple.mpegurl', 'no-cache'],
    ['manifest.mpd', 'application/dash+xml', 'no-cache'],
    ['init-0.m4s', 'video/mp4', 'no-cache'],
    ['chunk-0-00001.m4s', 'video/mp4', 'public, max-age=31536000, immutable'],
    ['chunk-0-00001.3.m4s', 'video/mp4', 'public, max-age=31536000, immutable'],
  ])('%s: %s, %s', (name, type, cache) => {
    const f = parseMediaFile(name) as MediaFile;
    expect(contentType(f.kind)).toBe(type);
    expect(cacheControl(f.kind)).toBe(cache);
  });
});
