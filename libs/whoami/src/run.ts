// The whole whoami process (flags → server → listen → graceful shutdown), so the app stays a one-liner and tests
// can run exactly what production runs in a child process.
import { closeServer, ConfigError, configOrExit, createLogger, installGracefulShutdown, listen } from '@livelab/service-kit';
import { parseWhoamiFlags, WHOAMI_USAGE } from './cli';
import { identityFromEnv } from './identity';
import { createWhoamiServer } from './whoami-server';
import { closeWebSockets } from './websocket-echo';

/** Shutdown budget: WebSocket clients get 2 s to answer the close, HTTP 4 s more; the process must be gone by 8 s. */
const WS_GRACE_MS = 2000;
const HTTP_GRACE_MS = 4000;

export async function runWhoami(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const flags = configOrExit(() => parseWhoamiFlags(argv, env), 'whoami');
  if (flags.help) {
    process.stdout.write(`${WHOAMI_USAGE}\n`);
    return;
  }
  const logger = createLogger('whoami');
  const { server, health, websockets } = createWhoamiServer({
    identity: identityFromEnv(flags.name, env),
    allowEnv: flags.allowEnv,
    dataMaxBytes: flags.dataMaxBytes,
    wsMaxPayloadBytes: flags.wsMaxPayloadBytes,
    verbose: flags.verbose,
    allowedOrigins: flags.allowedOrigins,
    tls: flags.cert && flags.key ? { cert: flags.cert, key: flags.key, ca: flags.cacert } : undefined,
    logger,
  });
  let port = flags.port;
  try {
    port = await listen(server, flags.port);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges; use --port 8080)' : err.code === 'EADDRINUSE' ? 'already in use' : err.message;
    configOrExit(() => {
      throw new ConfigError(`cannot listen on port ${flags.port}: ${why}`);
    }, 'whoami');
  }
  logger.info({ port, tls: !!flags.cert, mutualTls: !!flags.cacert, allowEnv: flags.allowEnv }, `Starting up on port ${port}`);
  installGracefulShutdown(logger, [
    { name: 'not ready', run: () => health.setDraining() },
    { name: 'websockets', run: () => closeWebSockets(websockets, WS_GRACE_MS) },
    { name: 'http', run: () => closeServer(server, HTTP_GRACE_MS) },
  ]);
}
