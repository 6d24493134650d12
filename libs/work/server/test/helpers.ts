import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthState, createMetricsRegistry, silentLogger } from '@livelab/service-kit';
import { sieveRange } from '@livelab/work-sieve';
import type { SchedulerRequest, Task } from '@livelab/work-protocol';
import { createWorkServerApp, openDatabase, workMetrics, WorkProject, type Db, type ProjectOptions } from '../src';

export const ACCOUNT_KEY = 'test-account-key-0123456789abcdef';

export function makeProject(opts: Partial<ProjectOptions> = {}, dir = mkdtempSync(join(tmpdir(), 'work-server-'))): {
  db: Db; project: WorkProject; app: ReturnType<typeof createWorkServerApp>; dir: string; dbPath: string; cleanup: () => void;
} {
  const dbPath = join(dir, 'work.db');
  const db: Db = openDatabase(dbPath);
  const project = new WorkProject(db, { accountKey: ACCOUNT_KEY, rangeLo: 0, rangeHi: 1e6, unitSpan: 250_000, cushion: 4, ...opts });
  const registry = createMetricsRegistry('work-server-test', false);
  workMetrics(registry);
  const app = createWorkServerApp({ project, health: new HealthState(), registry, logger: silentLogger(), bodyLimitBytes: 64 * 1024 });
  return { db, project, app, dir, dbPath, cleanup: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export const host = { name: 'h', cores: 1, memory_mb: 512, numbers_per_second: 0 };

export function request(hostId: number, over: Partial<SchedulerRequest> = {}): SchedulerRequest {
  return { authenticator: ACCOUNT_KEY, host_id: hostId, host: { ...host, numbers_per_second: 0 }, work_req_seconds: 0, results: [], in_progress: [], ...over };
}

export function compute(t: Task) {
  return { task_id: t.task_id, outcome: 'success' as const, output: sieveRange(t.input.lo, t.input.hi), elapsed_s: 1 };
}
