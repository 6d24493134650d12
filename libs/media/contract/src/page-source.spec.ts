import fc from 'fast-check';
import { MAX_SOURCE_URL_LENGTH, pageQuery, parseLiveDelay, parsePageSource, rungOfMediaPlaylistUrl } from './page-source';

const BASE = 'http://127.0.0.1:8080/';

describe('parsePageSource', () => {
  it('takes http(s) URLs and paths, reading the format from the extension or the format parameter', () => {
    expect(parsePageSource('https://cdn.example/a/master.m3u8', BASE)).toEqual({ ok: true, url: 'https://cdn.example/a/master.m3u8', format: 'hls' });
    expect(parsePageSource('/fixture/manifest.mpd', BASE)).toEqual({ ok: true, url: 'http://127.0.0.1:8080/fixture/manifest.mpd', format: 'dash' });
    expect(parsePageSource('http://h/play?id=3', BASE, 'dash')).toEqual({ ok: true, url: 'http://h/play?id=3', format: 'dash' });
  });

  it('refuses other schemes, credentials, unknown formats and overlong URLs, with a reason', () => {
    for (const bad of ['javascript:alert(1)', 'data:application/x-mpegurl,#EXTM3U', 'file:///etc/passwd.m3u8', 'blob:http://h/x.mpd', 'ftp://h/a.m3u8']) {
      const r = parsePageSource(bad, BASE);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toMatch(/only http\(s\)/);
    }
    expect(parsePageSource('http://u:p@h/a.m3u8', BASE)).toEqual({ ok: false, reason: 'src must not carry credentials' });
    expect(parsePageSource('http://h/a.mp4', BASE).ok).toBe(false);
    expect(parsePageSource('', BASE).ok).toBe(false);
    expect(parsePageSource(`http://h/${'a'.repeat(MAX_SOURCE_URL_LENGTH)}.m3u8`, BASE).ok).toBe(false);
  });

  it('never accepts a non-http(s) URL, whatever the input (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom(undefined, 'hls', 'dash', 'x'), (raw, format) => {
        const r = parsePageSource(raw, BASE, format);
        if (r.ok) expect(['http:', 'https:']).toContain(new URL(r.url).protocol);
        else expect(r.reason.length).toBeGreaterThan(0);
      }),
      { seed: 17, numRuns: 2000 },
    );
  });
});

describe('pageQuery', () => {
  it('round-trips through parsePageSource', () => {
    const q = new URLSearchParams(pageQuery({ src: 'http://h/x/master.m3u8?a=1&b=2', format: 'hls' }));
    expect(parsePageSource(q.get('src') ?? '', BASE, q.get('format'))).toEqual({ ok: true, url: 'http://h/x/master.m3u8?a=1&b=2', format: 'hls' });
    expect(pageQuery({ stream: 's1', format: 'dash', mode: 'll' })).toBe('?stream=s1&format=dash&mode=ll');
  });
});

describe('rungOfMediaPlaylistUrl', () => {
  it('reads the track of our media playlist names only', () => {
    expect(rungOfMediaPlaylistUrl('http://h/live/s/media_2.m3u8')).toBe(2);
    expect(rungOfMediaPlaylistUrl('/live/s/media_0-ll.m3u8?_HLS_msn=3')).toBe(0);
    expect(rungOfMediaPlaylistUrl('http://h/live/s/video_720p.m3u8')).toBeUndefined();
    expect(rungOfMediaPlaylistUrl('http://h/live/s/master.m3u8')).toBeUndefined();
  });
});

describe('parseLiveDelay', () => {
  it('takes plain seconds within range only', () => {
    expect(parseLiveDelay('3')).toBe(3);
    expect(parseLiveDelay('2.5')).toBe(2.5);
    for (const bad of [null, '', '0.1', '31', '-1', '1e1', ' 3', '3s', 'NaN', 'Infinity', '0x10']) expect(parseLiveDelay(bad)).toBeUndefined();
    expect(pageQuery({ src: '/f/m.mpd', format: 'dash', mode: 'standard', delay: 3 })).toBe('?src=%2Ff%2Fm.mpd&format=dash&mode=standard&delay=3');
  });
});
