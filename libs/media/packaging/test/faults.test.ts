// Fault injection (issue 18) against a real stream: real ffmpeg publishing over RTMP into the packager, each effect
// requested over raw HTTP (node:http) and timed. Timings are asserted with wide margins (a shared, loaded box): an
// effect must be at least most of what it asks for and end within a bound; nothing asserts speed.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Counter, createMetricsRegistry, HealthState, pollUntil, silentLogger } from '@livelab/service-kit';
import { FfmpegRun } from '@livelab/media-ffmpeg';
import { testSignalJob } from '@livelab/media-generator';
import fc from 'fast-check';
import { mediaPlaylistUri, parseFaultRules, parseMediaFile, segmentUri } from '@livelab/media-contract';
import { Packager } from '../src';
import { MediaRoutes } from '../src/http/media-routes';
import { createHttpApp } from '../src/http/server';
import { allElements, parseMediaPlaylist, parseMpd, oneElement } from '../src/testing';
import { ViewerTracker } from '../src/http/viewers';
import { MediaCounts } from '../src/metrics';
import { createServer, type Server } from 'node:http';

jest.setTimeout(120_000);

const KEY = 'faults-key-123456';
const STREAM = 'faulty';
const MAX_FAULTED = 6;
let packager: Packager;
let httpPort: number;
let publisher: FfmpegRun;

interface Got {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: Buffer;
  /** ms from sending the request. */
  firstByteMs?: number;
  endMs: number;
  /** [ms, bytes] of each body chunk received. */
  chunks: Array<[number, number]>;
  /** The connection closed before a complete answer. */
  aborted: boolean;
}

function get(path: string, port = httpPort): Promise<Got> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const got: Got = { body: Buffer.alloc(0), endMs: 0, chunks: [], aborted: false };
    const parts: Buffer[] = [];
    const finish = (aborted: boolean) => {
      got.aborted = aborted;
      got.endMs = performance.now() - t0;
      got.body = Buffer.concat(parts);
      resolve(got);
    };
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      got.status = res.statusCode;
      got.headers = res.headers;
      got.firstByteMs = performance.now() - t0;
      res.on('data', (c: Buffer) => {
        parts.push(c);
        got.chunks.push([performance.now() - t0, c.length]);
      });
      res.on('end', () => finish(!res.complete));
      res.on('error', () => finish(true));
      res.on('aborted', () => undefined);
    });
    req.on('error', () => finish(true));
    req.end();
  });
}

const faultedInFlight = async () => Number(/^livelab_packager_faulted_in_flight(?:\{[^}]*\})? (\d+)$/m.exec(await packager.registry.metrics())?.[1]);
const F = (rules: string, file: string) => `/faults/${rules}/live/${STREAM}/${file}`;
const live = (file: string) => `/live/${STREAM}/${file}`;

async function playlist(file = mediaPlaylistUri(0, 'standard')) {
  const r = await get(live(file));
  return parseMediaPlaylist(r.body.toString());
}
/** A complete segment of track 0 (the second newest listed: surely complete and still in the window). */
async function completeSegment(): Promise<string> {
  return (await playlist()).segments.at(-2)?.uri as string;
}
/** The segment of track 0 being made now (its number, from the LL playlist's preload hint). */
async function inProgressSegment(): Promise<{ uri: string; hint: string }> {
  const p = await playlist(mediaPlaylistUri(0, 'll'));
  const hint = p.preloadHint?.uri as string;
  const f = parseMediaFile(hint) as { number: number };
  return { uri: segmentUri(0, f.number), hint };
}

beforeAll(async () => {
  packager = new Packager({ publishKey: KEY, logger: silentLogger(), faults: { enabled: true, maxInFlight: MAX_FAULTED } });
  let rtmpPort: number;
  ({ rtmpPort, httpPort } = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' }));
  publisher = new FfmpegRun(
    testSignalJob(
      { name: STREAM, pattern: 'testsrc2', width: 320, height: 180, fps: 30, videoBitrateKbps: 400, audioBitrateKbps: 64 },
      { startEpochMs: Date.now(), output: `rtmp://127.0.0.1:${rtmpPort}/live/${STREAM}?key=${KEY}` },
    ),
  );
  void publisher.start();
  await pollUntil('4 segments listed', async () => (await get(live(mediaPlaylistUri(0, 'standard')))).status === 200 && (await playlist()).segments.length >= 4, 60_000);
});

afterAll(async () => {
  await publisher?.stop(1000);
  await packager?.stop();
});

describe('fault URLs', () => {
  it('refuse a bad rule with a 400 naming it', async () => {
    const r = await get(F('on=segment,status=404;on=segmnt,delay=5', 'master.m3u8'));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body.toString()).error).toMatch(/^fault rule 2 \("on=segmnt,delay=5"\): on: unknown kind "segmnt"/);
    const enc = await get('/faults/%E0%A4/live/faulty/master.m3u8');
    expect(enc.status).toBe(404);
  });

  it('answer any rules text as the contract parser reads it (fuzz: seeded, bounded)', async () => {
    const alphabet = fc.constantFrom(...'on=segmentpartplaylistreloadmpdinit,;+status4051delay=hangkbpsp0.5seedevery-nshapewindowtmplutc%/?#&'.split(''));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.stringOf(alphabet, { minLength: 1, maxLength: 60 }), fc.string({ minLength: 1, maxLength: 40 })), async (text) => {
        const encoded = encodeURIComponent(text);
        const parsed = parseFaultRules(text);
        if (parsed.ok) return; // valid rules may hang or delay: their effects are tested one by one below
        const r = await get(`/faults/${encoded}/live/${STREAM}/master.m3u8`);
        expect(r.status).toBe(400);
        expect(JSON.parse(r.body.toString()).error).toBe(parsed.error);
      }),
      { seed: 1818, numRuns: 300, interruptAfterTimeLimit: 20_000 },
    );
    // Still serving.
    expect((await get(live('master.m3u8'))).status).toBe(200);
  });

  it('refuse a media path whose stream part is not a stream name with a 400 (issue 16)', async () => {
    for (const p of ['/live/../master.m3u8', '/live/%2e%2e/master.m3u8', '/live/UPPER/master.m3u8', F('on=any,drop', '..')]) {
      const r = await get(p.endsWith('..') ? '/faults/on=any,drop/live/%2e%2e/master.m3u8' : p);
      expect([p, r.status]).toEqual([p, 400]);
      expect(JSON.parse(r.body.toString()).error).toMatch(/^invalid stream name/);
    }
  });

  it('keep the prefix: every URI in the playlists and the MPD is relative (UTCTiming is the clock, absolute)', async () => {
    const master = (await get(F('on=init,delay=1', 'master-ll.m3u8'))).body.toString();
    for (const line of master.split('\n')) {
      if (line && !line.startsWith('#')) expect(line).not.toMatch(/^\/|:\/\//);
      expect(line).not.toMatch(/URI="(\/|[a-z]+:)/);
    }
    const media = parseMediaPlaylist((await get(F('on=init,delay=1', 'media_0-ll.m3u8'))).body.toString());
    for (const u of [...media.segments.map((s) => s.uri), ...media.allParts.map((p) => p.uri), media.preloadHint?.uri]) expect(parseMediaFile(u as string)).toBeDefined();
    const { root } = parseMpd((await get(F('on=init,delay=1', 'manifest-ll.mpd'))).body.toString());
    expect(oneElement(root, 'UTCTiming').attrs['value']).toBe(`http://127.0.0.1:${httpPort}/time`);
  });

  it('status: answers a selected segment with the code, the rest normally', async () => {
    const uri = await completeSegment();
    const n = (parseMediaFile(uri) as { number: number }).number;
    const hit = await get(F(`on=segment,track=0,n=${n},status=410`, uri));
    expect(hit.status).toBe(410);
    expect(JSON.parse(hit.body.toString()).error).toBe(`fault injected: on=segment,track=0,n=${n},status=410`);
    expect((await get(F(`on=segment,track=0,n=${n + 1},status=410`, uri))).status).toBe(200);
    expect((await get(F(`on=segment,track=1,n=${n},status=410`, uri))).status).toBe(200);
    const every = await get(F(`on=segment,every=2,status=503`, uri));
    expect(every.status).toBe(n % 2 === 0 ? 503 : 200);
  });

  it('delay: the first byte comes after the delay', async () => {
    const r = await get(F('on=init,delay=800', 'init-0.m4s'));
    expect(r.status).toBe(200);
    expect(r.firstByteMs).toBeGreaterThanOrEqual(790);
    expect(r.firstByteMs).toBeLessThan(5000);
    expect(r.body).toEqual((await get(live('init-0.m4s'))).body);
  });

  it('delay on a blocking reload: answered after both the wait and the delay', async () => {
    const p = await playlist(mediaPlaylistUri(0, 'll'));
    const hint = parseMediaFile(p.preloadHint?.uri as string) as { number: number; part: number };
    const r = await get(F('on=reload,delay=1200', `media_0-ll.m3u8?_HLS_msn=${hint.number}&_HLS_part=${hint.part}`));
    expect(r.status).toBe(200);
    expect(r.firstByteMs).toBeGreaterThanOrEqual(1190);
    const listed = parseMediaPlaylist(r.body.toString());
    expect(listed.allParts.some((x) => x.uri === p.preloadHint?.uri)).toBe(true);
    // The rule does not select a plain playlist request.
    expect((await get(F('on=reload,status=500', 'media_0-ll.m3u8'))).status).toBe(200);
    expect((await get(F('on=reload,status=500', `media_0-ll.m3u8?_HLS_msn=${hint.number}`))).status).toBe(500);
  });

  it('hang on the hinted part: no answer, the socket closed after the hang; held requests are capped and counted', async () => {
    const { hint } = await inProgressSegment();
    const hung = Array.from({ length: MAX_FAULTED }, () => get(F('on=part,hang=1500', hint)));
    await pollUntil('faulted requests open', async () => faultedInFlight().then((n) => n === MAX_FAULTED), 5000);
    const over = await get(F('on=part,hang=1500', hint));
    expect(over.status).toBe(503);
    expect(JSON.parse(over.body.toString()).error).toMatch(/too many faulted requests open/);
    const done = await Promise.all(hung);
    for (const r of done) {
      expect(r.status).toBeUndefined();
      expect(r.aborted).toBe(true);
      expect(r.endMs).toBeGreaterThanOrEqual(1400);
      expect(r.endMs).toBeLessThan(10_000);
    }
    await pollUntil('hangs released', async () => (await faultedInFlight()) === 0, 5000);
    // The same part without the fault is served (after it is made).
    expect((await get(live(hint))).status).toBe(200);
  });

  it('throttle: a segment at 128 kbit/s takes its size at that rate, bytes unchanged', async () => {
    const uri = await completeSegment();
    const plain = await get(live(uri));
    const r = await get(F('on=segment,kbps=128', uri));
    expect(r.status).toBe(200);
    expect(r.body.equals(plain.body)).toBe(true);
    const expectedMs = (plain.body.length * 8) / 128;
    expect(plain.body.length).toBeGreaterThan(8000);
    expect(r.endMs).toBeGreaterThanOrEqual(expectedMs * 0.8);
    expect(r.endMs).toBeLessThan(expectedMs * 3 + 3000);
  });

  it('truncate: exactly N body bytes, then the connection closes', async () => {
    const uri = await completeSegment();
    const r = await get(F('on=segment,truncate=1000', uri));
    expect(r.status).toBe(200);
    expect(Number(r.headers?.['content-length'])).toBeGreaterThan(1000);
    expect(r.body.length).toBe(1000);
    expect(r.aborted).toBe(true);
  });

  it('stall: a chunked segment in progress stops after its first part, then goes on', async () => {
    const { uri } = await inProgressSegment();
    const plain = get(live(uri));
    const r = await get(F('on=segment,stall=1500', uri));
    expect(r.status).toBe(200);
    expect(r.headers?.['transfer-encoding']).toBe('chunked');
    const gaps = r.chunks.slice(1).map(([t], i) => t - r.chunks[i][0]);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(1400);
    expect(r.body.equals((await plain).body)).toBe(true);
    // A complete segment stalls half-way (after Content-Length / 2).
    const whole = await completeSegment();
    const w = await get(F('on=segment,stall=1000', whole));
    const half = Math.floor(Number(w.headers?.['content-length']) / 2);
    const before = w.chunks.filter(([t]) => t < (w.firstByteMs as number) + 900).reduce((n, [, b]) => n + b, 0);
    expect(before).toBe(half);
    expect(w.endMs).toBeGreaterThanOrEqual(990);
  });

  it('drop: the connection closes without an answer', async () => {
    const r = await get(F('on=mpd,drop', 'manifest.mpd'));
    expect(r.status).toBeUndefined();
    expect(r.aborted).toBe(true);
  });

  it('stale: the playlist lists no new segment for N s, then catches up', async () => {
    // stale=4: within each 4 s of the wall clock the playlist is what it was at the start of those 4 s.
    await pollUntil('late in a 4 s window', async () => Date.now() % 4000 > 2600 && Date.now() % 4000 < 3400, 10_000, 50);
    const a = parseMediaPlaylist((await get(F('on=playlist,stale=4', 'media_0.m3u8'))).body.toString());
    const now = await playlist();
    const newest = (p: typeof a) => p.segments.at(-1)?.mediaSequenceNumber as number;
    expect(newest(now) - newest(a)).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 400));
    const b = parseMediaPlaylist((await get(F('on=playlist,stale=4', 'media_0.m3u8'))).body.toString());
    if (Math.floor(Date.now() / 4000) === Math.floor((Date.now() - 400) / 4000)) expect(newest(b)).toBe(newest(a));
  });

  it('stale on an MPD: with a SegmentTimeline, the same segments for N s; without one, a 400 saying why', async () => {
    const rules = 'shape,tmpl=timeline;on=mpd,stale=4';
    await pollUntil('late in a 4 s window', async () => Date.now() % 4000 > 2600 && Date.now() % 4000 < 3400, 10_000, 50);
    const end = (text: string) => {
      const t = oneElement(allElements(parseMpd(text).root, 'Representation').find((r) => r.attrs['id'] === '0') as never, 'SegmentTemplate');
      return Number(t.attrs['startNumber']) + allElements(t, 'S').reduce((n, x) => n + 1 + Number(x.attrs['r'] ?? 0), 0);
    };
    const stale = end((await get(F(rules, 'manifest.mpd'))).body.toString());
    const fresh = end((await get(F('shape,tmpl=timeline', 'manifest.mpd'))).body.toString());
    expect(fresh - stale).toBeGreaterThanOrEqual(2);
    const refused = await get(F('on=mpd,stale=4', 'manifest.mpd'));
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body.toString()).error).toMatch(/stale on an MPD needs a SegmentTimeline/);
  });

  it('skip: selected segments are listed as EXT-X-GAP (numbering unchanged), others as usual', async () => {
    const p = parseMediaPlaylist((await get(F('on=playlist,every=2,skip', 'media_0-ll.m3u8'))).body.toString());
    const ref = await playlist(mediaPlaylistUri(0, 'll'));
    expect(p.playlist.mediaSequenceBase).toBe(ref.playlist.mediaSequenceBase);
    const gaps = p.segments.filter((s) => s.gap);
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    for (const s of p.segments) expect([s.uri, !!s.gap]).toEqual([s.uri, (parseMediaFile(s.uri) as { number: number }).number % 2 === 0]);
    for (const s of gaps) expect(s.parts).toHaveLength(0);
  });
});

describe('stream shapes', () => {
  it('HLS: the playlist window and PROGRAM-DATE-TIME', async () => {
    const shaped = parseMediaPlaylist((await get(F('shape,window=3,pdt=0', 'media_0.m3u8'))).body.toString());
    const plain = await playlist();
    expect(shaped.segments).toHaveLength(3);
    expect(shaped.segments.map((x) => x.uri)).toEqual(plain.segments.slice(-3).map((x) => x.uri));
    expect(shaped.segments.every((x) => x.programDateTime === undefined)).toBe(true);
    expect(plain.segments[0].programDateTime).toBeInstanceOf(Date);
    const ll = parseMediaPlaylist((await get(F('shape,window=2;on=init,delay=1', 'media_0-ll.m3u8'))).body.toString());
    expect(ll.segments).toHaveLength(2);
    expect(ll.preloadHint).toBeDefined();
  });

  it('DASH: availabilityTimeOffset, target latency, time-shift depth and a fixed publishTime (checked by the MPD oracle)', async () => {
    const now = Date.now() - 500;
    const { root } = parseMpd((await get(F(`shape,window=4,ato=500,target=1500,now=${now}`, 'manifest-ll.mpd'))).body.toString());
    expect(root.attrs['publishTime']).toBe(new Date(now).toISOString());
    // A fixed now before the stream began cannot be: a 400 saying so (the MPD oracle refuses such an MPD).
    const early = await get(F('shape,now=1700000000000', 'manifest-ll.mpd'));
    expect(early.status).toBe(400);
    expect(JSON.parse(early.body.toString()).error).toMatch(/now=1700000000000 is before this stream's availabilityStartTime/);
    expect(root.attrs['timeShiftBufferDepth']).toBe('PT4S');
    expect(oneElement(oneElement(root, 'ServiceDescription'), 'Latency').attrs['target']).toBe('1500');
    for (const t of allElements(root, 'SegmentTemplate')) expect(t.attrs['availabilityTimeOffset']).toBe('0.5');
  });

  it.each(['manifest.mpd', 'manifest-ll.mpd'])('DASH: a SegmentTimeline of the segments held, numbered as the playlists (%s)', async (file) => {
    const { root } = parseMpd((await get(F('shape,tmpl=timeline,window=4', file))).body.toString());
    const plain = await playlist();
    expect(root.attrs['minimumUpdatePeriod']).toBe('PT1S');
    for (const rep of allElements(root, 'Representation')) {
      const t = oneElement(rep, 'SegmentTemplate');
      expect(t.attrs['duration']).toBeUndefined();
      const ss = allElements(oneElement(t, 'SegmentTimeline'), 'S');
      const count = ss.reduce((n, x) => n + 1 + Number(x.attrs['r'] ?? 0), 0);
      expect(count).toBeGreaterThanOrEqual(3);
      expect(count).toBeLessThanOrEqual(4);
      if (rep.attrs['id'] === '0') {
        // Segment k of the timeline is $Number$ = startNumber + k: the same numbers the HLS playlist lists.
        const numbers = plain.segments.map((x) => (parseMediaFile(x.uri) as { number: number }).number);
        expect(numbers).toContain(Number(t.attrs['startNumber']));
      }
    }
  });

  it.each([
    ['http-iso', 'urn:mpeg:dash:utc:http-iso:2014'],
    ['http-xsdate', 'urn:mpeg:dash:utc:http-xsdate:2014'],
    ['head', 'urn:mpeg:dash:utc:http-head:2014'],
    ['direct', 'urn:mpeg:dash:utc:direct:2014'],
  ])('DASH: UTCTiming %s', async (utc, scheme) => {
    const { root } = parseMpd((await get(F(`shape,utc=${utc}`, 'manifest-ll.mpd'))).body.toString());
    const u = oneElement(root, 'UTCTiming');
    expect(u.attrs['schemeIdUri']).toBe(scheme);
    if (utc === 'direct') expect(Math.abs(Date.parse(u.attrs['value']) - Date.now())).toBeLessThan(10_000);
    else expect(u.attrs['value']).toBe(`http://127.0.0.1:${httpPort}/time`);
    if (utc === 'head') {
      const head = await fetch(u.attrs['value'], { method: 'HEAD' });
      expect(Math.abs(Date.parse(head.headers.get('date') as string) - Date.now())).toBeLessThan(10_000);
    }
  });

  it('DASH: no UTCTiming (utc=none, a standard MPD)', async () => {
    const { root } = parseMpd((await get(F('shape,utc=none', 'manifest.mpd'))).body.toString());
    expect(allElements(root, 'UTCTiming')).toHaveLength(0);
  });
});

describe('fault URLs when FAULTS_ENABLED is off', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const registry = createMetricsRegistry('faults-off');
    const c = () => new Counter({ name: `x_${Math.random().toString(36).slice(2)}`, help: 'x', labelNames: ['kind', 'status', 'reason'], registers: [] });
    const media = new MediaRoutes({ stream: () => undefined, viewers: new ViewerTracker(), metrics: { media: new MediaCounts(), shed: c() } });
    server = createServer(createHttpApp({ health: new HealthState(), registry, listStreams: () => [], media }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answer /faults/… with a 404 naming the setting', async () => {
    const r = await get('/faults/on=any,drop/live/a/master.m3u8', port);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body.toString()).error).toMatch(/FAULTS_ENABLED=true/);
  });
});
