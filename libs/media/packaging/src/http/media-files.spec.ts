import { parseMediaFile, type MediaFile } from '@livelab/media-contract';
import { cacheControl, contentType } from './media-files';

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

  it('lets caches keep a blocking playlist reload (any playlist listing what was asked for answers it), never a plain reload', () => {
    expect(cacheControl('hls-media', { blockingReload: true })).toBe('public, max-age=6');
    expect(cacheControl('hls-media', { blockingReload: false })).toBe('no-cache');
    expect(cacheControl('hls-multivariant', { blockingReload: true })).toBe('no-cache');
  });
});
