// Integration: real ffmpeg publishing over RTMP into a real node-media-server, real CMAF remux, HTTP via supertest.
import request from 'supertest';
import { pollUntil, silentLogger } from '@livelab/service-kit';
import { FfmpegRun, testSignalJob } from '@livelab/media-ffmpeg';
import type { StreamSpec } from '@livelab/media-testsignal';
import { Packager } from '../src';

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
    expect(res.headers['cache-control']).toBe('no-store');
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
    expect(master.text).toMatch(/#EXT-X-STREAM-INF:.*CODECS="avc1\.[0-9a-f]+,mp4a\.40\.2"/);
    const media = await request(packager.app).get('/live/good-stream/media_0.m3u8').expect(200);
    expect(media.text).toMatch(/#EXT-X-TARGETDURATION:1/);
    expect(media.text).toMatch(/#EXT-X-MAP:URI="init-0\.m4s"/);
    expect(media.text).toMatch(/^chunk-0-\d{5,}\.m4s$/m);
  });

  it('serves the DASH MPD with an absolute UTCTiming URL that answers', async () => {
    const mpd = await request(packager.app).get('/live/good-stream/manifest.mpd').set('Host', `127.0.0.1:${httpPort}`).expect(200);
    expect(mpd.headers['content-type']).toBe('application/dash+xml');
    expect(mpd.headers['cache-control']).toBe('no-cache');
    expect(mpd.text).toMatch(/type="dynamic"/);
    expect(mpd.text).toContain(`value="http://127.0.0.1:${httpPort}/time"`);
    const time = await request(packager.app).get('/time').expect(200);
    expect(Math.abs(Date.parse(time.text) - Date.now())).toBeLessThan(5000);
  });

  it('serves init and media segments as cacheable MP4 and counts the viewer', async () => {
    const media = await request(packager.app).get('/live/good-stream/media_0.m3u8');
    const chunk = media.text.match(/^chunk-0-\d{5,}\.m4s$/m)?.[0] as string;
    const init = await request(packager.app).get('/live/good-stream/init-0.m4s').buffer(true).expect(200);
    expect(init.headers['content-type']).toBe('video/mp4');
    expect(init.headers['cache-control']).toBe('no-cache'); // the same name on the next publish
    const seg = await request(packager.app).get(`/live/good-stream/${chunk}`).buffer(true).expect(200);
    expect(seg.headers['cache-control']).toMatch(/max-age=31536000/); // numbers are unique per publish
    expect(Number(seg.headers['content-length'])).toBeGreaterThan(1000);
    const streams = (await request(packager.app).get('/api/streams')).body.streams;
    expect(streams.find((s: { name: string }) => s.name === 'good-stream').viewers).toBe(1);
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
    const seqBefore = Number((await request(packager.app).get('/live/good-stream/media_0.m3u8')).text.match(/MEDIA-SEQUENCE:(\d+)/)?.[1]);
    const intruder = publish('intruder', 'wrong-key');
    const hijack = publish('good-stream', 'wrong-key');
    const [a, b] = await Promise.all([intruder.start(), hijack.start()]);
    expect(a.code).not.toBe(0);
    expect(b.code).not.toBe(0);
    expect((await listed()).map((s) => s.name)).toEqual(['good-stream']);
    await request(packager.app).get('/live/intruder/master.m3u8').expect(404);
    await pollUntil('the good stream to keep advancing', async () => {
      const seq = Number((await request(packager.app).get('/live/good-stream/media_0.m3u8')).text.match(/MEDIA-SEQUENCE:(\d+)/)?.[1]);
      return seq >= seqBefore + 2;
    });
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

  const lastMsn = (text: string) => {
    const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]);
    return seq + (text.match(/^#EXTINF:/gm) ?? []).length - 1;
  };

  it('announces blocking playlist reload and answers _HLS_msn=next as soon as that segment is complete', async () => {
    const now = await request(packager.app).get('/live/blocking/media_0.m3u8').expect(200);
    expect(now.text).toContain('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES');
    const next = lastMsn(now.text) + 1;
    const started = Date.now();
    const blocked = await request(packager.app).get(`/live/blocking/media_0.m3u8?_HLS_msn=${next}`).expect(200);
    expect(lastMsn(blocked.text)).toBeGreaterThanOrEqual(next);
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
    const res = await fetch(`http://127.0.0.1:${httpPort}/live/blocking/chunk-0-${next}.m4s`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBeGreaterThan(500);
    expect(body.toString('latin1', 4, 8)).toBe('styp');
  });

  it('gives the MPD the publish time as availabilityStartTime', async () => {
    const mpd = await request(packager.app).get('/live/blocking/manifest.mpd').expect(200);
    const ast = Date.parse(/availabilityStartTime="([^"]+)"/.exec(mpd.text)?.[1] ?? '');
    const since = Date.parse((await request(packager.app).get('/api/streams')).body.streams.find((s: { name: string }) => s.name === 'blocking').since);
    // The publish came before the stream became playable (listed "since").
    expect(ast).toBeLessThan(since);
    expect(since - ast).toBeLessThan(10_000);
  });
});
