import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { HealthState, closeServer, createMetricsRegistry, listen, type Logger } from '@livelab/service-kit';
import { describeDatabase, openWorkDatabase, type WorkDatabaseConfig } from './storage/open-database';
import { DaemonLease } from './daemon-lease';
import { createWorkServerApp, workMetrics } from './http-app';
import { WorkProject } from './project';
import type { ProjectOptions } from './project-options';

export interface StartWorkServerOptions {
  database: WorkDatabaseConfig;
  port: number;
  host?: string;
  logger: Logger;
  project: Partial<ProjectOptions> & { accountKey: string };
  /** how often the daemon pass runs on the lease holder (deadlines, generator cushion) */
  backendIntervalMs?: number;
  /** the daemon lease's lifetime; renewed every third of it (default 10 s) */
  leaseMs?: number;
  /** this replica's name in the lease (default: host name, pid and a random suffix) */
  replicaName?: string;
  bodyLimitBytes?: number;
}

export interface WorkServerHandle {
  port: number;
  project: WorkProject;
  health: HealthState;
  lease: DaemonLease;
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
  const replica = o.replicaName ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const leaseMs = o.leaseMs ?? 10_000;
  const lease = new DaemonLease(db, {
    holder: replica,
    ttlMs: leaseMs,
    logger: o.logger,
    onAcquired: () => {
      m.leaseAcquired.inc();
      m.leader.set(1);
    },
    onLost: () => m.leader.set(0),
  });
  if (await lease.renew()) await project.runBackend();
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
    if (lease.held) pass ??= backendPass().finally(() => (pass = undefined));
  }, o.backendIntervalMs ?? 5000);
  timer.unref();
  let renewing: Promise<boolean> | undefined;
  const leaseTimer = setInterval(() => {
    renewing ??= lease.renew().finally(() => (renewing = undefined));
  }, leaseMs / 3);
  leaseTimer.unref();
  const port = await listen(server, o.port, o.host);
  o.logger.info({ port, replica, db: describeDatabase(o.database), range: project.opts.rangeLo + '-' + project.opts.rangeHi }, 'work server listening');
  return {
    port,
    project,
    health,
    lease,
    async close() {
      health.setDraining();
      clearInterval(timer);
      clearInterval(leaseTimer);
      await closeServer(server, 3000);
      await pass;
      await renewing;
      await lease.release().catch((err: Error) => o.logger.warn({ err: err.message }, 'daemon lease release failed'));
      await db.close();
    },
  };
}
