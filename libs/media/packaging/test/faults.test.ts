// Fault injection (issue 18) against a real stream: real ffmpeg publishing over RTMP into the packager, each effect
// requested over raw HTTP (node:http) and timed. Timings are asserted with wide margins (a shared, loaded box): an
// effect must be at least most of what it asks for and end within a bound; nothing asserts speed.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Counter, createMetricsRegistry, HealthState, pollUntil, silentLogger } from '@livelab/service-kit';
import { FfmpegRun } from '@livelab/media-ffmpeg';
import { testSignalJob } from '@livelab/media-generator';
import fc from 'fast-check';
import { DVR_WINDOW_S, mediaPlaylistUri, parseFaultRules, parseMediaFile, partUri, segmentUri, type MediaFile } from '@livelab/media-contract';
import { Packager } from '../src';
import { MediaRoutes } from '../src/http/media-routes';
import { createHttpApp } from '../src/http/server';
import { allElements, parseMediaPlaylist, parseMpd, oneElement } from '../src/testing';
import { ViewerTracker } from '../src/http/viewers';
import { BoxSplitter, parseInitSegment, parseMoof } from '../src/cmaf/fmp4';
import { MediaCounts } from '../src/metrics';
import { createServer, type Server } from 'node:http';

jest.setTimeout(120_000);

const KEY = 'faults-key-123456';
const STREAM = 'faulty';
const MAX_FAULTED = 6;
const MAX_PER_CLIENT = 4;
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

function get(path: string, port = httpPort, headers: Record<string, string> = {}): Promise<Got> {
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
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers }, (res) => {
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
/**
 * The segment of track 0 being made now (its number, from the LL playlist's preload hint), taken while at most its
 * second part is hinted: at least ~0.6 s of it is still to come, so a request made next finds it in progress (a
 * hint on its last part could complete before the request arrives, and a complete segment is not sent chunked).
 */
async function inProgressSegment(): Promise<{ uri: string; hint: string }> {
  let found: { uri: string; hint: string } | undefined;
  await pollUntil('a segment with most of it still to come', async () => {
    const p = await playlist(mediaPlaylistUri(0, 'll'));
    const hint = p.preloadHint?.uri as string;
    const f = parseMediaFile(hint) as { number: number; part?: number };
    if ((f.part ?? 0) > 1) return false;
    found = { uri: segmentUri(0, f.number), hint };
    return true;
  }, 5000, 20);
  return found as { uri: string; hint: string };
}

beforeAll(async () => {
  packager = new Packager({ publishKey: KEY, logger: silentLogger(), faults: { enabled: true, maxInFlight: MAX_FAULTED, maxPerClient: MAX_PER_CLIENT } });
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
    const alphabet = fc.constantFrom(...'on=segmentpartplaylistreloadmpdinit,;+status4051delay=hangkbpsp0.5seedevery-nshapewindowtmplutcsegchunks29%/?#&'.split(''));
    // Also shapes built of real keys with values in and out of range (seg, chunks, window and their product).
    const shapeValue = fc.oneof(fc.integer({ min: -1, max: 12 }).map(String), fc.constantFrom('', 'x', '1.5', '01', 'timeline', 'none'));
    const shapeText = fc
      .array(fc.tuple(fc.constantFrom('seg', 'chunks', 'window', 'tmpl', 'utc', 'ato', 'pdt'), shapeValue), { minLength: 1, maxLength: 4 })
      .map((fields) => ['shape', ...fields.map(([k, v]) => `${k}=${v}`)].join(','));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.stringOf(alphabet, { minLength: 1, maxLength: 60 }), fc.string({ minLength: 1, maxLength: 40 }), shapeText), async (text) => {
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

  it('hang on the hinted part: no answer, the socket closed after the hang; held requests are capped per client and in all, and counted', async () => {
    const { hint } = await inProgressSegment();
    const as = (client: string) => get(F('on=part,hang=1500', hint), httpPort, { 'user-agent': client });
    // One client takes its share (MAX_PER_CLIENT) and no more; others get theirs until the cap (MAX_FAULTED).
    const hung = Array.from({ length: MAX_PER_CLIENT }, () => as('player-a'));
    await pollUntil('one client at its share', async () => faultedInFlight().then((n) => n === MAX_PER_CLIENT), 5000);
    const greedy = await as('player-a');
    expect(greedy.status).toBe(503);
    expect(greedy.headers?.['retry-after']).toBe('2');
    expect(JSON.parse(greedy.body.toString()).error).toMatch(/too many faulted requests open from this client \(4, at most 4 each\)/);
    hung.push(...Array.from({ length: MAX_FAULTED - MAX_PER_CLIENT }, () => as('player-b')));
    await pollUntil('faulted requests open', async () => faultedInFlight().then((n) => n === MAX_FAULTED), 5000);
    const over = await as('player-c');
    expect(over.status).toBe(503);
    expect(JSON.parse(over.body.toString()).error).toMatch(/too many faulted requests open \(6\)/);
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

  it('throttle: a segment at 256 kbit/s takes its size at that rate, bytes unchanged', async () => {
    // 256, not the 128 floor: the same check in half the wait (CI time, session 7).
    const uri = await completeSegment();
    const plain = await get(live(uri));
    const r = await get(F('on=segment,kbps=256', uri));
    expect(r.status).toBe(200);
    expect(r.body.equals(plain.body)).toBe(true);
    const expectedMs = (plain.body.length * 8) / 256;
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
    // As a delta update (hls.js asks for one): the old segments skipped, the gaps of the rest unchanged.
    await pollUntil('8 segments listed', async () => (await playlist(mediaPlaylistUri(0, 'll'))).segments.length >= 8, 15_000);
    const d = parseMediaPlaylist((await get(F('on=playlist,every=2,skip', 'media_0-ll.m3u8?_HLS_skip=YES'))).body.toString());
    expect(d.playlist.skip).toBeGreaterThan(0);
    for (const s of d.segments) {
      const n = (parseMediaFile(s.uri) as { number: number }).number;
      expect([s.mediaSequenceNumber, !!s.gap]).toEqual([n, n % 2 === 0]);
    }
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
      // The window (4) and, low latency, the segment being made (dash-manifest.ts segmentTimeline).
      expect(count).toBeLessThanOrEqual(file === 'manifest-ll.mpd' ? 5 : 4);
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

  it('HLS: 2 s segments of two stored ones (seg=2): listed with their durations, named apart, their bytes the two in a row', async () => {
    const p = parseMediaPlaylist((await get(F('shape,seg=2', 'media_0.m3u8'))).body.toString());
    expect(p.playlist.targetDuration).toBe(2);
    // The DVR window in whole 2 s segments (30 s → 15); the stream is younger than that here, so all it has.
    expect(p.segments.length).toBeGreaterThanOrEqual(3);
    expect(p.segments.length).toBeLessThanOrEqual(Math.floor(DVR_WINDOW_S.default / 2));
    const plain = await playlist();
    for (const x of p.segments) {
      const f = parseMediaFile(x.uri) as MediaFile & { number: number };
      expect(f).toMatchObject({ kind: 'segment', track: 0, group: { segments: 2, chunks: 1 } });
      expect(x.duration).toBeGreaterThan(1.9);
      expect(x.duration).toBeLessThan(2.1);
      expect(x.mediaSequenceNumber).toBe(f.number);
      // Its time is its first stored segment's.
      const first = plain.segments.find((y) => y.uri === segmentUri(0, 2 * f.number));
      if (x.programDateTime && first?.programDateTime) expect(x.programDateTime.getTime()).toBe(first.programDateTime.getTime());
    }
    const newest = p.segments.at(-1)?.uri as string;
    const k = (parseMediaFile(newest) as { number: number }).number;
    const [grouped, a, b] = await Promise.all([get(F('shape,seg=2', newest)), get(live(segmentUri(0, 2 * k))), get(live(segmentUri(0, 2 * k + 1)))]);
    expect([grouped.status, a.status, b.status]).toEqual([200, 200, 200]);
    expect(Number(grouped.headers?.['content-length'])).toBe(a.body.length + b.body.length);
    expect(grouped.body.equals(Buffer.concat([a.body, b.body]))).toBe(true);
    // A grouped name is not a /live/ file; a group whose first stored segment is gone is a 404.
    expect((await get(live(newest))).status).toBe(404);
    expect((await get(F('shape,seg=2', segmentUri(0, k - 10, { segments: 2, chunks: 1 })))).status).toBe(404);
  });

  it('LL-HLS: parts of two stored chunks (chunks=2) and 2 s segments: part target, hold-back, hint, blocking reload on the new numbering', async () => {
    const shape = 'shape,seg=2,chunks=2';
    const p = parseMediaPlaylist((await get(F(shape, 'media_0-ll.m3u8'))).body.toString());
    const plain = parseMediaPlaylist((await get(live('media_0-ll.m3u8'))).body.toString());
    const storedTarget = plain.playlist.partTargetDuration as number;
    expect(p.playlist.targetDuration).toBe(2);
    expect(p.playlist.partTargetDuration).toBeCloseTo(2 * storedTarget, 3);
    expect(p.playlist.lowLatencyCompatibility?.partHoldBack).toBeGreaterThanOrEqual(3 * (p.playlist.partTargetDuration as number) - 1e-9);
    for (const x of p.allParts) {
      expect(parseMediaFile(x.uri as string)).toMatchObject({ kind: 'part', group: { segments: 2, chunks: 2 } });
      expect(x.duration).toBeLessThanOrEqual((p.playlist.partTargetDuration as number) + 1e-6);
    }
    // A whole part is two stored chunks in a row: part 1 of group k is chunks 2 and 3 of stored segment 2k.
    const done = p.segments.at(-1)?.uri as string;
    const k = (parseMediaFile(done) as { number: number }).number;
    const [part, c2, c3] = await Promise.all([get(F(shape, partUri(0, k, 1, { segments: 2, chunks: 2 }))), get(live(partUri(0, 2 * k, 2))), get(live(partUri(0, 2 * k, 3)))]);
    expect([part.status, c2.status, c3.status]).toEqual([200, 200, 200]);
    expect(part.body.equals(Buffer.concat([c2.body, c3.body]))).toBe(true);
    // The hint names the next grouped part; a blocking reload for it returns once it is listed.
    const hint = parseMediaFile(p.preloadHint?.uri as string) as { number: number; part: number };
    expect(hint).toMatchObject({ kind: 'part', group: { segments: 2, chunks: 2 } });
    const r = await get(F(shape, `media_0-ll.m3u8?_HLS_msn=${hint.number}&_HLS_part=${hint.part}&_HLS_skip=YES`));
    expect(r.status).toBe(200);
    const after = parseMediaPlaylist(r.body.toString()); // a delta update on the grouped numbering
    expect(after.playlist.lowLatencyCompatibility?.canSkipUntil).toBe(6 * 2);
    for (const [i, x] of after.segments.entries()) {
      expect((parseMediaFile(x.uri) as { number: number }).number).toBe((after.playlist.mediaSequenceBase as number) + (after.playlist.skip ?? 0) + i);
    }
    expect(after.allParts.some((x) => x.uri === p.preloadHint?.uri)).toBe(true);
    // The hinted part itself, asked for before it exists, is answered once it is whole.
    const next = parseMediaFile(after.preloadHint?.uri as string) as { number: number; part: number };
    const hinted = await get(F(shape, after.preloadHint?.uri as string));
    expect(hinted.status).toBe(200);
    expect(hinted.body.length).toBeGreaterThan(0);
    expect(next).toMatchObject({ kind: 'part' });
  });

  it.each(['manifest.mpd', 'manifest-ll.mpd'])('DASH: 2 s segments (seg=2, %s): @duration, the grouped template, $Number$ at the media time it names', async (file) => {
    const { root } = parseMpd((await get(F('shape,seg=2', file))).body.toString());
    const rep = allElements(root, 'Representation').find((x) => x.attrs['id'] === '0') as never;
    const t = oneElement(rep, 'SegmentTemplate');
    const timescale = Number(t.attrs['timescale']);
    expect(Number(t.attrs['duration'])).toBe(2 * timescale);
    expect(t.attrs['media']).toBe('chunk-$RepresentationID$-$Number%05d$-s2.m4s');
    expect(root.attrs['timeShiftBufferDepth']).toBe(`PT${2 * Math.floor(DVR_WINDOW_S.default / 2)}S`); // the DVR window in 2 s segments
    if (file.includes('-ll')) expect(t.attrs['availabilityTimeOffset']).toBe('1.8');
    // Segment k starts at presentationTimeOffset + (k − startNumber)·@duration: read the tfdt of a complete one.
    const newest = parseMediaPlaylist((await get(F('shape,seg=2', 'media_0.m3u8'))).body.toString()).segments.at(-1)?.uri as string;
    const k = (parseMediaFile(newest) as { number: number }).number;
    const body = (await get(F('shape,seg=2', segmentUri(0, k, { segments: 2, chunks: 1 })))).body;
    const info = parseInitSegment((await get(live('init-0.m4s'))).body);
    const moof = new BoxSplitter().push(body).find((x) => x.type === 'moof');
    const tfdt = parseMoof(moof?.bytes as Buffer, info).baseDecodeTime;
    const expected = Number(t.attrs['presentationTimeOffset']) + (k - Number(t.attrs['startNumber'])) * 2 * timescale;
    expect(Math.abs(tfdt - expected)).toBeLessThan(0.1 * timescale);
    // availabilityStartTime moved on to segment startNumber's start: a whole number of stored segments later.
    const plainAst = Date.parse(parseMpd((await get(live(file))).body.toString()).root.attrs['availabilityStartTime']);
    expect([0, 1000]).toContain(Date.parse(root.attrs['availabilityStartTime']) - plainAst);
  });

  it('LL-DASH: a 2 s segment in progress is sent chunked, both stored segments, as they are made', async () => {
    const { uri } = await inProgressSegment();
    const n = (parseMediaFile(uri) as { number: number }).number;
    const k = Math.floor(n / 2);
    const grouped = segmentUri(0, k, { segments: 2, chunks: 1 });
    const r = await get(F('shape,seg=2', grouped));
    expect(r.status).toBe(200);
    expect(r.headers?.['transfer-encoding']).toBe('chunked');
    const [a, b] = await Promise.all([get(live(segmentUri(0, 2 * k))), get(live(segmentUri(0, 2 * k + 1)))]);
    expect(r.body.equals(Buffer.concat([a.body, b.body]))).toBe(true);
    // It came as the media was made: more than one piece.
    expect(r.chunks.length).toBeGreaterThan(1);
  });

  it('skip on an MPD: the segments its pattern selects are answered 404, the MPD and the others as usual', async () => {
    const uri = await completeSegment();
    const n = (parseMediaFile(uri) as { number: number }).number;
    const rules = `on=mpd,n=${n},skip`;
    const { root } = parseMpd((await get(F(rules, 'manifest.mpd'))).body.toString());
    expect(allElements(root, 'SegmentTemplate').length).toBeGreaterThan(0);
    const hit = await get(F(rules, uri));
    expect(hit.status).toBe(404);
    expect(JSON.parse(hit.body.toString()).error).toBe(`fault injected: on=mpd,n=${n},skip (segment ${n} skipped: the MPD lists it, the server has none)`);
    expect((await get(F(rules, segmentUri(1, n)))).status).toBe(404);
    expect((await get(F(rules, segmentUri(0, n - 1)))).status).toBe(200);
    // A playlist-only skip leaves segment requests alone.
    expect((await get(F(`on=playlist,n=${n},skip`, uri))).status).toBe(200);
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
