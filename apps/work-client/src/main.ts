// work-client: BOINC-style volunteer client (composition only; logic in @livelab/work-client-core).
// This file is also the worker thread's script: the bundled main.js starts itself as a worker_threads Worker.
import { createServer } from 'node:http';
import { isMainThread } from 'node:worker_threads';
import { HealthState, closeServer, configOrExit, createLogger, createMetricsRegistry, env, installGracefulShutdown, listen, loadConfig, readSecret } from '@livelab/service-kit';
import { WorkClient, createControlApp, parseRunMode, runSieveWorker } from '@livelab/work-client-core';
import { z } from 'zod';

const schema = z.object({
  CONTROL_PORT: env.port(8091),
  WORK_SERVER_URL: env.string('http://work-server:8090').pipe(z.url({ message: 'expected an http(s) URL' })),
  WORK_STATE_DIR: env.string('./work-client-state'),
  RUN_MODE: env.enum(['always', 'never', 'window'] as const, 'always'),
  RUN_WINDOW: env.optionalString(),
  WORK_NCPUS: env.int(1, { min: 1, max: 256 }),
  WORK_BUF_MIN_S: env.int(60, { min: 0 }),
  WORK_BUF_EXTRA_S: env.int(120, { min: 0 }),
  WORK_BACKOFF_MIN_MS: env.int(60_000, { min: 1 }),
  WORK_BACKOFF_MAX_MS: env.int(4 * 3600_000, { min: 1 }),
  WORK_CHECKPOINT_INTERVAL_MS: env.int(10_000, { min: 0 }),
  WORK_PROGRESS_LOG_INTERVAL_MS: env.int(30_000, { min: 100 }),
  WORK_FAULT_CORRUPT_RESULTS: env.bool(false),
  LOG_LEVEL: env.logLevel(),
});

function main(): void {
  const cfg = configOrExit(() => loadConfig(schema), 'work-client');
  if (cfg.WORK_BACKOFF_MAX_MS < cfg.WORK_BACKOFF_MIN_MS) {
    process.stderr.write('work-client: invalid WORK_BACKOFF_MAX_MS: must be >= WORK_BACKOFF_MIN_MS\n');
    process.exit(2);
  }
  let runMode;
  try {
    runMode = parseRunMode(cfg.RUN_MODE, cfg.RUN_WINDOW);
  } catch (err) {
    process.stderr.write(`work-client: invalid RUN_MODE/RUN_WINDOW: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const accountKey = configOrExit(() => readSecret('WORK_ACCOUNT_KEY'), 'work-client');
  const password = configOrExit(() => readSecret('CONTROL_PASSWORD'), 'work-client');
  const logger = createLogger('work-client', cfg.LOG_LEVEL);
  if (cfg.WORK_FAULT_CORRUPT_RESULTS) logger.warn('WORK_FAULT_CORRUPT_RESULTS=true: TEST-ONLY fault switch, every result sent is WRONG');
  const registry = createMetricsRegistry('work-client');
  const health = new HealthState();
  const client = new WorkClient({
    serverUrl: cfg.WORK_SERVER_URL,
    accountKey,
    stateDir: cfg.WORK_STATE_DIR,
    logger,
    registry,
    runMode,
    ncpus: cfg.WORK_NCPUS,
    workBufMinS: cfg.WORK_BUF_MIN_S,
    workBufExtraS: cfg.WORK_BUF_EXTRA_S,
    backoffMinMs: cfg.WORK_BACKOFF_MIN_MS,
    backoffMaxMs: cfg.WORK_BACKOFF_MAX_MS,
    checkpointIntervalMs: cfg.WORK_CHECKPOINT_INTERVAL_MS,
    progressLogIntervalMs: cfg.WORK_PROGRESS_LOG_INTERVAL_MS,
    faultCorruptResults: cfg.WORK_FAULT_CORRUPT_RESULTS,
    worker: { file: __filename },
  });
  const server = createServer(createControlApp({ client, password, health, registry }));
  client.start();
  void listen(server, cfg.CONTROL_PORT).then(
    (port) => logger.info({ port, server: cfg.WORK_SERVER_URL, stateDir: cfg.WORK_STATE_DIR, runMode: runMode.mode }, 'work client control API listening'),
    (err: Error) => {
      logger.fatal({ err }, 'control API cannot listen');
      process.exit(1);
    },
  );
  installGracefulShutdown(logger, [
    { name: 'checkpoint tasks', run: () => client.stop() },
    { name: 'control API', run: () => closeServer(server, 1000) },
  ]);
}

if (isMainThread) main();
else runSieveWorker();
