// A publisher sending 3× faster than real time (ffmpeg -readrate 3), then the same name published again at once:
// no segment URL of the second publish may name a number the first one used (they are served immutable). With
// numbers counting whole seconds from the publish, the fast publisher ran ahead of the clock and the next publish
// reused its URLs (issue 15).
import request from 'supertest';
import { mediaPath, mediaPlaylistUri, parseMediaFile } from '@livelab/media-contract';
import { pollUntil, silentLogger } from '@livelab/service-kit';
import { FfmpegRun, type FfmpegJobSpec } from '@livelab/media-ffmpeg';
import { testSignalJob } from '@livelab/media-generator';
import type { StreamSpec } from '@livelab/media-testsignal';
import { Packager } from '../src';

jest.setTimeout(60_000);

const KEY = 'fast-publisher-key';
const name = 'fast';
const spec: StreamSpec = { name, pattern: 'smptehdbars', width: 320, height: 180, fps: 30, videoBitrateKbps: 300, audioBitrateKbps: 64 };
let packager: Packager;
let rtmpPort: number;
const runs: FfmpegRun[] = [];

function publish(readRate?: number): FfmpegRun {
  const output = `rtmp://127.0.0.1:${rtmpPort}/live/${name}?key=${KEY}`;
  const job: FfmpegJobSpec = testSignalJob(spec, { startEpochMs: Date.now(), output, realtime: readRate === undefined });
  if (readRate !== undefined) for (const input of job.inputs) input.options = ['-readrate', String(readRate), ...(input.options ?? [])];
  const run = new FfmpegRun(job);
  void run.start();
  runs.push(run);
  return run;
}

/** Segment numbers a media playlist of the stream lists now (both tracks, standard and low latency). */
async function listed(): Promise<number[]> {
  const out: number[] = [];
  for (const track of [0, 1]) {
    for (const mode of ['standard', 'll'] as const) {
      const r = await request(packager.app).get(mediaPath(name, mediaPlaylistUri(track, mode)));
      if (r.status !== 200) continue;
      for (const line of r.text.split('\n')) {
        const uri = /URI="([^"]+)"/.exec(line)?.[1] ?? line;
        const f = parseMediaFile(uri);
        if (f && 'number' in f) out.push(f.number);
      }
    }
  }
  return out;
}

beforeAll(async () => {
  packager = new Packager({ publishKey: KEY, logger: silentLogger(), stallTimeoutMs: 2000 });
  ({ rtmpPort } = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' }));
});

afterAll(async () => {
  await Promise.all(runs.map((r) => r.stop(1000)));
  await packager.stop();
});

it('a republish after a 3× publisher never reuses a segment or part number', async () => {
  const fast = publish(3);
  const seen = new Set<number>();
  const startedAt = Date.now();
  // ~4 s of wall time: ~12 s of media, 12 segments where a real-time publisher makes 4.
  await pollUntil('the fast publisher to run ahead', async () => {
    for (const n of await listed()) seen.add(n);
    return Date.now() - startedAt > 4000 && seen.size >= 8;
  }, 30_000, 100);
  const firstUsed = Math.max(...seen);
  expect(seen.size).toBeGreaterThan(((Date.now() - startedAt) / 1000) * 1.5); // it did run faster than real time
  await fast.stop(1000);
  await pollUntil('the fast stream to end', () => !packager.listStreams().some((s) => s.name === name), 10_000, 20);

  publish();
  await pollUntil('the republished stream', () => packager.listStreams().some((s) => s.name === name), 20_000, 50);
  const again = await listed();
  expect(again.length).toBeGreaterThan(0);
  expect(Math.min(...again)).toBeGreaterThan(firstUsed);
});
