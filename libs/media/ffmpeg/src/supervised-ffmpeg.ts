import { EventEmitter } from 'node:events';
import { Backoff, type Logger } from '@livelab/service-kit';
import { FfmpegRun, type FfmpegExit, type FfmpegJobSpec } from './ffmpeg-job';

/** Publish keys and passwords in URLs never reach the logs. */
export function redactSecrets(text: string): string {
  return text.replace(/([?&](?:key|token|secret|password|pass)=)[^&\s'"]+/gi, '$1***').replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1***@');
}

export interface SupervisedFfmpegOptions {
  logger: Logger;
  /** Restart after an exit (default true). With false the job runs once and the owner decides what an exit means. */
  restart?: boolean;
  backoff?: { baseMs: number; capMs: number };
  /** A run that lasted this long counts as healthy: the backoff starts again from its base. */
  stableAfterMs?: number;
  ffmpegPath?: string;
  random?: () => number;
  /**
   * Awaited before each restart, after the backoff delay (e.g. until the RTMP server accepts TCP again): an ffmpeg
   * spawned against a refusing port only fails and grows the backoff. Resolving false skips the spawn (stopping).
   */
  beforeRestart?: () => Promise<boolean>;
}

/**
 * A supervised ffmpeg child: restarts with exponential backoff and jitter (default 0.5 s doubling to 10 s),
 * logs every spawn, exit and restart as one JSON line with the stderr tail that explains it.
 * Events: 'spawn' (commandLine), 'stderr' (line), 'exit' (FfmpegExit & { restartInMs? }); an exit with
 * `killed: true` was a SIGKILL after the stop grace (counted in `kills`).
 */
export class SupervisedFfmpeg extends EventEmitter {
  private current?: FfmpegRun;
  private currentSpawnedAt?: number;
  private restartTimer?: NodeJS.Timeout;
  private stopped = true;
  private restartCount = 0;
  private killCount = 0;
  private readonly backoff: Backoff;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    private readonly spec: FfmpegJobSpec | (() => FfmpegJobSpec),
    private readonly opts: SupervisedFfmpegOptions,
  ) {
    super();
    const b = opts.backoff ?? { baseMs: 500, capMs: 10_000 };
    this.backoff = new Backoff(b.baseMs, b.capMs, opts.random);
    this.log = opts.logger.child({ job: name });
  }

  get restarts(): number {
    return this.restartCount;
  }

  /** Stops that needed SIGKILL. */
  get kills(): number {
    return this.killCount;
  }

  get running(): boolean {
    return this.current?.running ?? false;
  }

  /** How long the current child has been running (0 when none runs). */
  get runningForMs(): number {
    return this.running && this.currentSpawnedAt !== undefined ? Date.now() - this.currentSpawnedAt : 0;
  }

  get pid(): number | undefined {
    return this.current?.running ? this.current.pid : undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.spawnOnce();
  }

  /** Stops for good: no restart follows. Resolves once the child has exited. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.current?.stop(graceMs);
  }

  /**
   * Ends the running child (q, SIGINT, …) and lets the supervision start a fresh one after the usual backoff: for an
   * owner that sees from ffmpeg's log that a run is no longer whole (a ladder that lost one of its outputs).
   */
  async restart(graceMs = 3000): Promise<void> {
    if (this.stopped) return;
    await this.current?.stop(graceMs);
  }

  private spawnOnce(): void {
    const spec = typeof this.spec === 'function' ? this.spec() : this.spec;
    const run = new FfmpegRun(spec, this.opts.ffmpegPath);
    this.current = run;
    this.currentSpawnedAt = undefined;
    run.on('spawn', (commandLine: string) => {
      this.currentSpawnedAt = Date.now();
      this.log.info({ pid: run.pid }, 'ffmpeg started');
      this.log.debug({ pid: run.pid, commandLine: redactSecrets(commandLine) }, 'ffmpeg command line');
      this.emit('spawn', commandLine);
    });
    run.on('stderr', (line: string) => this.emit('stderr', line));
    void run.start().then((exit) => this.onExit(run, exit));
  }

  private onExit(run: FfmpegRun, exit: FfmpegExit): void {
    if (run !== this.current) return;
    const stable = exit.runMs >= (this.opts.stableAfterMs ?? 30_000);
    if (stable) this.backoff.reset();
    const willRestart = !this.stopped && this.opts.restart !== false;
    const restartInMs = willRestart ? this.backoff.next() : undefined;
    const reason = redactSecrets(exit.stderrTail.slice(-3).join(' | '));
    const fields = { code: exit.code, signal: exit.signal, runMs: exit.runMs, restartInMs, reason };
    if (exit.killed) {
      this.killCount++;
      this.log.warn(fields, 'ffmpeg did not stop on q or SIGINT within the grace: killed');
    } else if (this.stopped) this.log.info(fields, 'ffmpeg stopped');
    else if (willRestart) this.log.warn(fields, 'ffmpeg exited, restarting with backoff');
    else this.log.info(fields, 'ffmpeg exited');
    this.emit('exit', { ...exit, stderrTail: exit.stderrTail.map(redactSecrets), restartInMs });
    if (willRestart && restartInMs !== undefined) {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.stopped) return;
        void (this.opts.beforeRestart?.() ?? Promise.resolve(true)).then((go) => {
          if (!go || this.stopped) return;
          this.restartCount++;
          this.spawnOnce();
        });
      }, restartInMs);
    }
  }
}
