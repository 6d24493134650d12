import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthState, createMetricsRegistry, silentLogger } from '@livelab/service-kit';
import { sieveRange } from '@livelab/work-sieve';
import type { SchedulerRequest, Task } from '@livelab/work-protocol';
import { createWorkServerApp, openDatabase, workMetrics, WorkProject, type Db, type ProjectOptions } from '../src';

export const ACCOUNT_KEY = 'test-account-key-0123456789abcdef';

export function makeProject(opts: Partial<ProjectOptions> = {}, dir = mkdtempSync(join(tmpdir(), 'work-server-'))): {
  db: Db; project: WorkProject; app: ReturnType<typeof createWorkServerApp>; registry: ReturnType<typeof createMetricsRegistry>; dir: string; dbPath: string; cleanup: () => void;
} {
  const dbPath = join(dir, 'work.db');
  const db: Db = openDatabase(dbPath);
  const registry = createMetricsRegistry('work-server-test', false);
  const m = workMetrics(registry);
  const project = new WorkProject(db, { accountKey: ACCOUNT_KEY, rangeLo: 0, rangeHi: 1e6, unitSpan: 250_000, cushion: 4, ...opts }, {
    onReport: (outcome, disposition) => m.reports.inc({ outcome, disposition }),
  });
  const app = createWorkServerApp({ project, health: new HealthState(), registry, logger: silentLogger(), bodyLimitBytes: 64 * 1024 });
  return { db, project, app, registry, dir, dbPath, cleanup: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
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

/** Every row of every table: two equal dumps mean a request changed nothing. */
export function dump(db: Db): string {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>;
  return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
}
