// Benchmark (not a test): how fast a stream becomes playable and how fast it comes back (issue 15).
//  - publish → listed in /api/streams, → first LL-HLS playlist with a part, → first standard playlist with a segment,
//    from the packager's own `publish started` log line (a real ffmpeg publisher, a fresh name each run);
//  - kill -9 of the packager and an immediate restart on the same ports with the generator app publishing: the new
//    packager's `packager listening` → its `publish started`, and → the playlist listing a segment newer than any
//    before the kill.
// The packager and generator apps run from source with tsx (BENCH_ROOT, default this checkout: point it at an
// older tree to measure "before"). Run: `npx nx run packager:bench-startup`. Env: BENCH_RUNS (3), BENCH_STREAM
// (low-360p30, the generator's catalogue name; the publish runs use the same size).
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { childPids, spawnWithJsonLogs } from '@livelab/service-kit';
import { FfmpegRun } from '@livelab/media-ffmpeg';
import { testSignalJob } from '@livelab/media-generator';
import { newestListedSegment } from '@livelab/media-packaging/testing';
import { DEFAULT_CATALOGUE } from '@livelab/media-testsignal';
import { mediaPath, mediaPlaylistUri, STREAMS_API_PATH, type StreamList } from '@livelab/media-contract';

const ROOT = resolve(process.env['BENCH_ROOT'] ?? resolve(__dirname, '../..'));
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const STREAM = process.env['BENCH_STREAM'] ?? 'low-360p30';
const HTTP_PORT = 18680;
const RTMP_PORT = 19635;
const KEY = 'bench-startup-key';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type App = ReturnType<typeof spawnWithJsonLogs>;

const startApp = (app: string, env: Record<string, string>): App =>
  spawnWithJsonLogs(process.execPath, ['--import', 'tsx', join(ROOT, 'apps', app, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', PUBLISH_KEY: KEY, ...env },
  });

const startPackager = () => startApp('packager', { HTTP_PORT: String(HTTP_PORT), RTMP_PORT: String(RTMP_PORT) });

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, everyMs = 10): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function get(path: string): Promise<{ status: number; text: string } | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${HTTP_PORT}${path}`);
    return { status: r.status, text: await r.text() };
  } catch {
    return undefined;
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${(s[Math.floor(s.length / 2)] / 1000).toFixed(2)} s (${(s[0] / 1000).toFixed(2)}–${(s.at(-1) as number / 1000).toFixed(2)})`;
};

async function startupRuns(): Promise<void> {
  const spec = DEFAULT_CATALOGUE.find((s) => s.name === STREAM);
  if (!spec) throw new Error(`no stream ${STREAM} in the catalogue`);
  const packager = startPackager();
  await until('the packager', () => packager.logs.find((l) => l.msg === 'packager listening'), 60_000);
  const rows: Array<{ listed: number; llPart: number; standard: number }> = [];
  for (let run = 1; run <= RUNS; run++) {
    const name = `startup-${run}-${Date.now() % 100000}`;
    const publisher = new FfmpegRun(testSignalJob({ ...spec, name }, { startEpochMs: Date.now(), output: `rtmp://127.0.0.1:${RTMP_PORT}/live/${name}?key=${KEY}` }));
    void publisher.start();
    const published = await until('the publish', () => packager.logs.find((l) => l.msg === 'publish started' && l['stream'] === name), 30_000);
    const seen: { listed?: number; llPart?: number; standard?: number } = {};
    await until('all three', async () => {
      const [api, ll, std] = await Promise.all([
        seen.listed ? undefined : get(STREAMS_API_PATH),
        seen.llPart ? undefined : get(mediaPath(name, mediaPlaylistUri(0, 'll'))),
        seen.standard ? undefined : get(mediaPath(name, mediaPlaylistUri(0, 'standard'))),
      ]);
      const now = Date.now();
      if (api?.status === 200 && (JSON.parse(api.text) as StreamList).streams.some((s) => s.name === name)) seen.listed = now;
      if (ll?.status === 200 && /#EXT-X-PART:/.test(ll.text)) seen.llPart ??= now;
      if (std?.status === 200 && newestListedSegment(std.text) !== undefined) seen.standard ??= now;
      return seen.listed && seen.llPart && seen.standard ? true : undefined;
    }, 30_000, 10);
    rows.push({ listed: (seen.listed as number) - published.at, llPart: (seen.llPart as number) - published.at, standard: (seen.standard as number) - published.at });
    console.log(`start-up run ${run}: listed ${rows.at(-1)?.listed} ms, first LL part ${rows.at(-1)?.llPart} ms, standard segment ${rows.at(-1)?.standard} ms`);
    await publisher.stop(1000);
    await sleep(1000);
  }
  packager.child.kill('SIGTERM');
  await new Promise((r) => packager.child.once('exit', r));
  console.log(`publish → listed: ${stats(rows.map((r) => r.listed))}`);
  console.log(`publish → LL-HLS playlist with a part: ${stats(rows.map((r) => r.llPart))}`);
  console.log(`publish → standard playlist with a segment: ${stats(rows.map((r) => r.standard))}`);
}

async function restartRuns(): Promise<void> {
  let packager = startPackager();
  await until('the packager', () => packager.logs.find((l) => l.msg === 'packager listening'), 60_000);
  const generator = startApp('generator', { HTTP_PORT: '18681', PACKAGER_RTMP_URL: `rtmp://127.0.0.1:${RTMP_PORT}/live`, STREAMS: STREAM });
  const newest = async () => {
    const r = await get(mediaPath(STREAM, mediaPlaylistUri(0, 'standard')));
    return r?.status === 200 ? newestListedSegment(r.text) : undefined;
  };
  await until('the generator stream', newest, 60_000, 100);
  const rows: Array<{ publish: number; advancing: number }> = [];
  for (let run = 1; run <= RUNS; run++) {
    await sleep(4000);
    const before = (await newest()) as number;
    const orphans = childPids(packager.child.pid as number);
    packager.child.kill('SIGKILL');
    await new Promise((r) => packager.child.once('exit', r));
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    packager = startPackager();
    const p = packager;
    const listening = await until('the new packager', () => p.logs.find((l) => l.msg === 'packager listening'), 60_000);
    const published = await until('the generator to publish again', () => p.logs.find((l) => l.msg === 'publish started'), 30_000);
    const advanced = await until('the playlist to advance', async () => ((await newest()) ?? -1) > before ? Date.now() : undefined, 30_000, 20);
    rows.push({ publish: published.at - listening.at, advancing: advanced - listening.at });
    console.log(`restart run ${run}: publishing again ${rows.at(-1)?.publish} ms after listening, playlist advancing after ${rows.at(-1)?.advancing} ms`);
  }
  generator.child.kill('SIGTERM');
  packager.child.kill('SIGTERM');
  await Promise.all([generator, packager].map((a) => new Promise((r) => a.child.once('exit', r))));
  console.log(`restart → publishing again: ${stats(rows.map((r) => r.publish))}`);
  console.log(`restart → playlist advancing: ${stats(rows.map((r) => r.advancing))}`);
}

async function main() {
  console.log(`${new Date().toISOString()} root ${ROOT}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${RUNS} runs, ${STREAM}`);
  await startupRuns();
  await restartRuns();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
