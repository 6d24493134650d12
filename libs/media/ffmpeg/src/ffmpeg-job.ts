// The one module that drives ffmpeg through fluent-ffmpeg (archived upstream: keep it confined here).
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import ffmpeg from 'fluent-ffmpeg';

/** What to run: inputs with their options, one output with its options, and global options. */
export interface FfmpegJobSpec {
  inputs: Array<{ source: string; options?: string[] }>;
  output: string;
  outputOptions: string[];
  globalOptions?: string[];
}

export interface FfmpegExit {
  code: number | null;
  signal: string | null;
  /** stop() had to SIGKILL it: q and SIGINT did not end it within the grace. */
  killed?: boolean;
  /** The last lines ffmpeg wrote to stderr: the reason it stopped, usually. */
  stderrTail: string[];
  runMs: number;
}

const STDERR_TAIL_LINES = 20;

/**
 * One ffmpeg child process. Events: 'spawn' (commandLine), 'stderr' (line), 'exit' (FfmpegExit). Exactly one
 * 'exit' per start(), also when ffmpeg could not be spawned (code null).
 *
 * No 'progress' events, on purpose: a 'progress' listener makes fluent-ffmpeg run `ffprobe` on the first input to
 * learn its duration, and on a live RTMP input that probe child waits for media for ever (issue 11).
 */
export class FfmpegRun extends EventEmitter {
  private proc?: ChildProcess;
  private readonly tail: string[] = [];
  private startedAt = 0;
  private exited = false;
  private killed = false;
  private exitPromise?: Promise<FfmpegExit>;

  constructor(
    private readonly spec: FfmpegJobSpec,
    private readonly ffmpegPath?: string,
  ) {
    super();
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== undefined && !this.exited;
  }

  /** Starts ffmpeg; resolves with its exit (never rejects). */
  start(): Promise<FfmpegExit> {
    if (this.exitPromise) return this.exitPromise;
    this.startedAt = Date.now();
    this.exitPromise = new Promise<FfmpegExit>((resolve) => {
      const finish = (code: number | null, signal: string | null) => {
        if (this.exited) return;
        this.exited = true;
        const exit: FfmpegExit = { code, signal, stderrTail: [...this.tail], runMs: Date.now() - this.startedAt, ...(this.killed ? { killed: true } : {}) };
        this.emit('exit', exit);
        resolve(exit);
      };
      const cmd = ffmpeg();
      if (this.ffmpegPath) cmd.setFfmpegPath(this.ffmpegPath);
      this.spec.inputs.forEach((input, i) => {
        cmd.input(input.source);
        // Spread (several arguments) so fluent-ffmpeg never splits an option value on its spaces.
        const options = [...(i === 0 ? (this.spec.globalOptions ?? []) : []), ...(input.options ?? [])];
        if (options.length) cmd.inputOptions(...options);
      });
      cmd.output(this.spec.output);
      if (this.spec.outputOptions.length) cmd.outputOptions(...this.spec.outputOptions);
      cmd.on('start', (commandLine: string) => {
        this.proc = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
        this.proc?.once('exit', (code, signal) => {
          // Give fluent-ffmpeg a moment to flush the last stderr lines before we report.
          setImmediate(() => finish(code, signal));
        });
        this.emit('spawn', commandLine);
      });
      cmd.on('stderr', (line: string) => {
        this.tail.push(line);
        if (this.tail.length > STDERR_TAIL_LINES) this.tail.shift();
        this.emit('stderr', line);
      });
      cmd.on('error', (err: Error) => {
        // Spawn failures (ENOENT) never reach 'start'; exits are handled by the process 'exit' listener.
        if (!this.proc) {
          this.tail.push(err.message);
          finish(null, null);
        }
      });
      cmd.on('end', () => undefined);
      cmd.run();
    });
    return this.exitPromise;
  }

  /**
   * Asks ffmpeg to finish so muxers write their trailers: 'q' on stdin (read between packets), then SIGINT twice.
   * ffmpeg 5.1 aborts a blocking input read (an RTMP input gone quiet) only from the second signal on — its
   * interrupt callback is `received_nb_signals > transcode_init_done` — so one SIGINT never ended a remux whose
   * publisher had left. SIGKILL after `graceMs` is the last resort; the exit then says `killed: true`.
   */
  async stop(graceMs = 3000): Promise<FfmpegExit | undefined> {
    if (!this.exitPromise) return undefined;
    const proc = this.proc;
    if (proc && !this.exited) {
      try {
        proc.stdin?.write('q');
      } catch {
        /* stdin already closed */
      }
      const step = Math.min(300, graceMs / 4);
      const timers = [
        setTimeout(() => proc.kill('SIGINT'), step),
        setTimeout(() => proc.kill('SIGINT'), 2 * step),
        setTimeout(() => {
          this.killed = true;
          proc.kill('SIGKILL');
        }, graceMs),
      ];
      const exit = await this.exitPromise;
      timers.forEach(clearTimeout);
      return exit;
    }
    return this.exitPromise;
  }
}

let warm: Promise<void> | undefined;

/**
 * fluent-ffmpeg runs `ffmpeg -formats` before the first job of a process (then caches it): that delayed the first
 * remux or publish after every (re)start by 0.1-1 s on a loaded box. Call once at start-up to pay it in advance.
 * Never rejects (a missing ffmpeg is reported by checkFfmpeg and by the job itself).
 */
export function warmUpFfmpeg(): Promise<void> {
  warm ??= new Promise<void>((resolve) => ffmpeg.getAvailableFormats(() => resolve()));
  return warm;
}

/** Runs a job to completion (or until `timeoutMs`, then stops it). */
export async function runFfmpeg(
  spec: FfmpegJobSpec,
  opts: { timeoutMs?: number; ffmpegPath?: string } = {},
): Promise<FfmpegExit> {
  const run = new FfmpegRun(spec, opts.ffmpegPath);
  const done = run.start();
  if (!opts.timeoutMs) return done;
  const timer = setTimeout(() => void run.stop(2000), opts.timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}
