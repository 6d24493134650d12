import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthState, createMetricsRegistry, silentLogger } from '@livelab/service-kit';
import { sieveRange } from '@livelab/work-sieve';
import type { SchedulerRequest, Task } from '@livelab/work-protocol';
import { createWorkServerApp, openWorkDatabase, workMetrics, WorkProject, type ProjectOptions, type SqlDatabase, type WorkDatabaseConfig } from '../src';
import { startTestPostgres, type TestPostgres } from '../src/testing';

export const ACCOUNT_KEY = 'test-account-key-0123456789abcdef';

export const BACKENDS = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

/**
 * A back end for the tests of one describe block: SQLite files in temp dirs, or databases of a real PostgreSQL
 * started before the block and stopped after it.
 */
export function useBackend(kind: Backend): { database(dir: string): Promise<WorkDatabaseConfig> } {
  let server: TestPostgres | undefined;
  if (kind === 'postgres') {
    beforeAll(async () => {
      server = await startTestPostgres();
    }, 60_000);
    afterAll(() => server?.stop(), 30_000);
  }
  return {
    async database(dir) {
      if (kind === 'sqlite') return { sqlitePath: join(dir, 'work.db') };
      if (!server) throw new Error('the test PostgreSQL is not running');
      return { postgresUrl: await server.createDatabase() };
    },
  };
}

export interface TestProject {
  db: SqlDatabase; project: WorkProject; app: ReturnType<typeof createWorkServerApp>; registry: ReturnType<typeof createMetricsRegistry>; dir: string; dbPath: string; cleanup: () => Promise<void>;
}

export async function makeProject(
  opts: Partial<ProjectOptions> = {},
  dir = mkdtempSync(join(tmpdir(), 'work-server-')),
  backend?: { database(dir: string): Promise<WorkDatabaseConfig> },
): Promise<TestProject> {
  const dbPath = join(dir, 'work.db');
  const db = await openWorkDatabase(backend ? await backend.database(dir) : { sqlitePath: dbPath });
  const registry = createMetricsRegistry('work-server-test', false);
  const m = workMetrics(registry);
  const project = await WorkProject.open(db, { accountKey: ACCOUNT_KEY, rangeLo: 0, rangeHi: 1e6, unitSpan: 250_000, cushion: 4, ...opts }, {
    onReport: (outcome, disposition) => m.reports.inc({ outcome, disposition }),
  });
  const app = createWorkServerApp({ project, health: new HealthState(), registry, logger: silentLogger(), bodyLimitBytes: 64 * 1024 });
  return { db, project, app, registry, dir, dbPath, cleanup: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export const host = { name: 'h', cores: 1, memory_mb: 512, numbers_per_second: 0 };

/** What a client holds after attaching. */
export interface HostCreds { host_id: number; host_authenticator: string }

export function request(h: HostCreds, over: Partial<SchedulerRequest> = {}, authenticator = ACCOUNT_KEY): SchedulerRequest {
  return {
    authenticator, host_id: h.host_id, host_authenticator: h.host_authenticator, host: { ...host, numbers_per_second: 0 },
    work_req_seconds: 0, results: [], in_progress: [], ...over,
  };
}

export function compute(t: Task) {
  return { task_id: t.task_id, outcome: 'success' as const, output: sieveRange(t.input.lo, t.input.hi), elapsed_s: 1 };
}

/** A wrong result for `t` (as a cheating or broken host would send). */
export function corrupt(t: Task) {
  const r = compute(t);
  return { ...r, output: { ...r.output, count: r.output.count + 1 } };
}

/** Every row of every table but the daemon lease (renewed on a timer): two equal dumps mean a request changed nothing. */
export async function dump(db: SqlDatabase): Promise<string> {
  const tables = await db.all<{ name: string }>(
    db.dialect === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
      : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
  );
  const rows = [];
  for (const { name } of tables) if (name !== 'lease') rows.push([name, await db.all(`SELECT * FROM "${name}" ORDER BY 1`)]);
  return JSON.stringify(rows);
}

/** The one row `sql` selects; fails the test when there is none. */
export async function theRow<T>(db: SqlDatabase, sql: string, params: Array<string | number> = []): Promise<T> {
  const row = await db.get<T>(sql, params);
  if (row === undefined) throw new Error(`no row for ${sql} ${JSON.stringify(params)}`);
  return row;
}
