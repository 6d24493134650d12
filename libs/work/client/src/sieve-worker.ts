import { parentPort, workerData } from 'node:worker_threads';
import { SegmentedSieve, initialCheckpoint, type SieveCheckpoint, type SieveResult } from '@livelab/work-sieve';

export interface SieveWorkerData {
  lo: number;
  hi: number;
  checkpoint?: SieveCheckpoint;
  /** Int32Array over a SharedArrayBuffer: set [0] to 1 to stop at the next segment boundary */
  stop: SharedArrayBuffer;
}

export type SieveWorkerMessage =
  | { type: 'progress'; checkpoint: SieveCheckpoint; totalChunks: number }
  | { type: 'done'; result: SieveResult; checkpoint: SieveCheckpoint }
  | { type: 'stopped'; checkpoint: SieveCheckpoint }
  | { type: 'error'; message: string };

/** Body of the worker thread: sieve segment by segment, post a checkpoint after each, stop when asked. */
export function runSieveWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('runSieveWorker must run in a worker thread');
  const data = workerData as SieveWorkerData;
  try {
    const stop = new Int32Array(data.stop);
    const sieve = new SegmentedSieve(data.checkpoint ?? initialCheckpoint(data.lo, data.hi));
    while (!sieve.done) {
      if (Atomics.load(stop, 0) === 1) {
        port.postMessage({ type: 'stopped', checkpoint: sieve.checkpoint } satisfies SieveWorkerMessage);
        return;
      }
      const checkpoint = sieve.step();
      port.postMessage({ type: 'progress', checkpoint, totalChunks: sieve.totalChunks } satisfies SieveWorkerMessage);
    }
    port.postMessage({ type: 'done', result: sieve.result(), checkpoint: sieve.checkpoint } satisfies SieveWorkerMessage);
  } catch (err) {
    port.postMessage({ type: 'error', message: (err as Error).message } satisfies SieveWorkerMessage);
  }
}
