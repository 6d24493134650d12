// Public API of @livelab/work-server-core: the BOINC-style project back end and its HTTP API.
export { openDatabase, migrationText, SCHEMA_VERSION, type Db } from './database';
export { ProtocolError } from './errors';
export { TokenBuckets } from './token-bucket';
export { WorkProject, DEFAULT_PROJECT_OPTIONS, type ProjectOptions, type ProjectSummary, type ProjectEvents } from './project';
export { createWorkServerApp, workMetrics, type WorkServerAppOptions } from './http-app';
export { startWorkServer, type WorkServerHandle, type StartWorkServerOptions } from './work-server';
export { Accounts, BOOTSTRAP_ACCOUNT_ID, type CreatedAccount } from './accounts';
export { accountCommand, type CliResult } from './account-cli';
