// A ladder published over real RTMP. The receivers are ffmpeg's own RTMP server (`-listen 1`, one connection each,
// copying what it gets to FLV): the packager on main refuses the `~` names, and the packager side of issue 17 is
// another branch. Each receiver logs "Unexpected stream <got>, expecting <name>" when a publish name differs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { pollUntil, Registry, silentLogger } from '@livelab/service-kit';
import { rungPublishName, type Rung } from '@livelab/media-contract';
import { runFfmpeg } from '@livelab/media-ffmpeg';
import { streamSpecSchema, type StreamSpec } from '@livelab/media-testsignal';
import { TestSignalPublisher, testSignalLadderJob } from '../src';

jest.setTimeout(120_000);

// gen-ladder's test ports: 21000-21999.
const PORT_BASE = 21100;
const PUBLISHER_PORT = 21110;

const spec: StreamSpec = streamSpecSchema.parse({
  name: 'rtmp-ladder', pattern: 'testsrc2', width: 384, height: 216, fps: 30, audioBitrateKbps: 64,
  ladder: [{ width: 384, height: 216, videoBitrateKbps: 400 }, { width: 192, height: 108, videoBitrateKbps: 150 }],
});

let dir: string;
const receivers: ChildProcess[] = [];
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'livelab-ladder-rtmp-'))));
afterAll(() => {
  for (const r of receivers) if (r.exitCode === null && r.signalCode === null) r.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Is a TCP port listening on 127.0.0.1? Read from /proc/net/tcp: a TCP knock would use up the receiver's one accept. */
const listening = (port: number) =>
  readFileSync('/proc/net/tcp', 'utf8').split('\n').some((line) => {
    const [, local, , state] = line.trim().split(/\s+/);
    return state === '0A' && local === `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  });

/** ffmpeg as a one-connection RTMP server for `name` on `port`, copying to <dir>/<file>.flv; resolves once it listens. */
async function receiver(port: number, name: string, file: string) {
  const log: string[] = [];
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'warning', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/${name}`, '-c', 'copy', '-f', 'flv', '-y', join(dir, `${file}.flv`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => log.push(d));
  receivers.push(child);
  await pollUntil(`the RTMP receiver on ${port}`, () => listening(port), 10_000, 20);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { log, exited, path: join(dir, `${file}.flv`) };
}

const packetsOf = (path: string) =>
  (JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts,dts,flags:stream=codec_type', '-of', 'json', path], { encoding: 'utf8' })) as {
    packets: Array<{ pts: number; dts: number; flags: string }>;
    streams: Array<{ codec_type: string }>;
  });

it('publishes <stream>~0, <stream>~1 and <stream>~audio over RTMP with the same timestamps; a refused rendition fails alone', async () => {
  const video = (index: number): Rung => ({ kind: 'video', index });
  const rx0 = await receiver(PORT_BASE, rungPublishName(spec.name, video(0)), 'rung-0');
  const rx1 = await receiver(PORT_BASE + 1, rungPublishName(spec.name, video(1)), 'rung-1');
  // Nothing listens for the audio: its publish is refused, the video rungs must not notice.
  const ports = [PORT_BASE, PORT_BASE + 1, PORT_BASE + 2];
  const job = testSignalLadderJob(spec, {
    startEpochMs: Date.now(), durationSeconds: 3,
    target: (rung) => `rtmp://127.0.0.1:${ports[rung.kind === 'audio' ? 2 : rung.index]}/live/${rungPublishName(spec.name, rung)}`,
  });
  const exit = await runFfmpeg(job, { timeoutMs: 60_000 });
  expect(exit.code).toBe(0);
  expect(exit.stderrTail.join('\n')).toMatch(/Slave muxer #2 failed: Connection refused, continuing with 2\/3 slaves/);
  await Promise.all([rx0.exited, rx1.exited]);
  for (const rx of [rx0, rx1]) expect(rx.log.join('')).not.toMatch(/Unexpected stream/);

  const [p0, p1] = [packetsOf(rx0.path), packetsOf(rx1.path)];
  expect(p0.streams.map((s) => s.codec_type)).toEqual(['video']);
  expect(p1.streams.map((s) => s.codec_type)).toEqual(['video']);
  expect(p0.packets).toHaveLength(90);
  // The RTMP timestamps as received: the same frame, the same timestamp, keyframes on the same ones, pts = dts.
  expect(p1.packets.map((p) => p.pts)).toEqual(p0.packets.map((p) => p.pts));
  expect(p1.packets.map((p) => p.dts)).toEqual(p0.packets.map((p) => p.pts));
  const keys = (ps: typeof p0.packets) => ps.filter((p) => p.flags.startsWith('K')).map((p) => p.pts);
  expect(keys(p0.packets)).toEqual([0, 1000, 2000]);
  expect(keys(p1.packets)).toEqual(keys(p0.packets));
});

/**
 * A TCP front on `port` for one RTMP receiver behind it: the first connection that sends anything (the ladder's first
 * rendition to open: the tee opens its slaves one after the other) is piped to `backendPort`; later ones are closed at
 * once (a refused publish). Connections that send nothing — the publisher's port knocks — are let go.
 */
function oneRtmpPublishFront(port: number, backendPort: number): Promise<Server> {
  let taken = false;
  const server = createServer((socket) => {
    socket.once('data', (first) => {
      if (taken) {
        socket.destroy();
        return;
      }
      taken = true;
      const backend = connect(backendPort, '127.0.0.1', () => {
        backend.write(first);
        socket.pipe(backend).pipe(socket);
      });
      const close = () => (socket.destroy(), backend.destroy());
      backend.on('error', close).on('close', close);
      socket.on('error', close).on('close', close);
    });
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

it('the publisher: a ladder that lost rungs counts them, is not ready, and restarts whole after its own delay', async () => {
  const rx = await receiver(PUBLISHER_PORT + 1, rungPublishName(spec.name, { kind: 'video', index: 0 }), 'publisher-rung-0');
  const front = await oneRtmpPublishFront(PUBLISHER_PORT, PUBLISHER_PORT + 1);
  const registry = new Registry();
  const publisher = new TestSignalPublisher({
    streams: [spec], rtmpBaseUrl: `rtmp://127.0.0.1:${PUBLISHER_PORT}/live`, publishKey: 'ladder-test-key', logger: silentLogger(), registry,
    backoff: { baseMs: 100, capMs: 500 }, degradedRestartMs: 2000,
  });
  try {
    expect(await publisher.start()).toBe(true);
    await pollUntil('the lost rungs', () => publisher.status()[0].lostRungs?.length === 2, 30_000, 20);
    const lostAt = Date.now();
    expect(publisher.status()[0]).toMatchObject({ stream: 'rtmp-ladder', running: true, rungs: 2, restarts: 0 });
    expect([...(publisher.status()[0].lostRungs ?? [])].sort()).toEqual(['1', 'audio']);
    expect(publisher.allRunningFor(0)).toBe(false); // degraded: not ready
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/livelab_generator_rung_failures_total\{stream="rtmp-ladder",rung="1"\} 1/);
    expect(metrics).toMatch(/livelab_generator_rung_failures_total\{stream="rtmp-ladder",rung="audio"\} 1/);
    // The top rung goes on meanwhile; after the degraded delay (2 s, jittered to 1–2 s) the ladder is restarted whole.
    await rx.exited;
    const endedAt = Date.now();
    expect(endedAt - lostAt).toBeGreaterThanOrEqual(800);
    const names = [...rx.log.join('').matchAll(/Unexpected stream (\S+), expecting/g)].map((m) => m[1]);
    expect(new Set(names)).toEqual(new Set(['rtmp-ladder~0?key=ladder-test-key'])); // the name it published, key and all
    const got = packetsOf(rx.path);
    expect(got.streams.map((st) => st.codec_type)).toEqual(['video']);
    expect(got.packets.length).toBeGreaterThanOrEqual(20); // ≥ 1 s of the top rung arrived while the others were gone
    await pollUntil('the ladder restarted', () => publisher.status()[0].restarts >= 1, 30_000, 50);
  } finally {
    await publisher.stop();
    await new Promise((r) => front.close(r));
  }
});
