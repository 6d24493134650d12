// The generator's work: one supervised ffmpeg per catalogue stream publishing to the packager over RTMP,
// started once the packager's RTMP port accepts connections, restarted with backoff + jitter when it exits.
// A stream with a ladder is one ffmpeg too (test-signal-args.ts testSignalLadderJob), publishing one RTMP stream per
// rung, `<stream>~<k>` and `<stream>~audio`.
import { Backoff, Counter, Gauge, waitForTcpPort, type Logger, type Registry } from '@livelab/service-kit';
import { rungPublishName, type Rung } from '@livelab/media-contract';
import type { StreamSpec } from '@livelab/media-testsignal';
import { SupervisedFfmpeg, warmUpFfmpeg } from '@livelab/media-ffmpeg';
import { testSignalJob, testSignalLadderJob } from './test-signal-args';

export interface TestSignalPublisherOptions {
  streams: StreamSpec[];
  /** rtmp://host:1935/live — each stream goes to <base>/<name>?key=<publishKey>, a ladder's rungs to <base>/<name>~<k>?key=… */
  rtmpBaseUrl: string;
  publishKey: string;
  logger: Logger;
  registry?: Registry;
  backoff?: { baseMs: number; capMs: number };
  /**
   * A ladder that lost a rung's publish (the packager refused it or its connection dropped) goes on with the others;
   * it is restarted whole after this delay, doubling (to 2 min) while restarts keep coming back degraded, so the
   * missing rung comes back without a rung the packager keeps refusing restarting the good ones every few seconds.
   * Default 5000 ms.
   */
  degradedRestartMs?: number;
}

/** ffmpeg's tee muxer, when one output fails with onfail=ignore: "Slave muxer #2 failed: …, continuing with 3/4 slaves." */
const SLAVE_FAILED = /Slave muxer #(\d+) failed/;
/** A ladder run that stayed whole this long resets the degraded-restart delay. */
const WHOLE_FOR_MS = 30_000;

interface Job {
  spec: StreamSpec;
  ffmpeg: SupervisedFfmpeg;
  /** Rungs the current run lost ("0", "1", …, "audio"). */
  lostRungs: Set<string>;
}

export class TestSignalPublisher {
  private readonly jobs: Job[] = [];
  private readonly abort = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private started = false;

  constructor(private readonly opts: TestSignalPublisherOptions) {
    const r = opts.registry ? [opts.registry] : [];
    const up = new Gauge({ name: 'livelab_generator_stream_up', help: '1 while the stream’s ffmpeg runs', labelNames: ['stream'], registers: r });
    const restarts = new Counter({ name: 'livelab_generator_ffmpeg_restarts_total', help: 'ffmpeg restarts', labelNames: ['stream'], registers: r });
    const rungFailures = new Counter({
      name: 'livelab_generator_rung_failures_total',
      help: 'ladder rungs whose RTMP publish failed while the other rungs went on',
      labelNames: ['stream', 'rung'],
      registers: r,
    });
    const url = new URL(opts.rtmpBaseUrl);
    const base = opts.rtmpBaseUrl.replace(/\/$/, '');
    const key = encodeURIComponent(opts.publishKey);
    // After an exit (the packager went away), wait for its port before spawning: knock every ~100 ms (jittered),
    // then publish at once. Only a run that still failed with the port open grows the backoff.
    const portOpen = () => waitForTcpPort(url.hostname, Number(url.port || 1935), { signal: this.abort.signal, intervalMs: 100, jitter: 0.5 });
    for (const spec of opts.streams) {
      const ladder = spec.ladder;
      const publishName = (rung: Rung) => rungPublishName(spec.name, rung);
      // A fresh start epoch on every (re)start: the strip and clock always say when a frame was made.
      const jobSpec = ladder
        ? () => testSignalLadderJob(spec, { startEpochMs: Date.now(), target: (rung) => `${base}/${publishName(rung)}?key=${key}` })
        : () => testSignalJob(spec, { startEpochMs: Date.now(), output: `${base}/${spec.name}?key=${key}` });
      const logger = opts.logger.child({ stream: spec.name, target: `${url.protocol}//${url.host}${url.pathname}/${spec.name}${ladder ? `~{0-${ladder.length - 1},audio}` : ''}` });
      const ffmpeg = new SupervisedFfmpeg(spec.name, jobSpec, {
        logger,
        backoff: opts.backoff ?? { baseMs: 200, capMs: 10_000 },
        // A run that lasted 3 s had its publish accepted (a refused one ends within a second): start the backoff
        // again, so quick packager restarts do not add up (it used to reset only after 30 s).
        stableAfterMs: 3000,
        beforeRestart: portOpen,
      });
      const job: Job = { spec, ffmpeg, lostRungs: new Set() };
      ffmpeg.on('spawn', () => {
        job.lostRungs.clear();
        up.set({ stream: spec.name }, 1);
      });
      ffmpeg.on('exit', (e: { restartInMs?: number; runMs: number }) => {
        up.set({ stream: spec.name }, 0);
        if (e.restartInMs !== undefined) restarts.inc({ stream: spec.name });
      });
      if (ladder) {
        const degradedBackoff = new Backoff(opts.degradedRestartMs ?? 5000, 120_000);
        let wholeSince = 0;
        let run = 0; // which run a degraded-restart timer belongs to
        ffmpeg.on('spawn', () => {
          wholeSince = Date.now();
          run++;
        });
        ffmpeg.on('stderr', (line: string) => {
          const m = SLAVE_FAILED.exec(line);
          if (!m || this.abort.signal.aborted) return;
          const slave = Number(m[1]);
          const rung = slave < ladder.length ? String(slave) : 'audio';
          if (job.lostRungs.has(rung)) return;
          const first = job.lostRungs.size === 0;
          job.lostRungs.add(rung);
          rungFailures.inc({ stream: spec.name, rung });
          if (!first) return; // one restart per degraded run
          if (Date.now() - wholeSince >= WHOLE_FOR_MS) degradedBackoff.reset();
          const inMs = degradedBackoff.next();
          logger.warn({ rung: publishName(rung === 'audio' ? { kind: 'audio' } : { kind: 'video', index: slave }), restartInMs: inMs, reason: line }, 'a ladder rung’s publish failed; the other rungs go on, the ladder restarts whole');
          const degradedRun = run;
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            if (run === degradedRun && job.lostRungs.size > 0) void ffmpeg.restart();
          }, inMs);
          this.timers.add(timer);
        });
      }
      up.set({ stream: spec.name }, 0);
      this.jobs.push(job);
    }
  }

  /**
   * Every stream's ffmpeg has been running for at least `forMs` without an exit, and no ladder has lost a rung: an
   * ffmpeg that crashes and restarts in a loop (a missing encoder, a refused publish) is never "running" long enough to
   * count.
   */
  allRunningFor(forMs: number): boolean {
    return this.started && this.jobs.every((j) => j.ffmpeg.runningForMs >= forMs && j.lostRungs.size === 0);
  }

  /** Every stream's ffmpeg is running. */
  get allRunning(): boolean {
    return this.allRunningFor(0) && this.jobs.every((j) => j.ffmpeg.running);
  }

  status(): Array<{ stream: string; running: boolean; restarts: number; rungs?: number; lostRungs?: string[] }> {
    return this.jobs.map(({ spec, ffmpeg, lostRungs }) => ({
      stream: ffmpeg.name,
      running: ffmpeg.running,
      restarts: ffmpeg.restarts,
      ...(spec.ladder ? { rungs: spec.ladder.length, lostRungs: [...lostRungs] } : {}),
    }));
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
    for (const job of this.jobs) job.ffmpeg.start();
    log.info({ streams: this.jobs.map((j) => j.ffmpeg.name) }, 'publishing test streams');
    return true;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.jobs.map((j) => j.ffmpeg.stop(2000)));
  }
}
