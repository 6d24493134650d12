// The generator against a real packager: it waits for the RTMP port, publishes, and when the packager goes away
// and comes back on the same port it reconnects by itself (backoff with jitter, capped).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pollUntil, silentLogger } from '@livelab/service-kit';
import { TestSignalPublisher } from '@livelab/media-generator';
import { Packager } from '@livelab/media-packaging';

jest.setTimeout(120_000);

const KEY = 'generator-test-key';
const root = resolve(__dirname, '../../..');


describe('generator ↔ packager', () => {
  let packager: Packager | undefined;
  let publisher: TestSignalPublisher | undefined;
  afterAll(async () => {
    await publisher?.stop();
    await packager?.stop();
  });

  it('waits for the packager, publishes, and reconnects after the packager restarts', async () => {
    // Find a free port for RTMP by starting the packager once, then stop it: the generator starts first.
    packager = new Packager({ publishKey: KEY, logger: silentLogger() });
    const { rtmpPort } = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' });
    await packager.stop();

    publisher = new TestSignalPublisher({
      streams: [{ name: 'reconnect', pattern: 'smptehdbars', width: 320, height: 180, fps: 25, videoBitrateKbps: 300, audioBitrateKbps: 64 }],
      rtmpBaseUrl: `rtmp://127.0.0.1:${rtmpPort}/live`,
      publishKey: KEY,
      logger: silentLogger(),
      backoff: { baseMs: 200, capMs: 2000 },
    });
    const started = publisher.start(); // waits: nothing listens yet
    await new Promise((r) => setTimeout(r, 700));
    expect(publisher.allRunning).toBe(false);

    const listed = async (p: Packager) => p.listStreams().some((s) => s.name === 'reconnect');
    packager = new Packager({ publishKey: KEY, logger: silentLogger() });
    await packager.start({ rtmpPort, httpPort: 0, host: '127.0.0.1' });
    expect(await started).toBe(true);
    const first = packager;
    await pollUntil('the stream on the first packager', () => listed(first));

    await first.stop(); // the packager goes away: ffmpeg exits, the generator retries with backoff
    await pollUntil('the generator to notice', () => publisher?.status()[0].running === false || (publisher?.status()[0].restarts ?? 0) > 0, 15_000);
    packager = new Packager({ publishKey: KEY, logger: silentLogger() });
    await packager.start({ rtmpPort, httpPort: 0, host: '127.0.0.1' });
    const second = packager;
    await pollUntil('the stream on the restarted packager', () => listed(second), 30_000);
    expect(publisher.status()[0].restarts).toBeGreaterThan(0);
  });
});

describe('generator readiness', () => {
  it('a stream whose ffmpeg is refused and restarts in a loop never counts as running for 3 s; an accepted one does', async () => {
    const packager = new Packager({ publishKey: KEY, logger: silentLogger() });
    const { rtmpPort } = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' });
    const spec = { pattern: 'smptehdbars', width: 320, height: 180, fps: 25, videoBitrateKbps: 300, audioBitrateKbps: 64 } as const;
    const make = (name: string, publishKey: string) =>
      new TestSignalPublisher({ streams: [{ name, ...spec }], rtmpBaseUrl: `rtmp://127.0.0.1:${rtmpPort}/live`, publishKey, logger: silentLogger(), backoff: { baseMs: 100, capMs: 300 } });
    const refused = make('refused', 'not-the-publish-key');
    const accepted = make('accepted', KEY);
    try {
      await Promise.all([refused.start(), accepted.start()]);
      await pollUntil('the accepted stream running for 3 s', () => accepted.allRunningFor(3000), 30_000);
      // By now the refused one has been refused and restarted several times, never up for long.
      await pollUntil('the refused stream to restart', () => refused.status()[0].restarts >= 2, 30_000);
      const deadline = Date.now() + 4000;
      while (Date.now() < deadline) {
        expect(refused.allRunningFor(3000)).toBe(false);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await Promise.all([refused.stop(), accepted.stop()]);
      await packager.stop();
    }
  });
});

describe('generator configuration', () => {
  afterAll(() => rmSync(catalogueDir, { recursive: true, force: true }));
  const catalogueDir = mkdtempSync(join(tmpdir(), 'livelab-catalogue-'));
  const badLadder = join(catalogueDir, 'bad-ladder.json');
  writeFileSync(badLadder, JSON.stringify([{ name: 'l', pattern: 'testsrc2', width: 1280, height: 720, fps: 30, ladder: [
    { width: 1280, height: 720, videoBitrateKbps: 2500 }, { width: 641, height: 360, videoBitrateKbps: 2600 },
  ] }]));

  it('a catalogue file with a bad ladder stops the start with one clear line per bad value', () => {
    const r = run({ PUBLISH_KEY: 'long-enough-key', STREAM_CATALOGUE_FILE: badLadder });
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.trim() && !/npm warn/.test(l))).toEqual([
      'generator: invalid STREAM_CATALOGUE_FILE: stream catalogue [0.ladder.1.width]: width must be even',
      "generator: invalid STREAM_CATALOGUE_FILE: stream catalogue [0.ladder.1.videoBitrateKbps]: rungs must be sorted by bitrate, highest first: 2600 is not below rung 0's 2500",
    ]);
  });

  const run = (env: Record<string, string>) =>
    spawnSync('npx', ['tsx', 'apps/generator/src/main.ts'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });

  it.each([
    [{ PUBLISH_KEY: 'long-enough-key', HTTP_PORT: 'eighty' }, /^generator: invalid HTTP_PORT="eighty": expected a port number 0-65535$/],
    [{}, /^generator: invalid PUBLISH_KEY=unset: /],
    [{ PUBLISH_KEY: 'long-enough-key', STREAMS: 'nope' }, /^generator: invalid STREAMS: unknown stream nope \(known: /],
    [{ PUBLISH_KEY: 'long-enough-key', PACKAGER_RTMP_URL: 'http://x' }, /^generator: invalid PACKAGER_RTMP_URL="http:\/\/x": expected an RTMP URL/],
  ])('%j stops the start with one clear line', (env, message) => {
    const r = run({ PUBLISH_KEY: '', ...env });
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.trim() && !/npm warn/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
