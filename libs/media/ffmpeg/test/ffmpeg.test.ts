import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@livelab/service-kit';
import { checkFfmpeg, FfmpegRun, parseFrameRate, probe, runFfmpeg, SupervisedFfmpeg, type FfmpegExit } from '../src';

jest.setTimeout(60_000);

const lavfiVideo = (seconds: number) => ({
  source: `testsrc2=size=320x180:rate=25:duration=${seconds}`,
  options: ['-f', 'lavfi'],
});
const quiet = ['-hide_banner', '-nostats', '-loglevel', 'error'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'livelab-ffmpeg-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function waitFor<T>(emitter: NodeJS.EventEmitter, event: string, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (v: T) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

describe('runFfmpeg + probe (real ffmpeg)', () => {
  it('encodes a lavfi source to a file that ffprobe reads back', async () => {
    const out = join(dir, 'one.mp4');
    const exit = await runFfmpeg({
      globalOptions: quiet,
      inputs: [lavfiVideo(1)],
      output: out,
      // An option value with spaces must reach ffmpeg as one argument.
      outputOptions: ['-c:v', 'libx264', '-preset', 'ultrafast', '-metadata', 'title=live lab test', '-f', 'mp4'],
    });
    expect(exit.code).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(1000);
    const info = await probe(out);
    const video = info.streams.find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 320, height: 180 });
    expect(parseFrameRate(video?.avg_frame_rate)).toBe(25);
    expect((info.format as { tags?: { title?: string } }).tags?.title).toBe('live lab test');
  });

  it('reports a failing run with its stderr tail', async () => {
    const exit = await runFfmpeg({
      globalOptions: quiet,
      inputs: [{ source: join(dir, 'does-not-exist.flv') }],
      output: join(dir, 'x.mp4'),
      outputOptions: [],
    });
    expect(exit.code).not.toBe(0);
    expect(exit.stderrTail.join('\n')).toMatch(/No such file or directory/);
  });

  it('probe rejects with ffprobe’s reason', async () => {
    await expect(probe(join(dir, 'missing.mp4'))).rejects.toThrow(/No such file or directory/);
  });

  it('timeoutMs stops a long run', async () => {
    const started = Date.now();
    const exit = await runFfmpeg(
      { globalOptions: quiet, inputs: [{ ...lavfiVideo(600), options: ['-re', '-f', 'lavfi'] }], output: '-', outputOptions: ['-f', 'null'] },
      { timeoutMs: 1500 },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(exit.runMs).toBeGreaterThanOrEqual(1000);
  });
});

describe('FfmpegRun.stop: a clean end, SIGKILL only as the last resort', () => {
  it('ends a running job on q (exit 0, not killed)', async () => {
    const run = new FfmpegRun({ globalOptions: quiet, inputs: [{ ...lavfiVideo(600), options: ['-re', '-f', 'lavfi'] }], output: '-', outputOptions: ['-f', 'null'] });
    void run.start();
    await waitFor(run, 'spawn');
    await new Promise((r) => setTimeout(r, 1000));
    const exit = await run.stop(3000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit?.killed).toBeUndefined();
  });

  it('ends a job blocked on a live input gone quiet — what a remux sees when its publisher stalls — without SIGKILL', async () => {
    // A TCP "live" FLV source that sends one second of media and then nothing, keeping the connection open:
    // ffmpeg has started muxing and sits in a blocking read, where 'q' is never read and one SIGINT is not enough.
    const flv = join(dir, 'one.flv');
    await runFfmpeg({ globalOptions: quiet, inputs: [lavfiVideo(1)], output: flv, outputOptions: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-f', 'flv'] });
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
      s.write(readFileSync(flv));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const out = join(dir, 'quiet.nut');
    const run = new FfmpegRun({ globalOptions: quiet, inputs: [{ source: `tcp://127.0.0.1:${port}`, options: ['-analyzeduration', '500000', '-probesize', '65536', '-f', 'flv'] }], output: out, outputOptions: ['-c', 'copy', '-f', 'nut'] });
    void run.start();
    try {
      await new Promise((r) => setTimeout(r, 2000));
      expect(run.running).toBe(true);
      const started = Date.now();
      const exit = await run.stop(3000);
      // With one SIGINT (the old stop) this run was SIGKILLed at the grace: seen failing with killed: true.
      expect(exit?.killed).toBeUndefined();
      expect(exit?.signal).toBeNull();
      expect(typeof exit?.code).toBe('number'); // ffmpeg's own exit
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.close();
    }
  });

  it('SIGKILLs what ignores q and SIGINT, and says so', async () => {
    // A wedged ffmpeg: stopped with SIGSTOP, it handles neither q nor SIGINT; only SIGKILL ends it.
    const run = new FfmpegRun({ globalOptions: quiet, inputs: [{ ...lavfiVideo(600), options: ['-re', '-f', 'lavfi'] }], output: '-', outputOptions: ['-f', 'null'] });
    void run.start();
    await waitFor(run, 'spawn');
    process.kill(run.pid as number, 'SIGSTOP');
    const started = Date.now();
    const exit = await run.stop(1000);
    expect(exit).toMatchObject({ signal: 'SIGKILL', killed: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });
});

describe('checkFfmpeg', () => {
  it('finds the installed ffmpeg', async () => {
    const r = await checkFfmpeg();
    expect(r).toMatchObject({ ok: true });
  });
  it('says in one plain line how to install a missing ffmpeg', async () => {
    const r = await checkFfmpeg('/nonexistent/ffmpeg');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(/^ffmpeg not found .* apt-get install ffmpeg/);
      expect(r.message).not.toMatch(/\n/);
    }
  });
});

describe('SupervisedFfmpeg', () => {
  it('restarts an exiting ffmpeg with backoff and carries the reason', async () => {
    const job = new SupervisedFfmpeg(
      'flaky',
      { globalOptions: quiet, inputs: [{ source: join(dir, 'nope.flv') }], output: join(dir, 'y.mp4'), outputOptions: [] },
      { logger: silentLogger(), backoff: { baseMs: 50, capMs: 200 } },
    );
    const exits: Array<FfmpegExit & { restartInMs?: number }> = [];
    job.on('exit', (e) => exits.push(e));
    job.start();
    const deadline = Date.now() + 30_000;
    while (exits.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await job.stop();
    expect(exits.length).toBeGreaterThanOrEqual(3);
    expect(job.restarts).toBeGreaterThanOrEqual(2);
    expect(exits[0].stderrTail.join('\n')).toMatch(/No such file/);
    expect(exits[0].restartInMs).toBeGreaterThanOrEqual(25);
    expect(exits[0].restartInMs).toBeLessThanOrEqual(200);
  });

  it('stop() ends a running ffmpeg promptly and nothing restarts', async () => {
    const job = new SupervisedFfmpeg(
      'endless',
      { globalOptions: quiet, inputs: [{ ...lavfiVideo(600), options: ['-re', '-f', 'lavfi'] }], output: '-', outputOptions: ['-f', 'null'] },
      { logger: silentLogger(), backoff: { baseMs: 50, capMs: 100 } },
    );
    job.start();
    await waitFor(job, 'spawn');
    const pid = job.pid;
    expect(pid).toBeGreaterThan(0);
    let spawns = 0;
    job.on('spawn', () => spawns++);
    const started = Date.now();
    await job.stop(3000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(job.running).toBe(false);
    expect(() => process.kill(pid as number, 0)).toThrow(); // the child is gone
    await new Promise((r) => setTimeout(r, 300));
    expect(spawns).toBe(0);
  });

  it('builds a fresh spec on each restart when given a function', async () => {
    let calls = 0;
    const job = new SupervisedFfmpeg(
      'fresh',
      () => {
        calls++;
        return { globalOptions: quiet, inputs: [lavfiVideo(0.2)], output: '-', outputOptions: ['-f', 'null'] };
      },
      { logger: silentLogger(), backoff: { baseMs: 20, capMs: 40 } },
    );
    job.start();
    const deadline = Date.now() + 30_000;
    while (calls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await job.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});

describe('SupervisedFfmpeg secrets', () => {
  it('never passes a publish key from ffmpeg’s stderr to logs or exit events', async () => {
    const lines: string[] = [];
    const { default: pino } = await import('pino');
    const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(l) });
    const job = new SupervisedFfmpeg(
      'secret',
      { globalOptions: quiet, inputs: [{ source: 'rtmp://127.0.0.1:1/live/x?key=TOPSECRET', options: ['-rw_timeout', '500000'] }], output: '-', outputOptions: ['-f', 'null'] },
      { logger, restart: false },
    );
    const exit = await new Promise<FfmpegExit>((resolve) => {
      job.on('exit', resolve);
      job.start();
    });
    await job.stop();
    expect(exit.stderrTail.join('\n')).toMatch(/key=\*\*\*/);
    expect(JSON.stringify(exit)).not.toContain('TOPSECRET');
    expect(lines.join('')).not.toContain('TOPSECRET');
    expect(lines.join('')).toContain('ffmpeg exited');
  });
});
