// Public API of @livelab/work-client-core: Volunteer client: work fetch, worker_threads compute, checkpoints, reporting, control API.
export {};
