import { expandTemplate, parseMediaPlaylist, parseMpd, resolvePath, variantUris } from './playlists';

describe('what a simulated viewer reads', () => {
  it('a low-latency media playlist: segments, parts numbered per segment, the part being made', () => {
    const v = parseMediaPlaylist(
      [
        '#EXTM3U', '#EXT-X-TARGETDURATION:1', '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.6', '#EXT-X-PART-INF:PART-TARGET=0.2',
        '#EXT-X-MEDIA-SEQUENCE:100', '#EXT-X-MAP:URI="init-0.m4s"',
        '#EXTINF:1.0,', 'chunk-0-00100.m4s',
        '#EXT-X-PART:DURATION=0.2,URI="chunk-0-00101.0.m4s",INDEPENDENT=YES', '#EXT-X-PART:DURATION=0.2,URI="chunk-0-00101.1.m4s"',
        '#EXTINF:0.4,', 'chunk-0-00101.m4s',
        '#EXT-X-PART:DURATION=0.2,URI="chunk-0-00102.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="chunk-0-00102.1.m4s"', '',
      ].join('\n'),
    );
    expect(v).toMatchObject({ targetDuration: 1, canBlockReload: true, lowLatency: true, next: { msn: 102, part: 1 } });
    expect(v.segments.map((s) => [s.msn, s.uri, s.durationS])).toEqual([[100, 'chunk-0-00100.m4s', 1], [101, 'chunk-0-00101.m4s', 0.4]]);
    expect(v.parts.map((p) => [p.msn, p.part, p.uri])).toEqual([[101, 0, 'chunk-0-00101.0.m4s'], [101, 1, 'chunk-0-00101.1.m4s'], [102, 0, 'chunk-0-00102.0.m4s']]);
  });

  it('a delta update: CAN-SKIP-UNTIL offered, EXT-X-SKIP numbering the segments after it', () => {
    const v = parseMediaPlaylist(
      [
        '#EXTM3U', '#EXT-X-VERSION:9', '#EXT-X-TARGETDURATION:1', '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6.0,PART-HOLD-BACK=0.6',
        '#EXT-X-PART-INF:PART-TARGET=0.2', '#EXT-X-MEDIA-SEQUENCE:100', '#EXT-X-MAP:URI="init-0.m4s"', '#EXT-X-SKIP:SKIPPED-SEGMENTS=24',
        '#EXTINF:1.0,', 'chunk-0-00124.m4s',
        '#EXT-X-PART:DURATION=0.2,URI="chunk-0-00125.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="chunk-0-00125.1.m4s"', '',
      ].join('\n'),
    );
    expect(v).toMatchObject({ canSkipUntil: 6, skipped: 24, next: { msn: 125, part: 1 } });
    expect(v.segments.map((s) => [s.msn, s.uri])).toEqual([[124, 'chunk-0-00124.m4s']]);
    expect(v.parts.map((p) => [p.msn, p.part])).toEqual([[125, 0]]);
  });

  it("ffmpeg's multivariant playlist and a standard one without blocking reload", () => {
    const master = '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="audio",URI="audio.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=2800000,AUDIO="aud"\nvideo.m3u8\n';
    expect(variantUris(master)).toEqual(['video.m3u8', 'audio.m3u8']);
    const v = parseMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:1.000000,\nvideo-00007.m4s\n');
    expect(v).toMatchObject({ canBlockReload: false, lowLatency: false, segments: [{ msn: 7, uri: 'video-00007.m4s', durationS: 1 }] });
    expect(resolvePath('/live/s/master.m3u8', 'media_0.m3u8')).toBe('/live/s/media_0.m3u8');
    expect(resolvePath('/live/s/master.m3u8', 'http://h:1/x/y.m4s?a=1')).toBe('/x/y.m4s?a=1');
  });

  it('a low-latency MPD: one template per Representation, the chunk from availabilityTimeOffset', () => {
    const mpd = parseMpd(
      '<MPD availabilityStartTime="2026-12-01T10:00:00.000Z"><Period><AdaptationSet><Representation id="0" codecs="avc1">' +
        '<SegmentTemplate timescale="90000" duration="90000" startNumber="1764583200" initialization="init-$RepresentationID$.m4s" media="chunk-$RepresentationID$-$Number%05d$.m4s" availabilityTimeOffset="0.8"/>' +
        '</Representation></AdaptationSet></Period></MPD>',
    );
    expect(mpd.availabilityStartMs).toBe(Date.parse('2026-12-01T10:00:00.000Z'));
    expect(mpd.representations).toEqual([{ id: '0', timescale: 90000, duration: 90000, startNumber: 1764583200, media: 'chunk-$RepresentationID$-$Number%05d$.m4s', availabilityTimeOffsetS: 0.8 }]);
    expect(expandTemplate(mpd.representations[0].media, '0', 42)).toBe('chunk-0-00042.m4s');
  });
});
