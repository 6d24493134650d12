// The packager killed (-9) and started again at once on the same ports while the generator publishes and a
// player-like poller reads the playlist (issue 15): the generator must publish again within 1 s of the new packager
// listening, and the playlist must advance within 3 s of it. The generator used to grow its backoff across the
// outage (it knocked with a full ffmpeg start each time and reset only after 30 s of running): 5.7-7.9 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { mediaPath, mediaPlaylistUri, newestListedSegment } from '@livelab/media-contract';
import { pollUntil, silentLogger } from '@livelab/service-kit';
import { TestSignalPublisher } from '@livelab/media-ffmpeg';

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

/** The packager app in its own process; each JSON log line is kept with the time it was read. */
function startPackager(ports: { rtmp: number; http: number }) {
  const logs: Array<{ msg: string; at: number; [k: string]: unknown }> = [];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/packager/src/main.ts'], {
    cwd: root,
    env: { ...process.env, HTTP_PORT: String(ports.http), RTMP_PORT: String(ports.rtmp), PUBLISH_KEY: KEY, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      logs.push({ ...JSON.parse(line), at: Date.now() });
    } catch {
      /* not a log line */
    }
  });
  return { child, logs };
}

function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const packagers: ChildProcess[] = [];
let publisher: TestSignalPublisher | undefined;
afterAll(async () => {
  await publisher?.stop();
  for (const p of packagers) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
});

it('after kill -9 and an immediate restart: publishing again ≤ 1 s after the port listens, playlist advancing ≤ 3 s', async () => {
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

  const orphans = childPids(first.child.pid as number); // its remux ffmpeg, left behind by a kill -9
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const second = startPackager(ports);
  packagers.push(second.child);
  try {
    const listening = await pollUntil('the new packager to listen', () => second.logs.find((l) => l.msg === 'packager listening'), 30_000, 10);
    const published = await pollUntil('the generator to publish again', () => second.logs.find((l) => l.msg === 'publish started'), 10_000, 10);
    const before = Math.max(...advances.filter((a) => a.at <= listening.at).map((a) => a.n));
    const advanced = await pollUntil('the playlist to advance on the new packager', () => advances.find((a) => a.at > listening.at && a.n > before), 10_000, 50);
    if (process.env['RESTART_FIGURES']) console.log(JSON.stringify({ publishedMs: published.at - listening.at, advancedMs: advanced.at - listening.at }));
    expect(published.at - listening.at).toBeLessThanOrEqual(1000);
    expect(advanced.at - listening.at).toBeLessThanOrEqual(3000);
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
