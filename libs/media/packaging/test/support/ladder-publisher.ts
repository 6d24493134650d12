// Test fixture: a small real ABR ladder published by one ffmpeg, as issue 17's generator does it (one encode per
// rung from one source, the same keyframe forcing — a keyframe every second, no scene cuts — one RTMP publish per
// rung: <stream>~<k> video only, <stream>~audio AAC only). Rungs can be made off-grid (keyframes half a second late:
// a differently encoded publish the packager must refuse) and the publisher clock can be shifted by whole seconds
// (`tsOffsetS`: a rung published by a second ffmpeg on the first one's clock, as a rung that comes back would be).
// Hand-written on child_process: FfmpegRun takes one output, this needs one per rung. x264 `ultrafast` (the
// generator uses veryfast): the test runs beside other suites' timing checks on a 2-core box.
import { spawn, type ChildProcess } from 'node:child_process';
import { rungPublishName, type Rung } from '@livelab/media-contract';

export interface FixtureRung {
  index: number;
  width: number;
  height: number;
  kbps: number;
  /** Keyframes at n + 0.5 s instead of every second. */
  offGrid?: boolean;
}

export interface LadderPublishOptions {
  rtmpBase: string; // rtmp://127.0.0.1:<port>/live
  key: string;
  stream: string;
  rungs: FixtureRung[];
  audio?: boolean;
  /** Added to every output timestamp (s, whole seconds keep the keyframes on the grid). */
  tsOffsetS?: number;
  fps?: number;
}

export const SMALL_LADDER: FixtureRung[] = [
  { index: 0, width: 320, height: 180, kbps: 300 },
  { index: 1, width: 256, height: 144, kbps: 200 },
  { index: 2, width: 160, height: 90, kbps: 100 },
];

export function ladderArgs(o: LadderPublishOptions): string[] {
  const fps = o.fps ?? 30;
  const url = (rung: Rung) => `${o.rtmpBase}/${rungPublishName(o.stream, rung)}?key=${o.key}`;
  const split = o.rungs.map((_, i) => `[v${i}]`).join('');
  const scales = o.rungs.map((r, i) => `[v${i}]scale=${r.width}:${r.height}[s${i}]`).join(';');
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=${fps}`];
  if (o.audio) args.push('-re', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000');
  args.push('-filter_complex', `[0:v]split=${o.rungs.length}${split};${scales}`);
  const offset = o.tsOffsetS ? ['-output_ts_offset', String(o.tsOffsetS)] : [];
  o.rungs.forEach((r, i) => {
    const keys = r.offGrid
      ? ['-g', String(fps * 10), '-keyint_min', String(fps * 10), '-force_key_frames', 'expr:gte(t,n_forced+0.5)']
      : ['-g', String(fps), '-keyint_min', String(fps)];
    args.push(
      '-map', `[s${i}]`, '-an',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', ...keys, '-sc_threshold', '0',
      '-b:v', `${r.kbps}k`, '-maxrate', `${r.kbps}k`, '-bufsize', `${r.kbps * 2}k`,
      ...offset, '-f', 'flv', url({ kind: 'video', index: r.index }),
    );
  });
  if (o.audio) args.push('-map', '1:a', '-vn', '-c:a', 'aac', '-b:a', '64k', '-ar', '48000', ...offset, '-f', 'flv', url({ kind: 'audio' }));
  return args;
}

/** A running ladder publisher; stop() ends it (SIGINT, then SIGKILL). */
export class LadderPublisher {
  readonly proc: ChildProcess;
  readonly startedAt = Date.now();
  stderr = '';

  constructor(o: LadderPublishOptions) {
    this.proc = spawn('ffmpeg', ladderArgs(o), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    if (process.env['LADDER_TEST_LOG']) this.proc.once('exit', (code, signal) => console.error(`ladder publisher exited ${code ?? signal}: ${this.stderr}`));
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGINT');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
