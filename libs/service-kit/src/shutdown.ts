import type { Logger } from './logger';

export type ShutdownStep = { name: string; run: () => Promise<void> | void };

/**
 * Graceful shutdown on SIGTERM/SIGINT: run the steps in order (stop accepting, drain, kill children…),
 * then exit 0. If they take longer than `timeoutMs` (default 8 s, under Kubernetes' 10 s budget), exit 1.
 * A second signal exits at once. Returns a function that runs the same shutdown programmatically.
 */
export function installGracefulShutdown(
  logger: Logger,
  steps: ShutdownStep[],
  opts: { timeoutMs?: number; exit?: (code: number) => void } = {},
): (reason?: string) => Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 8000;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;

  const shutdown = (reason = 'requested'): Promise<void> => {
    if (running) return running;
    logger.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out, exiting');
      exit(1);
    }, timeoutMs);
    timer.unref();
    running = (async () => {
      let code = 0;
      for (const step of steps) {
        try {
          await step.run();
        } catch (err) {
          code = 1;
          logger.error({ step: step.name, err }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      logger.info({ code }, 'shutdown complete');
      exit(code);
    })();
    return running;
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (running) {
        logger.warn({ signal }, 'second signal, exiting now');
        exit(1);
        return;
      }
      void shutdown(signal);
    });
  }
  return shutdown;
}
