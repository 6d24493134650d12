// Start-up (issue 15): a real ffmpeg publishes over RTMP; the stream must be listed within 1.5 s of the packager's
// publish event, with its first segment kept (it used to be refused as "before its init segment" and the stream
// was listed only after two more segments, 3.4-4.4 s after the publish), and every manifest must answer at once.
import pino from 'pino';
import request from 'supertest';
import { manifestPath, mediaPath, mediaPlaylistUri } from '@livelab/media-contract';
import { pollUntil } from '@livelab/service-kit';
import { FfmpegRun } from '@livelab/media-ffmpeg';
import { testSignalJob } from '@livelab/media-generator';
import type { StreamSpec } from '@livelab/media-testsignal';
import { Packager } from '../src';

jest.setTimeout(60_000);

const KEY = 'startup-key-1234';
const logs: Array<{ msg: string; at: number; [k: string]: unknown }> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push({ ...JSON.parse(line), at: Date.now() }) });
let packager: Packager;
let publisher: FfmpegRun | undefined;

beforeAll(async () => {
  packager = new Packager({ publishKey: KEY, logger });
});

afterAll(async () => {
  await publisher?.stop(1000);
  await packager.stop();
});

it('lists a new stream within 1.5 s of its publish, first segment kept, all four manifests playable', async () => {
  const { rtmpPort } = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' });
  const name = 'startup';
  const spec: StreamSpec = { name, pattern: 'smptehdbars', width: 320, height: 180, fps: 30, videoBitrateKbps: 300, audioBitrateKbps: 64 };
  publisher = new FfmpegRun(testSignalJob(spec, { startEpochMs: Date.now(), output: `rtmp://127.0.0.1:${rtmpPort}/live/${name}?key=${KEY}` }));
  void publisher.start();
  const published = await pollUntil('the publish', () => logs.find((l) => l.msg === 'publish started' && l['stream'] === name), 20_000, 5);
  await pollUntil('the stream to be listed', () => packager.listStreams().some((s) => s.name === name), 10_000, 10);
  const listedAfterMs = Date.now() - published.at;
  expect(listedAfterMs).toBeLessThanOrEqual(1500);

  // No upload was refused, and the first segment is the one that starts at the stream's first media time: its
  // presentationTimeOffset is the track's first decode time, ~0 (it was ~1 s when the first segment was lost).
  expect(logs.filter((l) => l.msg === 'upload refused')).toEqual([]);
  const mpd = await request(packager.app).get(manifestPath(name, 'dash', 'standard')).expect(200);
  const video = /<SegmentTemplate timescale="(\d+)"[^>]*presentationTimeOffset="(\d+)"[^>]*startNumber="(\d+)"/.exec(mpd.text);
  expect(video).not.toBeNull();
  const [, timescale, pto, startNumber] = (video as RegExpExecArray).map(Number);
  expect(pto / timescale).toBeLessThan(0.3);
  const hls = await request(packager.app).get(mediaPath(name, mediaPlaylistUri(0, 'standard'))).expect(200);
  expect(hls.text).toContain(`#EXT-X-MEDIA-SEQUENCE:${startNumber}\n`);

  // The low-latency manifests answer too, the LL-HLS one with parts.
  await request(packager.app).get(manifestPath(name, 'dash', 'll')).expect(200);
  const ll = await request(packager.app).get(mediaPath(name, mediaPlaylistUri(0, 'll'))).expect(200);
  expect(ll.text).toMatch(/#EXT-X-PART:DURATION=/);
});
