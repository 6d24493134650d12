// Public API of @livelab/work-server-core: Project server: work generator, transitioner, validator, assimilator over SQLite.
export {};
