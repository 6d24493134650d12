// work-server: BOINC-style project server (composition only; logic in @livelab/work-server-core).
import { configOrExit, createLogger, env, installGracefulShutdown, loadConfig, readSecret } from '@livelab/service-kit';
import { weakKey } from '@livelab/work-protocol';
import { BOOTSTRAP_ACCOUNT_ID, DEFAULT_PROJECT_OPTIONS, accountCommand, startWorkServer, type WorkDatabaseConfig } from '@livelab/work-server-core';
import { z } from 'zod';

const d = DEFAULT_PROJECT_OPTIONS;
const schema = z.object({
  HTTP_PORT: env.port(8090),
  WORK_DB_PATH: env.string('./work.db'),
  WORK_DATABASE_URL_FILE: z.string().optional(),
  LOG_LEVEL: env.logLevel(),
  WORK_RANGE_LO: env.int(d.rangeLo, { min: 0 }),
  WORK_RANGE_HI: env.int(d.rangeHi, { min: 1, max: 2 ** 40 }),
  WORK_UNIT_SPAN: env.int(d.unitSpan, { min: 1 }),
  WORK_MIN_QUORUM: env.int(d.minQuorum, { min: 1 }),
  WORK_TARGET_NRESULTS: env.int(d.targetNResults, { min: 1 }),
  WORK_MAX_ERROR_RESULTS: env.int(d.maxErrorResults, { min: 0 }),
  WORK_MAX_TOTAL_RESULTS: env.int(d.maxTotalResults, { min: 1 }),
  WORK_DELAY_BOUND_S: env.int(d.delayBoundS, { min: 1 }),
  WORK_CUSHION: env.int(d.cushion, { min: 1 }),
  WORK_REQUEST_DELAY_S: env.number(d.requestDelayS, { min: 0 }),
  WORK_BACKEND_INTERVAL_MS: env.int(5000, { min: 50 }),
  WORK_LEASE_MS: env.int(10_000, { min: 300 }),
  WORK_ATTACH_BURST: env.int(d.attachBurst, { min: 1 }),
  WORK_ATTACH_REFILL_S: env.number(d.attachRefillS, { min: 0.001 }),
});

if (process.argv[2] === 'weak-key') {
  // `node main.js weak-key` prints the weak key for the account key in the environment (for the clients' Secret)
  const key = configOrExit(() => readSecret('WORK_ACCOUNT_KEY'), 'work-server');
  process.stdout.write(`${weakKey(BOOTSTRAP_ACCOUNT_ID, key)}\n`);
  process.exit(0);
}

/**
 * PostgreSQL when WORK_DATABASE_URL_FILE names a file holding its URL (a mounted Secret), else SQLite at WORK_DB_PATH.
 * Either problem prints one line naming the variable and exits 2.
 */
function databaseConfig(): WorkDatabaseConfig {
  const c = configOrExit(() => loadConfig(z.object({ WORK_DB_PATH: env.string('./work.db'), WORK_DATABASE_URL_FILE: z.string().optional() })), 'work-server');
  if (c.WORK_DATABASE_URL_FILE === undefined) return { sqlitePath: c.WORK_DB_PATH };
  const url = configOrExit(() => readSecret('WORK_DATABASE_URL'), 'work-server');
  if (!/^postgres(ql)?:\/\//.test(url)) {
    process.stderr.write('work-server: WORK_DATABASE_URL_FILE must hold a postgres:// or postgresql:// URL\n');
    process.exit(2);
  }
  return { postgresUrl: url };
}

if (process.argv[2] === 'account') {
  // `node main.js account create|disable <name>` / `account list`: accounts live in the server's database
  void accountCommand(process.argv.slice(3), databaseConfig()).then(
    (r) => {
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exit(r.code);
    },
    (err: Error) => {
      process.stderr.write(`work-server: ${err.message}\n`);
      process.exit(1);
    },
  );
} else {
  startServer();
}

function startServer(): void {
  const cfg = configOrExit(() => loadConfig(schema), 'work-server');
  const database = databaseConfig();
  const accountKey = configOrExit(() => readSecret('WORK_ACCOUNT_KEY'), 'work-server');
  const logger = createLogger('work-server', cfg.LOG_LEVEL);

  void (async () => {
    try {
      const server = await startWorkServer({
        database,
        port: cfg.HTTP_PORT,
        logger,
        backendIntervalMs: cfg.WORK_BACKEND_INTERVAL_MS,
      leaseMs: cfg.WORK_LEASE_MS,
        project: {
          accountKey,
          rangeLo: cfg.WORK_RANGE_LO,
          rangeHi: cfg.WORK_RANGE_HI,
          unitSpan: cfg.WORK_UNIT_SPAN,
          minQuorum: cfg.WORK_MIN_QUORUM,
          targetNResults: cfg.WORK_TARGET_NRESULTS,
          maxErrorResults: cfg.WORK_MAX_ERROR_RESULTS,
          maxTotalResults: cfg.WORK_MAX_TOTAL_RESULTS,
          delayBoundS: cfg.WORK_DELAY_BOUND_S,
          cushion: cfg.WORK_CUSHION,
          requestDelayS: cfg.WORK_REQUEST_DELAY_S,
          attachBurst: cfg.WORK_ATTACH_BURST,
          attachRefillS: cfg.WORK_ATTACH_REFILL_S,
        },
      });
      installGracefulShutdown(logger, [{ name: 'http+db', run: () => server.close() }]);
    } catch (err) {
      logger.fatal({ err }, 'work server failed to start');
      process.stderr.write(`work-server: ${(err as Error).message}\n`);
      process.exit(1);
    }
  })();
}
