// Integration: real ffmpeg publishing over RTMP into a real node-media-server, real CMAF remux, HTTP via supertest.
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import { pollUntil, silentLogger } from '@livelab/service-kit';
import { FfmpegRun } from '@livelab/media-ffmpeg';
import { testSignalJob } from '@livelab/media-generator';
import type { StreamSpec } from '@livelab/media-testsignal';
import { initUri, mediaPlaylistUri, parseMediaFile, partUri, segmentUri } from '@livelab/media-contract';
import { Packager } from '../src';
import { parseMediaPlaylist, parseMpd, parseMultivariantPlaylist, oneElement, allElements } from '../src/testing';
import { BoxSplitter, parseInitSegment, parseMoof } from '../src/cmaf/fmp4';

jest.setTimeout(120_000);

const KEY = 'integration-key-1234';
const spec = (name: string): StreamSpec => ({
  name, pattern: 'smptehdbars', width: 320, height: 180, fps: 30, videoBitrateKbps: 300, audioBitrateKbps: 64,
});

let packager: Packager;
let rtmpPort: number;
let httpPort: number;
const publishers: FfmpegRun[] = [];

function publish(name: string, key = KEY): FfmpegRun {
  const run = new FfmpegRun(testSignalJob(spec(name), { startEpochMs: Date.now(), output: `rtmp://127.0.0.1:${rtmpPort}/live/${name}?key=${key}` }));
  void run.start();
  publishers.push(run);
  return run;
}


const listed = async () => (await request(packager.app).get('/api/streams')).body.streams as Array<{ name: string }>;

beforeAll(async () => {
  packager = new Packager({ publishKey: KEY, logger: silentLogger(), stallTimeoutMs: 2000 });
  ({ rtmpPort, httpPort } = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' }));
});

afterAll(async () => {
  await Promise.all(publishers.map((p) => p.stop(1000)));
  await packager.stop();
});

describe('packager with a live publisher', () => {
  let good: FfmpegRun;

  beforeAll(async () => {
    good = publish('good-stream');
    await pollUntil('good-stream to be listed', async () => (await listed()).some((s) => s.name === 'good-stream'));
  });

  it('lists the stream with its codecs, size, rate and URLs', async () => {
    const res = await request(packager.app).get('/api/streams').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=1');
    const s = res.body.streams.find((x: { name: string }) => x.name === 'good-stream');
    expect(s).toMatchObject({
      name: 'good-stream',
      live: true,
      video: { codec: 'h264', width: 320, height: 180, fps: 30 },
      audio: { codec: 'aac', sampleRate: 48000, channels: 2 },
      urls: {
        hls: '/live/good-stream/master.m3u8',
        dash: '/live/good-stream/manifest.mpd',
        hlsLowLatency: '/live/good-stream/master-ll.m3u8',
        dashLowLatency: '/live/good-stream/manifest-ll.mpd',
      },
      viewers: 0,
    });
    expect(Date.parse(s.since)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('serves HLS playlists with the HLS MIME type, no-cache and CORS', async () => {
    const master = await request(packager.app).get('/live/good-stream/master.m3u8').expect(200);
    expect(master.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(master.headers['cache-control']).toBe('no-cache');
    expect(master.headers['access-control-allow-origin']).toBe('*');
    const variants = parseMultivariantPlaylist(master.text).variants;
    expect(variants.map((v) => v.codecs)).toEqual([expect.stringMatching(/^avc1\.[0-9a-f]+,mp4a\.40\.2$/)]);
    const media = parseMediaPlaylist((await request(packager.app).get('/live/good-stream/media_0.m3u8').expect(200)).text);
    expect(media.playlist.targetDuration).toBe(1);
    expect(media.segments[0].map?.uri).toBe(initUri(0));
    expect(media.segments.length).toBeGreaterThan(0);
    for (const seg of media.segments) expect(parseMediaFile(seg.uri)).toMatchObject({ kind: 'segment', track: 0 });
  });

  it('serves the DASH MPD with an absolute UTCTiming URL that answers', async () => {
    const mpd = await request(packager.app).get('/live/good-stream/manifest.mpd').set('Host', `127.0.0.1:${httpPort}`).expect(200);
    expect(mpd.headers['content-type']).toBe('application/dash+xml');
    expect(mpd.headers['cache-control']).toBe('no-cache');
    const { root } = parseMpd(mpd.text);
    expect(root.attrs['type']).toBe('dynamic');
    expect(oneElement(root, 'UTCTiming').attrs['value']).toBe(`http://127.0.0.1:${httpPort}/time`);
    const time = await request(packager.app).get('/time').expect(200);
    expect(Math.abs(Date.parse(time.text) - Date.now())).toBeLessThan(5000);
  });

  it('serves init and media segments as cacheable MP4 and counts the viewer', async () => {
    const media = await request(packager.app).get('/live/good-stream/media_0.m3u8');
    const chunk = parseMediaPlaylist(media.text).segments[0].uri;
    const init = await request(packager.app).get('/live/good-stream/init-0.m4s').buffer(true).expect(200);
    expect(init.headers['content-type']).toBe('video/mp4');
    expect(init.headers['cache-control']).toBe('no-cache'); // the same name on the next publish
    const seg = await request(packager.app).get(`/live/good-stream/${chunk}`).buffer(true).expect(200);
    expect(seg.headers['cache-control']).toMatch(/max-age=31536000/); // numbers are unique per publish
    expect(Number(seg.headers['content-length'])).toBeGreaterThan(1000);
    const streams = (await request(packager.app).get('/api/streams')).body.streams;
    expect(streams.find((s: { name: string }) => s.name === 'good-stream').viewers).toBe(1);
  });

  it('starts audio and video at one media time: the oldest segment of each track begins within one AAC frame', async () => {
    // The remux once dropped the keyframe it read while probing (-fflags +nobuffer): audio began ~0.5 s before the
    // first kept keyframe, and a per-track zero shifted it that much against video (issue 15).
    const first = async (track: number) => {
      const init = (await request(packager.app).get(`/live/good-stream/init-${track}.m4s`).buffer(true).expect(200)).body as Buffer;
      const playlist = (await request(packager.app).get(`/live/good-stream/media_${track}.m3u8`).expect(200)).text;
      const uri = playlist.match(/^chunk-\d+-\d{5,}\.m4s$/m)?.[0] as string;
      const seg = (await request(packager.app).get(`/live/good-stream/${uri}`).buffer(true).expect(200)).body as Buffer;
      const info = parseInitSegment(init);
      const moof = new BoxSplitter().push(seg).find((b) => b.type === 'moof');
      return { number: uri.split('-')[2], start: parseMoof((moof as { bytes: Buffer }).bytes, info).baseDecodeTime / info.timescale };
    };
    const [video, audio] = [await first(0), await first(1)];
    expect(audio.number).toBe(video.number);
    expect(Math.abs(audio.start - video.start)).toBeLessThan(0.03);
  });

  it('answers CORS preflight', async () => {
    const res = await request(packager.app)
      .options('/live/good-stream/master.m3u8')
      .set('Origin', 'http://elsewhere.example')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'range')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toContain('GET');
    expect(res.headers['access-control-allow-headers']).toBe('range');
  });

  it.each([
    '/live/good-stream/..%2F..%2F..%2Fetc%2Fpasswd',
    '/live/good-stream/%2e%2e',
    '/live/good-stream/.hidden',
    '/live/..%2Fgood-stream/master.m3u8',
    '/live/good-stream/master.m3u8%00.txt',
    '/live/good-stream/sub/master.m3u8',
  ])('refuses path traversal: %s', async (path) => {
    const res = await request(packager.app).get(path);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toMatch(/root:|#EXTM3U/);
  });

  it('refuses a publisher with a wrong key: no stream, no files, the live stream plays on', async () => {
    // The newest listed segment (the first listed stays put until the DVR window has filled).
    const newest = async () => {
      const pl = parseMediaPlaylist((await request(packager.app).get('/live/good-stream/media_0.m3u8')).text);
      return Number(pl.playlist.mediaSequenceBase) + pl.segments.length - 1;
    };
    const seqBefore = await newest();
    const intruder = publish('intruder', 'wrong-key');
    const hijack = publish('good-stream', 'wrong-key');
    const [a, b] = await Promise.all([intruder.start(), hijack.start()]);
    expect(a.code).not.toBe(0);
    expect(b.code).not.toBe(0);
    expect((await listed()).map((s) => s.name)).toEqual(['good-stream']);
    await request(packager.app).get('/live/intruder/master.m3u8').expect(404);
    await pollUntil('the good stream to keep advancing', async () => (await newest()) >= seqBefore + 2);
    const metrics = await request(packager.app).get('/metrics');
    expect(metrics.text).toMatch(/livelab_packager_refused_total\{kind="publish",service="packager"\} 2/);
    expect(metrics.text).toMatch(/livelab_packager_live_streams\{service="packager"\} 1/);
    expect(good.running).toBe(true);
  });

  it('is ready, and reports the stream offline within 2 s of the publisher leaving, media dropped', async () => {
    await request(packager.app).get('/readyz').expect(200);
    await good.stop(1000);
    const stoppedAt = Date.now();
    await pollUntil('the stream to go offline', async () => !(await listed()).some((s) => s.name === 'good-stream'), 5000);
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
    await request(packager.app).get('/live/good-stream/master.m3u8').expect(404);
    await request(packager.app).get('/live/good-stream/init-0.m4s').expect(404);
  });
});

describe('low-delay delivery in standard mode', () => {
  let run: FfmpegRun;
  beforeAll(async () => {
    run = publish('blocking');
    await pollUntil('blocking to be listed', async () => (await listed()).some((s) => s.name === 'blocking'));
  });
  afterAll(() => run.stop(1000));

  const lastMsn = (text: string) => parseMediaPlaylist(text).segments.at(-1)?.mediaSequenceNumber as number;

  it('announces blocking playlist reload and answers _HLS_msn=next as soon as that segment is complete', async () => {
    const now = await request(packager.app).get('/live/blocking/media_0.m3u8').expect(200);
    expect(parseMediaPlaylist(now.text).playlist.lowLatencyCompatibility?.canBlockReload).toBe(true);
    const next = lastMsn(now.text) + 1;
    const started = Date.now();
    const blocked = await request(packager.app).get(`/live/blocking/media_0.m3u8?_HLS_msn=${next}`).expect(200);
    expect(lastMsn(blocked.text)).toBeGreaterThanOrEqual(next);
    expect(blocked.headers['cache-control']).toBe('public, max-age=6'); // any later playlist answers it too: cacheable
    expect(now.headers['cache-control']).toBe('no-cache');
    expect(Date.now() - started).toBeLessThan(2500); // one 1 s segment, with slack for a loaded machine
  });

  it('refuses _HLS_msn far in the future (400) and malformed values (400)', async () => {
    const now = await request(packager.app).get('/live/blocking/media_0.m3u8');
    await request(packager.app).get(`/live/blocking/media_0.m3u8?_HLS_msn=${lastMsn(now.text) + 50}`).expect(400);
    await request(packager.app).get('/live/blocking/media_0.m3u8?_HLS_msn=abc').expect(400);
  });

  it('holds a request for the segment being made until it is complete', async () => {
    const now = await request(packager.app).get('/live/blocking/media_0.m3u8');
    const next = String(lastMsn(now.text) + 1);
    const res = await fetch(`http://127.0.0.1:${httpPort}/live/blocking/${segmentUri(0, Number(next))}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBeGreaterThan(500);
    expect(body.toString('latin1', 4, 8)).toBe('styp');
  });

  it('gives the MPD the publish time as availabilityStartTime', async () => {
    const mpd = await request(packager.app).get('/live/blocking/manifest.mpd').expect(200);
    const ast = Date.parse(parseMpd(mpd.text).root.attrs['availabilityStartTime']);
    const since = Date.parse((await request(packager.app).get('/api/streams')).body.streams.find((s: { name: string }) => s.name === 'blocking').since);
    // The publish came before the stream became playable (listed "since").
    expect(ast).toBeLessThan(since);
    expect(since - ast).toBeLessThan(10_000);
  });
});

describe('low-latency delivery (LL-HLS parts, LL-DASH chunked segments)', () => {
  let run: FfmpegRun;
  beforeAll(async () => {
    run = publish('ll');
    await pollUntil('ll to be listed', async () => (await listed()).some((s) => s.name === 'll'));
  });
  afterAll(() => run.stop(1000));

  const get = (path: string) => request(packager.app).get(`/live/ll/${path}`);
  /** Last listed part of a low-latency playlist: [msn, part index]. */
  const partOf = (uri: string | undefined): [number, number] => {
    const f = parseMediaFile(uri ?? '');
    if (f?.kind !== 'part') throw new Error(`not a part URI: ${uri}`);
    return [f.number, f.part];
  };
  const lastPart = (text: string) => partOf(parseMediaPlaylist(text).allParts.at(-1)?.uri);
  const hint = (text: string) => partOf(parseMediaPlaylist(text).preloadHint?.uri);

  it('lists parts, part target, part hold-back and a preload hint in the low-latency playlists', async () => {
    const [variant] = parseMultivariantPlaylist((await get('master-ll.m3u8').expect(200)).text).variants;
    expect(variant.uri).toBe(mediaPlaylistUri(0, 'll'));
    expect(variant.audio.map((a) => a.uri)).toEqual([mediaPlaylistUri(1, 'll')]);
    const media = parseMediaPlaylist((await get('media_0-ll.m3u8').expect(200)).text);
    expect(media.playlist.partTargetDuration).toBe(0.2);
    expect(media.playlist.lowLatencyCompatibility).toMatchObject({ canBlockReload: true, partHoldBack: 0.6 });
    const firsts = media.segments.filter((x) => x.parts.length).map((x) => x.parts[0]);
    expect(firsts.length).toBeGreaterThan(0);
    for (const p of firsts) expect(p).toMatchObject({ duration: 0.2, independent: true });
    expect(parseMediaFile(media.preloadHint?.uri ?? '')).toMatchObject({ kind: 'part', track: 0 });
    // The standard playlist of the same stream has none of it.
    const standard = parseMediaPlaylist((await get('media_0.m3u8').expect(200)).text);
    expect(standard.allParts).toEqual([]);
    expect(standard.preloadHint).toBeUndefined();
    expect(standard.playlist.partTargetDuration).toBeUndefined();
  });

  it('answers a blocking reload for the next part as soon as that part exists', async () => {
    const now = await get('media_0-ll.m3u8').expect(200);
    const [msn, part] = lastPart(now.text);
    const started = Date.now();
    const next = await get(`media_0-ll.m3u8?_HLS_msn=${msn}&_HLS_part=${part + 1}`).expect(200);
    const waited = Date.now() - started;
    const [msn2, part2] = lastPart(next.text);
    expect(msn2 > msn || (msn2 === msn && part2 >= part + 1)).toBe(true);
    expect(waited).toBeLessThan(1500); // one 200 ms part, with slack for a loaded machine
  });

  it('serves the hinted part the moment it is complete, and every listed part', async () => {
    const now = await get('media_0-ll.m3u8').expect(200);
    const [hn, hp] = hint(now.text);
    const res = await fetch(`http://127.0.0.1:${httpPort}/live/ll/${partUri(0, hn, hp)}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.includes(Buffer.from('moof'))).toBe(true);
    expect(body.includes(Buffer.from('mdat'))).toBe(true);
    const [msn, part] = lastPart(now.text);
    await get(partUri(0, msn, part)).expect(200);
    await get(partUri(0, msn, part + 50)).expect(404); // far beyond the hint: not held
  });

  it('sends a segment still being made at once, chunk by chunk, ending when it is complete', async () => {
    const now = await get('media_0-ll.m3u8').expect(200);
    // The segment after the one in progress: asked for before it starts, so its whole making is watched.
    const n = lastPart(now.text)[0] + 1;
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${httpPort}/live/ll/${segmentUri(0, n)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const arrivals: number[] = [];
    const pieces: Buffer[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push(Date.now() - started);
      pieces.push(Buffer.from(value));
    }
    const body = Buffer.concat(pieces);
    expect(body.toString('latin1', 4, 8)).toBe('styp');
    const moofs = body.toString('latin1').split('moof').length - 1;
    expect(moofs).toBeGreaterThanOrEqual(4); // 1 s of 200 ms chunks
    // Bytes came over time, not all at the end: the first before the last by several chunk durations.
    expect((arrivals.at(-1) as number) - arrivals[0]).toBeGreaterThan(400);
    // The finished segment is the same bytes, now with a length.
    const whole = await fetch(`http://127.0.0.1:${httpPort}/live/ll/${segmentUri(0, n)}`);
    expect(whole.headers.get('content-length')).toBe(String(body.length));
  });

  it('refuses malformed and far-future blocking requests with 400 and a reason', async () => {
    const now = await get('media_0-ll.m3u8').expect(200);
    const [msn, part] = lastPart(now.text);
    expect((await get(`media_0-ll.m3u8?_HLS_part=1`).expect(400)).body.error).toMatch(/_HLS_part needs _HLS_msn/);
    expect((await get(`media_0-ll.m3u8?_HLS_msn=${msn}&_HLS_part=x`).expect(400)).body.error).toMatch(/_HLS_part/);
    expect((await get(`media_0-ll.m3u8?_HLS_msn=${msn + 3}&_HLS_part=0`).expect(400)).body.error).toMatch(/too far/);
    expect((await get(`media_0-ll.m3u8?_HLS_msn=${msn}&_HLS_part=${part + 10}`).expect(400)).body.error).toMatch(/too far/);
    expect((await get(`media_0-ll.m3u8?_HLS_msn=${msn}&_HLS_skip=yes`).expect(400)).body.error).toMatch(/_HLS_skip must be YES or v2/);
  });

  it('writes a low-latency MPD: chunked availability, latency target, UTCTiming', async () => {
    const mpd = await get('manifest-ll.mpd').set('Host', `127.0.0.1:${httpPort}`).expect(200);
    const ll = parseMpd(mpd.text);
    expect(ll.lowLatency).toBe(true);
    for (const t of allElements(ll.root, 'SegmentTemplate')) {
      expect(t.attrs).toMatchObject({ availabilityTimeOffset: '0.8', availabilityTimeComplete: 'false' });
    }
    expect(Number(oneElement(ll.root, 'Latency').attrs['target'])).toBeGreaterThan(0);
    expect(oneElement(ll.root, 'UTCTiming').attrs['value']).toBe(`http://127.0.0.1:${httpPort}/time`);
    const standard = parseMpd((await get('manifest.mpd').expect(200)).text);
    expect(standard.lowLatency).toBe(false);
    expect(allElements(standard.root, 'ServiceDescription')).toEqual([]);
    for (const t of allElements(standard.root, 'SegmentTemplate')) expect(t.attrs['availabilityTimeOffset']).toBeUndefined();
  });

  it('answers 503 (retry) when a blocked part does not come within 3 target durations, and recovers', async () => {
    // Freeze this stream's remux (not the publisher): the stream stays live but no part arrives.
    // The remux reads from the loopback-only listener with the play token (the publisher's URL has ?key=).
    const pids = execFileSync('pgrep', ['-f', `rtmp://127\\.0\\.0\\.1:[0-9]+/live/ll\\?token=`], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(pids.length).toBe(1);
    const now = await get('media_0-ll.m3u8').expect(200);
    const [msn, part] = lastPart(now.text);
    process.kill(pids[0], 'SIGSTOP');
    try {
      const started = Date.now();
      const res = await get(`media_0-ll.m3u8?_HLS_msn=${msn}&_HLS_part=${part + 2}`);
      expect(res.status).toBe(503);
      expect(res.body.error).toMatch(/not available yet; retry/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    } finally {
      process.kill(pids[0], 'SIGCONT');
    }
    await get(`media_0-ll.m3u8?_HLS_msn=${msn}&_HLS_part=${part + 2}`).expect(200);
  });

  it('answers a blocking reload with _HLS_skip=YES by a delta update: the older segments skipped, the same live edge', async () => {
    // By now the stream is several seconds old: the full playlist spans more than the 6 s skip boundary.
    const full = await pollUntil('the playlist to list 7 segments', async () => {
      const p = parseMediaPlaylist((await get('media_0-ll.m3u8').expect(200)).text);
      return p.segments.length >= 7 && p;
    });
    const boundary = full.playlist.lowLatencyCompatibility?.canSkipUntil as number;
    expect(boundary).toBe(6 * full.playlist.targetDuration);
    const [msn, part] = partOf(full.allParts.at(-1)?.uri);
    const res = await get(`media_0-ll.m3u8?_HLS_msn=${msn}&_HLS_part=${part + 1}&_HLS_skip=YES`).expect(200);
    expect(res.headers['cache-control']).toMatch(/max-age/); // cached like any blocking reload
    const delta = parseMediaPlaylist(res.text);
    const againText = (await get(`media_0-ll.m3u8?_HLS_msn=${msn}&_HLS_part=${part + 1}`).expect(200)).text;
    const again = parseMediaPlaylist(againText);
    // The same playlist version in full and as a delta (unless a part arrived in between: then both moved on).
    expect(delta.playlist.skip).toBeGreaterThan(0);
    expect(delta.playlist.mediaSequenceBase).toBe(again.playlist.mediaSequenceBase);
    const shown = delta.segments.map((x) => x.mediaSequenceNumber);
    expect(shown[0]).toBe((again.playlist.mediaSequenceBase as number) + (delta.playlist.skip as number));
    expect(again.segments.slice(delta.playlist.skip).map((x) => x.mediaSequenceNumber).slice(0, shown.length - 1)).toEqual(shown.slice(0, -1));
    expect(lastPart(res.text)[0]).toBeGreaterThanOrEqual(msn);
    expect(res.text.length).toBeLessThan(againText.length); // a young stream: ~9 s listed, a few segments skipped
    // A standard playlist offers no delta: asked for one anyway, it answers in full.
    const standard = await get('media_0.m3u8?_HLS_skip=YES').expect(200);
    expect(parseMediaPlaylist(standard.text).playlist.skip ?? 0).toBe(0);
  });

  it('reports the bytes each stream holds in memory, bounded by the window', async () => {
    const s = (await request(packager.app).get('/api/streams')).body.streams.find((x: { name: string }) => x.name === 'll');
    expect(s.storeBytes).toBeGreaterThan(10_000);
    expect(s.storeBytes).toBeLessThan(5_000_000); // ~9 s of a 300 kbit/s stream
  });
});
