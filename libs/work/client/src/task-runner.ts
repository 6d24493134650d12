import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { SieveCheckpoint, SieveResult } from '@livelab/work-sieve';
import type { SieveWorkerData, SieveWorkerMessage } from './sieve-worker';

/** How to start the worker thread: a JS file that calls runSieveWorker() when !isMainThread. */
export interface WorkerSpec {
  file: string;
}

/** Default: the TypeScript entry next to this file, loaded through tsx (tests and `tsx` runs). */
export function defaultWorkerSpec(): WorkerSpec {
  return { file: join(__dirname, 'sieve-worker-entry.ts') };
}

function startWorker(spec: WorkerSpec, data: SieveWorkerData): Worker {
  if (spec.file.endsWith('.ts')) {
    const tsx = require.resolve('tsx/cjs');
    const code = `require(${JSON.stringify(tsx)}); require(${JSON.stringify(spec.file)});`;
    return new Worker(code, { eval: true, workerData: data });
  }
  return new Worker(spec.file, { workerData: data });
}

export type RunOutcome = { kind: 'done'; result: SieveResult; checkpoint: SieveCheckpoint } | { kind: 'stopped'; checkpoint?: SieveCheckpoint } | { kind: 'error'; message: string };

/** One task computing in a worker thread. */
export class TaskRun {
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  readonly finished: Promise<RunOutcome>;
  lastCheckpoint?: SieveCheckpoint;
  totalChunks = 0;

  constructor(spec: WorkerSpec, lo: number, hi: number, checkpoint: SieveCheckpoint | undefined, onProgress: (cp: SieveCheckpoint, totalChunks: number) => void) {
    this.lastCheckpoint = checkpoint;
    this.worker = startWorker(spec, { lo, hi, checkpoint, stop: this.stopFlag.buffer as SharedArrayBuffer });
    this.finished = new Promise<RunOutcome>((resolve) => {
      let settled = false;
      const settle = (o: RunOutcome) => {
        if (!settled) {
          settled = true;
          resolve(o);
        }
      };
      this.worker.on('message', (m: SieveWorkerMessage) => {
        if (m.type === 'progress') {
          this.lastCheckpoint = m.checkpoint;
          this.totalChunks = m.totalChunks;
          onProgress(m.checkpoint, m.totalChunks);
        } else if (m.type === 'done') settle({ kind: 'done', result: m.result, checkpoint: m.checkpoint });
        else if (m.type === 'stopped') settle({ kind: 'stopped', checkpoint: m.checkpoint });
        else settle({ kind: 'error', message: m.message });
      });
      this.worker.on('error', (err) => settle({ kind: 'error', message: err.message }));
      this.worker.on('exit', (code) => settle(code === 0 ? { kind: 'stopped', checkpoint: this.lastCheckpoint } : { kind: 'error', message: `worker exited with code ${code}` }));
    });
  }

  /** Ask the worker to stop at the next segment boundary; terminate it if it has not within graceMs. */
  async stop(graceMs = 3000): Promise<RunOutcome> {
    Atomics.store(this.stopFlag, 0, 1);
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    const o = await this.finished;
    clearTimeout(timer);
    return o;
  }
}
