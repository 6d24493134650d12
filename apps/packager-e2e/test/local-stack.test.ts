// `npm start` (tools/stack/start.mjs): the README's command 1 — builds, starts the packager, then the generator,
// prints the page URL, serves a live stream, and stops both on Ctrl-C. Without ffmpeg: one plain line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STREAMS_API_PATH, type StreamList } from '@livelab/media-contract';
import { pollUntil } from '@livelab/service-kit';

jest.setTimeout(180_000);
const root = resolve(__dirname, '../../..');
const START = join(root, 'tools/stack/start.mjs');

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

describe('npm start', () => {
  it('runs the stack, prints the page URL, serves a stream and stops cleanly on Ctrl-C', async () => {
    const [http, rtmp, gen] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [START], {
      cwd: root,
      env: { ...process.env, HTTP_PORT: String(http), RTMP_PORT: String(rtmp), GENERATOR_HTTP_PORT: String(gen), STREAMS: 'low-360p30' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as a terminal's foreground job
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await pollUntil('the page URL', () => out.includes(`open http://localhost:${http}`), 120_000);
      await pollUntil(
        'the stream to be live',
        async () => {
          const res = await fetch(`http://127.0.0.1:${http}${STREAMS_API_PATH}`).catch(() => undefined);
          return !!res && ((await res.json()) as StreamList).streams.some((s) => s.name === 'low-360p30');
        },
        60_000,
      );
      const page = await (await fetch(`http://127.0.0.1:${http}/`)).text();
      expect(page).toContain('<title>livelab');
    } finally {
      // Ctrl-C: the terminal sends SIGINT to the whole foreground process group, not to one process.
      process.kill(-(child.pid as number), 'SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/generator .*shutdown complete/);
    expect(out).toMatch(/packager .*shutdown complete/);
    // Each app drained on one signal (the apps got the terminal's SIGINT and then start.mjs's SIGTERM before).
    expect(out).not.toMatch(/second signal/);
    // Nothing of the stack is left: its ports are free again.
    const probe = await fetch(`http://127.0.0.1:${http}/healthz`).then(() => 'open', () => 'closed');
    expect(probe).toBe('closed');
  });

  it('says in one plain line how to install ffmpeg when it is missing', () => {
    const bin = mkdtempSync(join(tmpdir(), 'no-ffmpeg-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const r = spawnSync(process.execPath, [START], { cwd: root, env: { ...process.env, PATH: bin }, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('livelab: ffmpeg is not installed — install it first: sudo apt-get install ffmpeg fonts-dejavu-core\n');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
