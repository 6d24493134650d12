// whoami: traefik/whoami-compatible echo service. Flags and environment: README.md.
import { closeServer, ConfigError, configOrExit, createLogger, installGracefulShutdown, listen } from '@livelab/service-kit';
import { createWhoamiServer, identityFromEnv, parseWhoamiFlags, WHOAMI_USAGE } from '@livelab/whoami-core';

async function main() {
  const flags = configOrExit(() => parseWhoamiFlags(process.argv.slice(2)), 'whoami');
  if (flags.help) {
    process.stdout.write(`${WHOAMI_USAGE}\n`);
    return;
  }
  const logger = createLogger('whoami');
  const { server, health, websockets } = createWhoamiServer({
    identity: identityFromEnv(flags.name),
    allowEnv: flags.allowEnv,
    dataMaxBytes: flags.dataMaxBytes,
    verbose: flags.verbose,
    allowedOrigins: flags.allowedOrigins,
    tls: flags.cert && flags.key ? { cert: flags.cert, key: flags.key, ca: flags.cacert } : undefined,
    logger,
  });
  try {
    await listen(server, flags.port);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges; use --port 8080)' : err.code === 'EADDRINUSE' ? 'already in use' : err.message;
    configOrExit(() => {
      throw new ConfigError(`cannot listen on port ${flags.port}: ${why}`);
    }, 'whoami');
  }
  logger.info({ port: flags.port, tls: !!flags.cert, mutualTls: !!flags.cacert, allowEnv: flags.allowEnv }, `Starting up on port ${flags.port}`);
  installGracefulShutdown(logger, [
    { name: 'not ready', run: () => health.setDraining() },
    {
      name: 'websockets',
      run: () => {
        for (const ws of websockets.clients) ws.close(1001, 'server shutting down');
      },
    },
    { name: 'http', run: () => closeServer(server, 5000) },
  ]);
}

void main();
