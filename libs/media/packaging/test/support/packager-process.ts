// Runs test/support/packager-main.ts as a child process and watches it: alive or not, RSS, child processes,
// log lines, metrics, and whether a stream's playlist keeps advancing.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { mediaPath, mediaPlaylistUri } from '@livelab/media-contract';
import { pollUntil } from '@livelab/service-kit';
import { FfmpegRun } from '@livelab/media-ffmpeg';
import { testSignalJob } from '@livelab/media-generator';
import { newestListedSegment } from '../../src/testing';

export const TEST_KEY = 'hostile-test-key';
const root = resolve(__dirname, '../../../../..');

export class PackagerProcess {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>> = [];
  readonly stderr: string[] = [];
  rtmpPort = 0;
  httpPort = 0;
  /** The probe listener's port (env PACKAGER_TEST_PROBE=1), else 0. */
  probePort = 0;
  exit?: { code: number | null; signal: string | null };
  private readonly publishers: FfmpegRun[] = [];

  private constructor(options: Record<string, unknown>, env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', resolve(__dirname, 'packager-main.ts')], {
      cwd: root,
      env: { ...process.env, ...env, PACKAGER_TEST_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.once('exit', (code, signal) => (this.exit = { code, signal }));
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        this.logs.push(JSON.parse(line));
      } catch {
        this.stderr.push(line);
      }
    });
    createInterface({ input: this.child.stderr as NodeJS.ReadableStream }).on('line', (line) => this.stderr.push(line));
  }

  static async start(options: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<PackagerProcess> {
    const p = new PackagerProcess(options, env);
    const ready = await pollUntil('the packager to listen', () => p.exit ? Promise.reject(new Error(`packager exited: ${p.stderr.join('\n')}`)) : p.logs.find((l) => l['msg'] === 'packager listening'), 60_000);
    p.rtmpPort = Number(ready['rtmpPort']);
    p.httpPort = Number(ready['httpPort']);
    p.probePort = Number(ready['probePort'] ?? 0);
    return p;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Resident memory of the packager process (not its children), bytes. */
  rssBytes(): number {
    const pid = this.child.pid as number;
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  }

  /** Commands of the packager's child processes. */
  children(): string[] {
    return childPids(this.child.pid as number).map(commandOf);
  }

  /** After a full garbage collection in the packager: what its JS heap and buffers retain, and its RSS. */
  async retained(): Promise<{ bytes: number; rss: number }> {
    const seen = this.logs.length;
    this.child.kill('SIGUSR2');
    const m = await pollUntil('the memory report', () => this.logs.slice(seen).find((l) => l['msg'] === 'memory'), 5000, 20);
    return { bytes: Number(m['heapUsed']) + Number(m['external']), rss: Number(m['rss']) };
  }

  async get(path: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}${path}`);
    return { status: res.status, text: await res.text() };
  }

  async metric(name: string, labels: string): Promise<number> {
    const { text } = await this.get('/metrics');
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  /** Makes the packager's main event loop busy for `ms` (a test hook in packager-main.ts); resolves once it is free. */
  blockMainLoop(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onMessage = (m: { blocked?: number }) => {
        if (m.blocked !== ms) return;
        this.child.off('message', onMessage);
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.send({ block: ms });
    });
  }

  publish(name: string, key = TEST_KEY): FfmpegRun {
    const spec = { name, pattern: 'smptehdbars' as const, width: 320, height: 180, fps: 30, videoBitrateKbps: 300, audioBitrateKbps: 64 };
    const run = new FfmpegRun(testSignalJob(spec, { startEpochMs: Date.now(), output: `rtmp://127.0.0.1:${this.rtmpPort}/live/${name}?key=${key}` }));
    void run.start();
    this.publishers.push(run);
    return run;
  }

  /** The newest complete segment number of a stream's first track, or undefined while it is not live. */
  async lastSegment(name: string): Promise<number | undefined> {
    const r = await this.get(mediaPath(name, mediaPlaylistUri(0, 'standard'))).catch(() => undefined);
    if (!r || r.status !== 200) return undefined;
    return newestListedSegment(r.text);
  }

  async waitLive(name: string): Promise<void> {
    await pollUntil(`${name} to be live`, async () => (await this.lastSegment(name)) !== undefined, 60_000, 200);
  }

  /** Watches a stream's playlist every 100 ms; stop() gives the longest time it went without a new segment. */
  watch(name: string): { stop(): Promise<{ maxGapMs: number; segments: number; lastSeen?: number }> } {
    let running = true;
    let maxGapMs = 0;
    let last: number | undefined;
    let lastAt = Date.now();
    let segments = 0;
    const loop = (async () => {
      while (running) {
        const n = await this.lastSegment(name);
        const now = Date.now();
        if (n !== undefined && n !== last) {
          if (last !== undefined) segments += n - last;
          last = n;
          lastAt = now;
        }
        maxGapMs = Math.max(maxGapMs, now - lastAt);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return { maxGapMs, segments, lastSeen: last };
      },
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.publishers.map((p) => p.stop(1000)));
    if (this.alive) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
      if (this.alive) this.child.kill('SIGKILL');
    }
  }
}

function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
