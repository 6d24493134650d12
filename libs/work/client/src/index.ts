// Public API of @livelab/work-client-core: the volunteer client (work fetch, worker-thread compute with
// checkpoints, reporting) and its local control API.
export { WorkClient, reactionToError, type WorkClientOptions, type ClientStatus, type TaskStatus } from './work-client';
export { createControlApp } from './control-api';
export { parseRunMode, parseWindow, mayRun, type RunMode, type RunModeName } from './run-mode';
export { StateStore, type ClientState, type TaskState } from './state-store';
export { runSieveWorker } from './sieve-worker';
export { defaultWorkerSpec, type WorkerSpec } from './task-runner';
