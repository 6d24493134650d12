import fc from 'fast-check';
import { initUri, parseMediaFile, partUri, segmentUri } from './media-files';
import { manifestPath, mediaPath, parseMediaPath } from './media-paths';
import { streamUrls } from './streams-api';

describe('media paths', () => {
  it('are /live/<stream>/<file>, as /api/streams lists them', () => {
    expect(streamUrls('good-stream')).toEqual({
      hls: '/live/good-stream/master.m3u8',
      dash: '/live/good-stream/manifest.mpd',
      hlsLowLatency: '/live/good-stream/master-ll.m3u8',
      dashLowLatency: '/live/good-stream/manifest-ll.mpd',
    });
    expect(manifestPath('a', 'dash', 'll')).toBe('/live/a/manifest-ll.mpd');
    expect(mediaPath('a', initUri(0))).toBe('/live/a/init-0.m4s');
  });

  it('encode a name that is not a stream name (the page builds them from its address bar)', () => {
    expect(manifestPath('a/../b', 'hls', 'standard')).toBe('/live/a%2F..%2Fb/master.m3u8');
  });

  it('read back a stream and file', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/);
    fc.assert(
      fc.property(name, fc.nat(99), fc.nat(999_999_999_999), fc.nat(9999), (stream, t, n, p) => {
        for (const file of [initUri(t), segmentUri(t, n), partUri(t, n, p)]) {
          expect(parseMediaPath(mediaPath(stream, file))).toEqual({ stream, file: parseMediaFile(file) });
        }
      }),
    );
  });

  it.each([
    '',
    '/live',
    '/live/',
    '/live/good',
    '/live/good/',
    '/other/good/master.m3u8',
    '/live/good/sub/master.m3u8',
    '/live/good/../master.m3u8',
    '/live/../good/master.m3u8',
    '/live/..%2Fgood/master.m3u8',
    '/live/%2e%2e/master.m3u8',
    '/live/Good/master.m3u8',
    '/live/%E0%A4%A/master.m3u8',
    '/live/good/..%2F..%2Fetc%2Fpasswd',
    '/live/good/index.html',
    '//live/good/master.m3u8',
    'live/good/master.m3u8',
  ])('rejects %j', (path) => {
    expect(parseMediaPath(path)).toBeUndefined();
  });
});
