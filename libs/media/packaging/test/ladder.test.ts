// Integration (issue 17): a real small ABR ladder published by one ffmpeg (test/support/ladder-publisher.ts) over
// RTMP into the real packager: one presentation under /live/<stream>/, every rung's segments aligned (same numbers,
// same tfdt in seconds, a keyframe first), all rungs in the multivariant playlist, the media playlists (with
// rendition reports) and the MPD, read through the oracles; an off-grid rung refused; a rung dropping out and
// coming back with the same URLs.
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import { createLogger, pollUntil, silentLogger } from '@livelab/service-kit';
import { LADDER_AUDIO_TRACK, type StreamSummary } from '@livelab/media-contract';
import { Packager } from '../src';
import { allElements, parseMediaPlaylist, parseMpd, parseMultivariantPlaylist } from '../src/testing';
import { BoxSplitter, parseInitSegment, parseMoof } from '../src/cmaf/fmp4';
import { FfmpegRun } from '@livelab/media-ffmpeg';
import { testSignalJob } from '@livelab/media-generator';
import { LadderPublisher, SMALL_LADDER } from './support/ladder-publisher';

jest.setTimeout(180_000);

const KEY = 'ladder-key-1234';
const STREAM = 'ladder-test';
let packager: Packager;
let rtmpBase: string;
const publishers: LadderPublisher[] = [];
let offGrid: LadderPublisher;

const get = (file: string) => request(packager.app).get(`/live/${STREAM}/${file}`).buffer(true);
const listing = async () => ((await request(packager.app).get('/api/streams')).body.streams as StreamSummary[]).find((s) => s.name === STREAM);
const refusedMetric = new RegExp(`livelab_packager_ladder_refused_rungs_total\\{[^}]*stream="${STREAM}"[^}]*\\} 1\n`);
const rungsListed = async () => (await listing())?.rungs?.map((r) => r.index) ?? [];

/** Start time (s) and first-sample keyframe flag of a segment, read from its init and first moof. */
async function segmentStart(track: number, n: number): Promise<{ seconds: number; keyframe: boolean }> {
  const info = parseInitSegment((await get(`init-${track}.m4s`).expect(200)).body as Buffer);
  const res = await get(`chunk-${track}-${String(n).padStart(5, '0')}.m4s`);
  if (res.status !== 200) throw new Error(`chunk-${track}-${n}: ${res.status} ${res.text}`);
  const seg = res.body as Buffer;
  const moof = new BoxSplitter().push(seg).find((b) => b.type === 'moof') as { bytes: Buffer };
  const timing = parseMoof(moof.bytes, info);
  return { seconds: timing.baseDecodeTime / info.timescale, keyframe: timing.independent };
}

/** Segment numbers a track's standard media playlist lists now. */
async function listedNumbers(track: number): Promise<number[]> {
  const pl = parseMediaPlaylist((await get(`media_${track}.m3u8`).expect(200)).text);
  return pl.segments.map((s) => s.mediaSequenceNumber);
}

beforeAll(async () => {
  packager = new Packager({ publishKey: KEY, logger: process.env['LADDER_TEST_LOG'] ? createLogger('ladder-test', process.env['LADDER_TEST_LOG']) : silentLogger(), stallTimeoutMs: 3000 });
  const { rtmpPort } = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' });
  rtmpBase = `rtmp://127.0.0.1:${rtmpPort}/live`;
  // Rungs 0 and 1 and the audio from one ffmpeg; rung 2 from a second ffmpeg on the first one's clock (whole seconds
  // later), so it can drop out and come back alone.
  publishers.push(new LadderPublisher({ rtmpBase, key: KEY, stream: STREAM, rungs: [SMALL_LADDER[0], SMALL_LADDER[1]], audio: true }));
  publishers.push(rung2(publishers[0]));
  await pollUntil('the ladder listed with rungs 0, 1, 2', async () => (await rungsListed()).join() === '0,1,2', 30_000);
  // Then an off-grid rung 3 (keyframes at n + 0.5 s on the same clock), once the grid is anchored by the top rung.
  // Its clock starts at the ladder's newest media time (whole seconds): the encoder may run behind the wall clock here.
  const newest = await segmentStart(0, (await listedNumbers(0)).at(-1) as number);
  offGrid = new LadderPublisher({ rtmpBase, key: KEY, stream: STREAM, rungs: [{ index: 3, width: 160, height: 90, kbps: 100, offGrid: true }], tsOffsetS: Math.ceil(newest.seconds) + 1 });
  publishers.push(offGrid);
  await pollUntil('rung 3 refused', async () => refusedMetric.test((await request(packager.app).get('/metrics')).text), 45_000);
  await pollUntil('the ladder listed with rungs 0, 1, 2 again', async () => (await rungsListed()).join() === '0,1,2', 10_000);
});

/** Rung 2 from its own ffmpeg, its clock shifted by whole seconds to the ladder's (default: wall time since `main` started). */
function rung2(main: LadderPublisher, tsOffsetS = Math.round((Date.now() - main.startedAt) / 1000)): LadderPublisher {
  return new LadderPublisher({ rtmpBase, key: KEY, stream: STREAM, rungs: [SMALL_LADDER[2]], tsOffsetS });
}

afterAll(async () => {
  await Promise.all(publishers.map((p) => p.stop()));
  await packager.stop();
});

describe('an ABR ladder published as one RTMP stream per rung', () => {
  it('is listed once, with its rungs top first and their measured size', async () => {
    const s = (await listing()) as StreamSummary;
    expect(s.rungs?.map((r) => [r.index, r.width, r.height])).toEqual([[0, 320, 180], [1, 256, 144], [2, 160, 90]]);
    expect(s.video).toMatchObject({ codec: 'h264', width: 320, height: 180 });
    expect(s.audio).toMatchObject({ sampleRate: 48000 });
    const names = ((await request(packager.app).get('/api/streams')).body.streams as StreamSummary[]).map((x) => x.name);
    expect(names.filter((n) => n.startsWith(STREAM))).toEqual([STREAM]);
  });

  it('aligns every rung: the same segment number starts at the same media time, with a keyframe', async () => {
    await pollUntil('3 segments common to all rungs', async () => {
      const lists = await Promise.all([0, 1, 2].map(listedNumbers));
      return lists[0].filter((n) => lists[1].includes(n) && lists[2].includes(n)).length >= 3;
    }, 20_000);
    const lists = await Promise.all([0, 1, 2].map(listedNumbers));
    const common = lists[0].filter((n) => lists[1].includes(n) && lists[2].includes(n));
    for (const n of common) {
      const starts = await Promise.all([0, 1, 2].map((k) => segmentStart(k, n)));
      for (const s of starts) {
        expect(s.keyframe).toBe(true);
        expect(Math.abs(s.seconds - starts[0].seconds)).toBeLessThan(0.002);
      }
    }
    // The audio's segment of the same number starts within half a segment of the video's.
    const audioList = await listedNumbers(LADDER_AUDIO_TRACK);
    const n = common.find((x) => audioList.includes(x)) as number;
    expect(n).toBeDefined();
    const [v, a] = [await segmentStart(0, n), await segmentStart(LADDER_AUDIO_TRACK, n)];
    expect(Math.abs(a.seconds - v.seconds)).toBeLessThanOrEqual(0.5);
  });

  it('has one multivariant playlist with a STREAM-INF per rung (measured, with the audio group) and the audio rendition', async () => {
    for (const mode of ['standard', 'll'] as const) {
      const m = parseMultivariantPlaylist((await get(mode === 'll' ? 'master-ll.m3u8' : 'master.m3u8').expect(200)).text);
      expect(m.variants.map((v) => v.uri)).toEqual(mode === 'll' ? ['media_0-ll.m3u8', 'media_1-ll.m3u8', 'media_2-ll.m3u8'] : ['media_0.m3u8', 'media_1.m3u8', 'media_2.m3u8']);
      expect(m.variants.map((v) => [v.resolution?.width, v.resolution?.height])).toEqual([[320, 180], [256, 144], [160, 90]]);
      for (const v of m.variants) {
        expect(v.codecs).toMatch(/^avc1\.[0-9A-Fa-f]{6},mp4a\.40\.2$/);
        expect(v.frameRate).toBeCloseTo(30, 0);
        expect(v.averageBandwidth).toBeGreaterThan(20_000); // video + 64 kbit/s audio, measured from the segments
        expect(v.bandwidth).toBeGreaterThanOrEqual(v.averageBandwidth as number);
        expect(v.audio.map((a) => a.uri)).toEqual([mode === 'll' ? `media_${LADDER_AUDIO_TRACK}-ll.m3u8` : `media_${LADDER_AUDIO_TRACK}.m3u8`]);
      }
      // The top rung costs the most.
      expect(m.variants[0].averageBandwidth as number).toBeGreaterThan(m.variants[2].averageBandwidth as number);
    }
  });

  it('reports every other rendition in each low-latency media playlist (EXT-X-RENDITION-REPORT)', async () => {
    for (const track of [0, 1, 2, LADDER_AUDIO_TRACK]) {
      const { playlist, allParts, preloadHint } = parseMediaPlaylist((await get(`media_${track}-ll.m3u8`).expect(200)).text);
      expect(allParts.length).toBeGreaterThan(0);
      expect(preloadHint).toBeDefined();
      const others = [0, 1, 2, LADDER_AUDIO_TRACK].filter((t) => t !== track);
      expect(playlist.renditionReports.map((r) => r.uri)).toEqual(others.map((t) => `media_${t}-ll.m3u8`));
      const own = playlist.segments.at(-1)?.mediaSequenceNumber as number;
      for (const r of playlist.renditionReports) {
        // Aligned rungs are at the same segment, give or take the one being made.
        expect(Math.abs((r.lastMSN as number) - own)).toBeLessThanOrEqual(2);
        expect(r.lastPart).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('has one MPD with a Representation per rung in one video AdaptationSet, standard and low-latency', async () => {
    for (const mode of ['standard', 'll'] as const) {
      const { root, lowLatency } = parseMpd((await get(mode === 'll' ? 'manifest-ll.mpd' : 'manifest.mpd').expect(200)).text);
      expect(lowLatency).toBe(mode === 'll');
      const sets = allElements(root, 'AdaptationSet');
      expect(sets.map((a) => a.attrs['contentType'])).toEqual(['video', 'audio']);
      const video = sets[0];
      expect(video.attrs['segmentAlignment']).toBe('true');
      expect(allElements(video, 'Representation').map((r) => [r.attrs['id'], r.attrs['width'], r.attrs['height']])).toEqual([['0', '320', '180'], ['1', '256', '144'], ['2', '160', '90']]);
      expect(allElements(sets[1], 'Representation').map((r) => r.attrs['id'])).toEqual([String(LADDER_AUDIO_TRACK)]);
    }
  });

  it('refuses a rung whose keyframes are off the ladder\'s segment boundaries: counted, not in the manifests, its files 404', async () => {
    const metrics = (await request(packager.app).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(refusedMetric);
    const m = parseMultivariantPlaylist((await get('master.m3u8').expect(200)).text);
    expect(m.variants.some((v) => v.uri === 'media_3.m3u8')).toBe(false);
    const res = await get('media_3.m3u8').expect(404);
    expect(res.body.error).toMatch(/no track 3/);
    expect(await rungsListed()).not.toContain(3);
    // Its publish is dropped (the RTMP connection cut, with the reason logged): the publisher sees it and ends —
    // a restart of it puts it back on the grid.
    await pollUntil('the off-grid publisher to see its connection dropped', async () => offGrid.proc.exitCode !== null || offGrid.proc.signalCode !== null, 10_000);
    expect(offGrid.proc.signalCode).toBeNull(); // it ended by itself (stop() was not called)
  });

  it('drops a rung that unpublishes within a few seconds (its files 404) and takes it back, aligned, when it returns', async () => {
    const before = await segmentStart(2, (await listedNumbers(2)).at(-1) as number);
    expect(before.keyframe).toBe(true);
    await publishers[1].stop();
    await pollUntil('rung 2 gone from the listing and the manifests', async () => {
      const mv = parseMultivariantPlaylist((await get('master-ll.m3u8').expect(200)).text);
      const mpd = parseMpd((await get('manifest.mpd').expect(200)).text);
      const reports = parseMediaPlaylist((await get('media_0-ll.m3u8').expect(200)).text).playlist.renditionReports;
      return (
        !(await rungsListed()).includes(2) &&
        !mv.variants.some((v) => v.uri === 'media_2-ll.m3u8') &&
        !allElements(mpd.root, 'Representation').some((r) => r.attrs['id'] === '2') &&
        !reports.some((r) => r.uri === 'media_2-ll.m3u8')
      );
    }, 8000);
    const gone = await get('init-2.m4s').expect(404);
    expect(gone.body.error).toMatch(/no track 2/);
    await get('media_2.m3u8').expect(404);
    expect(await rungsListed()).toEqual([0, 1]);

    // On a loaded machine the ladder's encoder runs behind the wall clock: start the returning rung at the ladder's
    // newest media time (whole seconds), as a rung of the same encoder would be.
    const newest = await segmentStart(0, (await listedNumbers(0)).at(-1) as number);
    publishers.push(rung2(publishers[0], Math.ceil(newest.seconds) + 1));
    await pollUntil('rung 2 back', async () => (await rungsListed()).includes(2), 20_000);
    const m = parseMultivariantPlaylist((await get('master.m3u8').expect(200)).text);
    expect(m.variants.map((v) => v.uri)).toEqual(['media_0.m3u8', 'media_1.m3u8', 'media_2.m3u8']);
    await pollUntil('a segment of the returned rung 2 that rung 0 has too', async () => {
      const [a, b] = [await listedNumbers(0), await listedNumbers(2)];
      return b.some((n) => a.includes(n) && n > 0);
    }, 20_000);
    const [a, b] = [await listedNumbers(0), await listedNumbers(2)];
    const n = b.filter((x) => a.includes(x)).at(-1) as number;
    const [top, back] = [await segmentStart(0, n), await segmentStart(2, n)];
    expect(back.keyframe).toBe(true);
    expect(Math.abs(back.seconds - top.seconds)).toBeLessThan(0.002);
  });

  it('refuses a single-rendition publish of the ladder\'s name (the RTMP session is closed, the ladder plays on)', async () => {
    const refusedPublishes = async () => Number(/livelab_packager_refused_total\{[^}]*kind="publish"[^}]*\} (\d+)/.exec((await request(packager.app).get('/metrics')).text)?.[1] ?? 0);
    const before = await refusedPublishes();
    const plain = new FfmpegRun(testSignalJob({ name: STREAM, pattern: 'smptehdbars', width: 160, height: 90, fps: 30, videoBitrateKbps: 100, audioBitrateKbps: 64 }, { startEpochMs: Date.now(), output: `${rtmpBase}/${STREAM}?key=${KEY}` }));
    const exit = await plain.start();
    expect(exit.code).not.toBe(0); // ffmpeg ends when its publish is refused
    expect(await refusedPublishes()).toBe(before + 1);
    expect((await listing())?.rungs?.map((r) => r.index)).toEqual([0, 1, 2]);
  });

  it('keeps a rung aligned across a crash of its remux: numbers from media time, none given twice', async () => {
    const before = await listedNumbers(1);
    // The rung's remux reads `<stream>~1` from the loopback listener with the play token (the publisher's URL has ?key=).
    const pids = execFileSync('pgrep', ['-f', `rtmp://127\\.0\\.0\\.1:[0-9]+/live/${STREAM}~1\\?token=`], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(pids).toHaveLength(1);
    process.kill(pids[0], 'SIGKILL');
    const last = before.at(-1) as number;
    // The restarted remux (backoff, spawn, node-media-server's GOP replay) may take a few seconds on a loaded box.
    const n = await pollUntil('a segment of rung 1 after the crash that rung 0 lists too', async () => {
      const [after, top] = [await listedNumbers(1), await listedNumbers(0)];
      expect(new Set(after).size).toBe(after.length);
      // last + 1 was in progress at the kill (closed as it was); the restarted remux's come after it.
      return after.filter((x) => x > last + 1 && top.includes(x)).at(-1);
    }, 30_000);
    const [a, b] = [await segmentStart(0, n), await segmentStart(1, n)];
    expect(b.keyframe).toBe(true);
    expect(Math.abs(a.seconds - b.seconds)).toBeLessThan(0.002);
    expect(await rungsListed()).toEqual([0, 1, 2]);
  });
});
