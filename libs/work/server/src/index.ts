// Public API of @livelab/work-server-core: the BOINC-style project back end and its HTTP API.
export type { SqlDatabase, SqlExecutor, SqlDialect, SqlValue } from './storage/sql-database';
export { openSqliteDatabase, SqliteDatabase } from './storage/sqlite-database';
export { SQLITE_MIGRATIONS } from './storage/sqlite-migrations';
export { openPostgresDatabase, PostgresDatabase } from './storage/postgres-database';
export { POSTGRES_MIGRATIONS } from './storage/postgres-migrations';
export { openWorkDatabase, describeDatabase, type WorkDatabaseConfig } from './storage/open-database';
export { ProtocolError } from './errors';
export { TokenBuckets } from './token-bucket';
export { DEFAULT_PROJECT_OPTIONS, type ProjectOptions, type ProjectEvents } from './project-options';
export { WorkProject, type ProjectSummary } from './project';
export { validate, countVotes, type ValidatorResult, type ValidatorOptions, type Verdict } from './validator';
export { createWorkServerApp, workMetrics, type WorkServerAppOptions } from './http-app';
export { startWorkServer, type WorkServerHandle, type StartWorkServerOptions } from './work-server';
export { DaemonLease, type DaemonLeaseOptions } from './daemon-lease';
export { Accounts, BOOTSTRAP_ACCOUNT_ID, type CreatedAccount } from './accounts';
export { accountCommand, type CliResult } from './account-cli';
