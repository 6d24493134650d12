// Public API of @livelab/work-server-core: the BOINC-style project back end and its HTTP API.
export { openDatabase, SCHEMA_VERSION, type Db } from './database';
export { WorkProject, DEFAULT_PROJECT_OPTIONS, USER_ID, AuthError, type ProjectOptions, type ProjectSummary, type ProjectEvents } from './project';
export { createWorkServerApp, workMetrics, type WorkServerAppOptions } from './http-app';
export { startWorkServer, type WorkServerHandle, type StartWorkServerOptions } from './work-server';
