// A/V sync of an ABR ladder end to end, without a browser: the generator's real ladder job (one ffmpeg, a tee slave per
// rendition, the audio its own RTMP publish) into the packager, then the flash in the top rung's served segments and
// the beep in the audio rendition's, each decoded by ffmpeg as an MSE player sees them (`-ignore_editlist 1`: hls.js and
// dash.js in Chromium ignore edit lists). The ladder's audio came 80–320 ms early (the audio remux joins the publish
// later than the video's and FFmpeg put that in an empty edit: CmafStore now moves it into the decode times) and 21 ms
// late (AAC priming moved by the audio's own FLV muxer: the generator cuts it off). The page's meter measures the same
// in a browser (live-page.test.ts, single streams).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { initUri, LADDER_AUDIO_TRACK, mediaPath, mediaPlaylistUri, rungPublishName } from '@livelab/media-contract';
import { FfmpegRun } from '@livelab/media-ffmpeg';
import { testSignalLadderJob } from '@livelab/media-generator';
import { flashBox, type StreamSpec } from '@livelab/media-testsignal';
import { pollUntil, silentLogger } from '@livelab/service-kit';
import { Packager } from '../src';
import { parseInitSegment } from '../src/cmaf/fmp4';
import { parseMediaPlaylist } from '../src/testing';

jest.setTimeout(60_000);

const KEY = 'ladder-av-key-1234';
const STREAM = 'avladder';
const SPEC: StreamSpec = {
  name: STREAM,
  pattern: 'testsrc2',
  width: 320,
  height: 180,
  fps: 30,
  videoBitrateKbps: 300,
  audioBitrateKbps: 64,
  ladder: [
    { width: 320, height: 180, videoBitrateKbps: 300 },
    { width: 160, height: 90, videoBitrateKbps: 100 },
  ],
};
let packager: Packager;
let publisher: FfmpegRun;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ladder-av-'));
  packager = new Packager({ publishKey: KEY, logger: silentLogger() });
  const { rtmpPort } = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' });
  publisher = new FfmpegRun(
    testSignalLadderJob(SPEC, { startEpochMs: Date.now(), target: (rung) => `rtmp://127.0.0.1:${rtmpPort}/live/${rungPublishName(STREAM, rung)}?key=${KEY}` }),
  );
  void publisher.start();
});

afterAll(async () => {
  await publisher?.stop(1000);
  await packager?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** init + the newest `n` complete segments of `track`, as one file. */
async function trackFile(track: number, n: number): Promise<{ file: string; init: Buffer }> {
  const get = (uri: string) => request(packager.app).get(mediaPath(STREAM, uri)).buffer(true).parse((res, cb) => {
    const parts: Buffer[] = [];
    res.on('data', (d: Buffer) => parts.push(d));
    res.on('end', () => cb(null, Buffer.concat(parts)));
  });
  const playlist = parseMediaPlaylist((await request(packager.app).get(mediaPath(STREAM, mediaPlaylistUri(track, 'standard'))).expect(200)).text);
  const init = (await get(initUri(track)).expect(200)).body as Buffer;
  const segments = await Promise.all(playlist.segments.slice(-n).map(async (s) => (await get(s.uri).expect(200)).body as Buffer));
  const file = join(dir, `track-${track}.mp4`);
  writeFileSync(file, Buffer.concat([init, ...segments]));
  return { file, init };
}

/** ffmpeg's `-ignore_editlist 1` view (MSE's): presentation times, s, of the track's first sample. */
const startTime = (file: string) =>
  Number(execFileSync('ffprobe', ['-v', 'error', '-ignore_editlist', '1', '-show_entries', 'stream=start_time', '-of', 'csv=p=0', file]).toString().trim());

it('presents the beep at the flash frame of the top rung, in the media a browser plays (|offset| ≤ 5 ms)', async () => {
  await pollUntil('the ladder with 4 complete segments on every track', async () => {
    const res = await request(packager.app).get(mediaPath(STREAM, mediaPlaylistUri(LADDER_AUDIO_TRACK, 'standard')));
    return res.status === 200 && parseMediaPlaylist(res.text).segments.length >= 4;
  }, 30_000, 200);
  const video = await trackFile(0, 3);
  const audio = await trackFile(LADDER_AUDIO_TRACK, 3);
  // What a player gets carries no empty edit any more (it would be ignored by MSE and honoured by Safari).
  expect(parseInitSegment(audio.init).editShiftTicks).toBe(0);

  // The flash: the frames whose flash square is white (one grey pixel per frame, its middle cropped and scaled).
  const box = flashBox(SPEC.width, SPEC.height);
  const m = Math.round(box.size / 4);
  const grey = execFileSync('ffmpeg', ['-v', 'error', '-ignore_editlist', '1', '-i', video.file, '-fps_mode', 'passthrough', '-vf', `crop=${box.size - 2 * m}:${box.size - 2 * m}:${box.x + m}:${box.y + m},scale=1:1`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
  const v0 = startTime(video.file);
  const flashes = [...grey].flatMap((l, i) => (l > 235 && !(grey[i - 1] > 235) ? [v0 + i / SPEC.fps] : []));
  // The beep: the first loud sample after each silence.
  const pcm = execFileSync('ffmpeg', ['-v', 'error', '-ignore_editlist', '1', '-i', audio.file, '-f', 's16le', '-ac', '1', '-ar', '48000', '-'], { maxBuffer: 16 << 20 });
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
  const a0 = startTime(audio.file);
  const beeps: number[] = [];
  for (let i = 0, quiet = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]) > 8000 && quiet > 4800) beeps.push(a0 + i / 48000);
    quiet = Math.abs(samples[i]) > 8000 ? 0 : quiet + 1;
  }
  expect(flashes.length).toBeGreaterThanOrEqual(2);
  // Each flash with the beep nearest to it: heard − shown.
  const offsets = flashes.map((f) => beeps.reduce((best, b) => (Math.abs(b - f) < Math.abs(best) ? b - f : best), Infinity));
  const inBoth = offsets.filter((o) => Math.abs(o) < 0.5); // a flash at the edge of the audio's span has no beep
  expect(inBoth.length).toBeGreaterThanOrEqual(2);
  for (const o of inBoth) expect(Math.abs(o)).toBeLessThanOrEqual(0.005);
});
