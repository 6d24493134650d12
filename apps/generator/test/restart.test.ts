// The packager killed (-9) and started again at once on the same ports while the generator publishes and a
// player-like poller reads the playlist (issue 15): the generator must publish again within 1 s of the new packager
// listening, and the playlist must advance within 3 s of it. The generator used to grow its backoff across the
// outage (it knocked with a full ffmpeg start each time and reset only after 30 s of running): 5.7-7.9 s.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { mediaPath, mediaPlaylistUri } from '@livelab/media-contract';
import { newestListedSegment } from '@livelab/media-packaging/testing';
import { childPids, pollUntil, silentLogger, spawnWithJsonLogs } from '@livelab/service-kit';
import { TestSignalPublisher } from '@livelab/media-generator';

jest.setTimeout(90_000);

const KEY = 'restart-test-key';
const root = resolve(__dirname, '../../..');

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });

/** The packager app in its own process, its JSON log lines kept with the time each was read. */
const startPackager = (ports: { rtmp: number; http: number }) =>
  spawnWithJsonLogs(process.execPath, ['--import', 'tsx', 'apps/packager/src/main.ts'], {
    cwd: root,
    env: { ...process.env, HTTP_PORT: String(ports.http), RTMP_PORT: String(ports.rtmp), PUBLISH_KEY: KEY, LOG_LEVEL: 'info' },
  });

const packagers: ChildProcess[] = [];
let publisher: TestSignalPublisher | undefined;
afterAll(async () => {
  await publisher?.stop();
  for (const p of packagers) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
});

it('after kill -9 and an immediate restart, twice: publishing again soon after the port listens, the playlist advancing', async () => {
  const ports = { rtmp: await freePort(), http: await freePort() };
  const name = 'restart';
  const newest = async () => {
    const r = await fetch(`http://127.0.0.1:${ports.http}${mediaPath(name, mediaPlaylistUri(0, 'standard'))}`).catch(() => undefined);
    return r?.status === 200 ? newestListedSegment(await r.text()) : undefined;
  };

  const first = startPackager(ports);
  packagers.push(first.child);
  publisher = new TestSignalPublisher({
    streams: [{ name, pattern: 'smptehdbars', width: 320, height: 180, fps: 30, videoBitrateKbps: 300, audioBitrateKbps: 64 }],
    rtmpBaseUrl: `rtmp://127.0.0.1:${ports.rtmp}/live`,
    publishKey: KEY,
    logger: silentLogger(),
  });
  expect(await publisher.start()).toBe(true);
  await pollUntil('the stream on the first packager', async () => (await newest()) !== undefined, 30_000, 100);

  // The poller keeps asking, as a player would, through the outage.
  let polling = true;
  const advances: Array<{ n: number; at: number }> = [];
  const poller = (async () => {
    while (polling) {
      const n = await newest();
      if (n !== undefined && n !== advances.at(-1)?.n) advances.push({ n, at: Date.now() });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  // Two restarts in a row: the old backoff grew across them (it reset only after 30 s of running).
  const orphans: number[] = [];
  let current = first;
  const figures: Array<{ publishedMs: number; advancedMs: number }> = [];
  try {
    for (let restart = 0; restart < 2; restart++) {
      const dying = current;
      orphans.push(...childPids(dying.child.pid as number)); // its remux ffmpeg, left behind by a kill -9
      dying.child.kill('SIGKILL');
      await new Promise((r) => dying.child.once('exit', r));
      const next = startPackager(ports);
      packagers.push(next.child);
      current = next;
      const listening = await pollUntil('the new packager to listen', () => next.logs.find((l) => l.msg === 'packager listening'), 30_000, 10);
      const published = await pollUntil('the generator to publish again', () => next.logs.find((l) => l.msg === 'publish started'), 15_000, 10);
      const before = Math.max(...advances.filter((a) => a.at <= listening.at).map((a) => a.n));
      const advanced = await pollUntil('the playlist to advance on the new packager', () => advances.find((a) => a.at > listening.at && a.n > before), 15_000, 50);
      figures.push({ publishedMs: published.at - listening.at, advancedMs: advanced.at - listening.at });
    }
    if (process.env['RESTART_FIGURES']) console.log(JSON.stringify(figures));
    // The goals are 1 s and 3 s (met on a quiet box: docs/benchmarks.md); the margins are for a loaded CI box.
    for (const f of figures) {
      expect(f.publishedMs).toBeLessThanOrEqual(2000);
      expect(f.advancedMs).toBeLessThanOrEqual(4500);
    }
  } finally {
    polling = false;
    await poller;
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited by itself */
      }
    }
  }
});
