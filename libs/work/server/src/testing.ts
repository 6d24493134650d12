// @livelab/work-server-core/testing: helpers for tests and benchmarks, kept out of the server's bundle.
export { startTestPostgres, type TestPostgres } from './test-postgres';
