// The generator's work: one supervised ffmpeg per catalogue stream publishing to the packager over RTMP,
// started once the packager's RTMP port accepts connections, restarted with backoff + jitter when it exits.
import { Counter, Gauge, waitForTcpPort, type Logger, type Registry } from '@livelab/service-kit';
import type { StreamSpec } from '@livelab/media-testsignal';
import { SupervisedFfmpeg, warmUpFfmpeg } from '@livelab/media-ffmpeg';
import { testSignalJob } from './test-signal-args';

export interface TestSignalPublisherOptions {
  streams: StreamSpec[];
  /** rtmp://host:1935/live — each stream goes to <base>/<name>?key=<publishKey> */
  rtmpBaseUrl: string;
  publishKey: string;
  logger: Logger;
  registry?: Registry;
  backoff?: { baseMs: number; capMs: number };
}

export class TestSignalPublisher {
  private readonly jobs: SupervisedFfmpeg[] = [];
  private readonly abort = new AbortController();
  private started = false;

  constructor(private readonly opts: TestSignalPublisherOptions) {
    const r = opts.registry ? [opts.registry] : [];
    const up = new Gauge({ name: 'livelab_generator_stream_up', help: '1 while the stream’s ffmpeg runs', labelNames: ['stream'], registers: r });
    const restarts = new Counter({ name: 'livelab_generator_ffmpeg_restarts_total', help: 'ffmpeg restarts', labelNames: ['stream'], registers: r });
    const url = new URL(opts.rtmpBaseUrl);
    // After an exit (the packager went away), wait for its port before spawning: knock every ~100 ms (jittered),
    // then publish at once. Only a run that still failed with the port open grows the backoff.
    const portOpen = () => waitForTcpPort(url.hostname, Number(url.port || 1935), { signal: this.abort.signal, intervalMs: 100, jitter: 0.5 });
    for (const spec of opts.streams) {
      const target = `${opts.rtmpBaseUrl.replace(/\/$/, '')}/${spec.name}?key=${encodeURIComponent(opts.publishKey)}`;
      // A fresh start epoch on every (re)start: the strip and clock always say when a frame was made.
      const job = new SupervisedFfmpeg(spec.name, () => testSignalJob(spec, { startEpochMs: Date.now(), output: target }), {
        logger: opts.logger.child({ stream: spec.name, target: `${url.protocol}//${url.host}${url.pathname}/${spec.name}` }),
        backoff: opts.backoff ?? { baseMs: 200, capMs: 10_000 },
        // A run that lasted 3 s had its publish accepted (a refused one ends within a second): start the backoff
        // again, so quick packager restarts do not add up (it used to reset only after 30 s).
        stableAfterMs: 3000,
        beforeRestart: portOpen,
      });
      job.on('spawn', () => up.set({ stream: spec.name }, 1));
      job.on('exit', (e: { restartInMs?: number }) => {
        up.set({ stream: spec.name }, 0);
        if (e.restartInMs !== undefined) restarts.inc({ stream: spec.name });
      });
      up.set({ stream: spec.name }, 0);
      this.jobs.push(job);
    }
  }

  /**
   * Every stream's ffmpeg has been running for at least `forMs` without an exit: an ffmpeg that crashes
   * and restarts in a loop (a missing encoder, a refused publish) is never "running" long enough to count.
   */
  allRunningFor(forMs: number): boolean {
    return this.started && this.jobs.every((j) => j.runningForMs >= forMs);
  }

  /** Every stream's ffmpeg is running. */
  get allRunning(): boolean {
    return this.allRunningFor(0) && this.jobs.every((j) => j.running);
  }

  status(): Array<{ stream: string; running: boolean; restarts: number }> {
    return this.jobs.map((j) => ({ stream: j.name, running: j.running, restarts: j.restarts }));
  }

  /** Waits for the packager's RTMP port, then starts every stream. Resolves false if stopped while waiting. */
  async start(): Promise<boolean> {
    const url = new URL(this.opts.rtmpBaseUrl);
    const port = Number(url.port || 1935);
    const log = this.opts.logger;
    log.info({ host: url.hostname, port }, 'waiting for the packager’s RTMP port');
    const warming = warmUpFfmpeg();
    const open = await waitForTcpPort(url.hostname, port, {
      signal: this.abort.signal,
      onWait: (waitedMs) => log.info({ host: url.hostname, port, waitedMs }, 'still waiting for the packager'),
    });
    await warming; // meanwhile: the first publish then starts without fluent-ffmpeg's `ffmpeg -formats`
    if (!open) return false;
    this.started = true;
    for (const job of this.jobs) job.start();
    log.info({ streams: this.jobs.map((j) => j.name) }, 'publishing test streams');
    return true;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.jobs.map((j) => j.stop(2000)));
  }
}
