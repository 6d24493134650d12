import { createServer } from 'node:http';
import { HealthState, closeServer, createMetricsRegistry, listen, type Logger } from '@livelab/service-kit';
import { describeDatabase, openWorkDatabase, type WorkDatabaseConfig } from './storage/open-database';
import { createWorkServerApp, workMetrics } from './http-app';
import { WorkProject } from './project';
import type { ProjectOptions } from './project-options';

export interface StartWorkServerOptions {
  database: WorkDatabaseConfig;
  port: number;
  host?: string;
  logger: Logger;
  project: Partial<ProjectOptions> & { accountKey: string };
  /** how often deadlines are checked (transitioner pass) */
  backendIntervalMs?: number;
  bodyLimitBytes?: number;
}

export interface WorkServerHandle {
  port: number;
  project: WorkProject;
  health: HealthState;
  close(): Promise<void>;
}

/** Open the database, start the back-end timer and the HTTP server. */
export async function startWorkServer(o: StartWorkServerOptions): Promise<WorkServerHandle> {
  const db = await openWorkDatabase(o.database);
  const registry = createMetricsRegistry('work-server');
  const m = workMetrics(registry);
  const project = await WorkProject.open(db, o.project, {
    onReport: (outcome, disposition) => m.reports.inc({ outcome, disposition }),
    onValidated: (state, n) => m.validated.inc({ state }, n),
    onAssimilated: () => m.assimilated.inc(),
  });
  await project.runBackend();
  const health = new HealthState();
  health.addReadinessCheck('database', async () => {
    await db.ping();
    return true;
  });
  const app = createWorkServerApp({ project, health, registry, logger: o.logger, bodyLimitBytes: o.bodyLimitBytes });
  const server = createServer(app);
  let pass: Promise<void> | undefined;
  const backendPass = async () => {
    try {
      const { timedOut } = await project.runBackend();
      if (timedOut) {
        m.timedOut.inc(timedOut);
        o.logger.info({ timedOut }, 'results past deadline marked no-reply');
      }
      m.primes.set((await project.summary()).primes_counted);
    } catch (err) {
      o.logger.error({ err }, 'back-end pass failed');
    }
  };
  const timer = setInterval(() => {
    pass ??= backendPass().finally(() => (pass = undefined));
  }, o.backendIntervalMs ?? 5000);
  timer.unref();
  const port = await listen(server, o.port, o.host);
  o.logger.info({ port, db: describeDatabase(o.database), range: project.opts.rangeLo + '-' + project.opts.rangeHi }, 'work server listening');
  return {
    port,
    project,
    health,
    async close() {
      health.setDraining();
      clearInterval(timer);
      await closeServer(server, 3000);
      await pass;
      await db.close();
    },
  };
}
