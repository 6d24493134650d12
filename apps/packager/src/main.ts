// packager: RTMP ingest on 1935 → HLS + DASH (CMAF, no re-encode) and the player page on 8080.
// Configuration: README.md.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, configOrExit, createLogger, DEFAULT_STUCK_AFTER_MS, env, installGracefulShutdown, loadConfig, secretOrFile } from '@livelab/service-kit';
import { checkFfmpeg } from '@livelab/media-ffmpeg';
import { DVR_WINDOW_S } from '@livelab/media-contract';
import { DEFAULT_DASH_TARGET_LATENCY_MS, DEFAULT_HTTP_CONNECTION_LIMITS, DEFAULT_RTMP_LIMITS, DEFAULT_STORE_MAX_BYTES, Packager } from '@livelab/media-packaging';
import { playerRouter } from '@livelab/media-player';

const schema = z.object({
  HTTP_PORT: env.port(8080),
  // Probes (/healthz, /readyz) and /metrics on their own listener, so they answer at any viewer load.
  PROBE_PORT: env.port(8088),
  // The probe listener runs on its own thread; its liveness fails once the main event loop has not run for this long.
  MAIN_LOOP_STUCK_MS: env.int(DEFAULT_STUCK_AFTER_MS, { min: 500, max: 600_000 }),
  // Capacity of the public port: past it new viewers get 503 + Retry-After (0 = no limit). README: Capacity.
  MAX_VIEWERS: env.int(0, { min: 0, max: 1_000_000 }),
  MAX_IN_FLIGHT: env.int(0, { min: 0, max: 1_000_000 }),
  // Sockets the public port holds (README: Capacity): past it a new one evicts the oldest idle or unfinished socket of
  // the address holding the most.
  HTTP_MAX_CONNECTIONS: env.int(DEFAULT_HTTP_CONNECTION_LIMITS.maxConnections, { min: 16, max: 1_000_000 }),
  HTTP_MAX_CONNECTIONS_PER_ADDRESS: env.int(DEFAULT_HTTP_CONNECTION_LIMITS.maxPerAddress, { min: 1, max: 1_000_000 }),
  RTMP_PORT: env.port(1935),
  PUBLISH_KEY: z.string().min(8, 'must be at least 8 characters').optional(),
  // A mounted Secret file holding the key instead (Kubernetes): either this or PUBLISH_KEY.
  PUBLISH_KEY_FILE: env.optionalString(),
  DASH_TARGET_LATENCY_MS: env.int(DEFAULT_DASH_TARGET_LATENCY_MS, { min: 200, max: 30_000 }),
  // The time-shift (DVR) window: seconds of each stream kept and listed (README: DVR window).
  DVR_WINDOW_S: env.int(DVR_WINDOW_S.default, { min: DVR_WINDOW_S.min, max: DVR_WINDOW_S.max }),
  // Byte budget of each publish's store (a stream, or one rung of a ladder): past it the window shortens.
  DVR_MAX_BYTES: env.int(DEFAULT_STORE_MAX_BYTES, { min: 4 * 1024 * 1024, max: 4 * 1024 * 1024 * 1024 }),
  PUBLIC_BASE_URL: z.url({ message: 'expected an absolute URL like http://10.0.0.50:8080' }).optional(),
  // What an RTMP peer may make the packager hold, and for how long (README: RTMP limits).
  RTMP_HANDSHAKE_TIMEOUT_MS: env.int(DEFAULT_RTMP_LIMITS.handshakeTimeoutMs, { min: 100, max: 60_000 }),
  RTMP_PUBLISH_TIMEOUT_MS: env.int(DEFAULT_RTMP_LIMITS.publishTimeoutMs, { min: 500, max: 120_000 }),
  RTMP_IDLE_TIMEOUT_MS: env.int(DEFAULT_RTMP_LIMITS.idleTimeoutMs, { min: 1000, max: 600_000 }),
  RTMP_MAX_CHUNK_SIZE: env.int(DEFAULT_RTMP_LIMITS.maxChunkSize, { min: 128, max: 0xffffff }),
  RTMP_MAX_CHUNK_STREAMS: env.int(DEFAULT_RTMP_LIMITS.maxChunkStreams, { min: 4, max: 1024 }),
  RTMP_MAX_COMMAND_BYTES: env.int(DEFAULT_RTMP_LIMITS.maxCommandBytes, { min: 4096, max: 1 << 20 }),
  RTMP_MAX_MEDIA_BYTES: env.int(DEFAULT_RTMP_LIMITS.maxMediaBytes, { min: 65_536, max: 0xffffff }),
  RTMP_MAX_CONNECTIONS: env.int(DEFAULT_RTMP_LIMITS.maxConnections, { min: 1, max: 100_000 }),
  RTMP_MAX_CONNECTIONS_PER_ADDRESS: env.int(DEFAULT_RTMP_LIMITS.maxConnectionsPerAddress, { min: 1, max: 100_000 }),
  // Fault injection for player testing (/faults/<rules>/live/…, docs/faults.md): off unless set; never in production.
  FAULTS_ENABLED: env.bool(false),
  FAULTS_MAX_IN_FLIGHT: env.int(256, { min: 1, max: 100_000 }),
  FAULTS_MAX_PER_CLIENT: env.int(32, { min: 1, max: 100_000 }),
  LOG_LEVEL: env.logLevel(),
});

async function main() {
  const config = configOrExit(() => {
    const c = loadConfig(schema);
    if (c.PROBE_PORT !== 0 && c.PROBE_PORT === c.HTTP_PORT) throw new ConfigError(`invalid PROBE_PORT=${c.PROBE_PORT}: must differ from HTTP_PORT`);
    if (c.PROBE_PORT !== 0 && c.PROBE_PORT === c.RTMP_PORT) throw new ConfigError(`invalid PROBE_PORT=${c.PROBE_PORT}: must differ from RTMP_PORT`);
    return { ...c, PUBLISH_KEY: secretOrFile(c, 'PUBLISH_KEY', 8) };
  }, 'packager');
  const logger = createLogger('packager', config.LOG_LEVEL);
  const ffmpeg = await checkFfmpeg();
  if (!ffmpeg.ok) {
    process.stderr.write(`packager: ${ffmpeg.message}\n`);
    process.exit(2);
  }
  let publishKey = config.PUBLISH_KEY;
  if (!publishKey) {
    publishKey = randomBytes(16).toString('hex');
    logger.warn({ publishKey }, 'PUBLISH_KEY not set: generated one for this run; publish to rtmp://<host>:<port>/live/<stream>?key=<publishKey>');
  }
  const packager = new Packager({
    publishKey,
    logger,
    pageRouter: playerRouter(),
    publicBaseUrl: config.PUBLIC_BASE_URL?.replace(/\/$/, ''),
    dashTargetLatencyMs: config.DASH_TARGET_LATENCY_MS,
    faults: { enabled: config.FAULTS_ENABLED, maxInFlight: config.FAULTS_MAX_IN_FLIGHT, maxPerClient: config.FAULTS_MAX_PER_CLIENT },
    dvr: { windowSeconds: config.DVR_WINDOW_S, maxBytes: config.DVR_MAX_BYTES },
    mainLoopStuckMs: config.MAIN_LOOP_STUCK_MS,
    limits: { maxViewers: config.MAX_VIEWERS || Infinity, maxInFlight: config.MAX_IN_FLIGHT || Infinity },
    httpConnections: { maxConnections: config.HTTP_MAX_CONNECTIONS, maxPerAddress: config.HTTP_MAX_CONNECTIONS_PER_ADDRESS },
    rtmpLimits: {
      handshakeTimeoutMs: config.RTMP_HANDSHAKE_TIMEOUT_MS,
      publishTimeoutMs: config.RTMP_PUBLISH_TIMEOUT_MS,
      idleTimeoutMs: config.RTMP_IDLE_TIMEOUT_MS,
      maxChunkSize: config.RTMP_MAX_CHUNK_SIZE,
      maxChunkStreams: config.RTMP_MAX_CHUNK_STREAMS,
      maxCommandBytes: config.RTMP_MAX_COMMAND_BYTES,
      maxMediaBytes: config.RTMP_MAX_MEDIA_BYTES,
      maxConnections: config.RTMP_MAX_CONNECTIONS,
      maxConnectionsPerAddress: config.RTMP_MAX_CONNECTIONS_PER_ADDRESS,
    },
  });
  await packager.start({ rtmpPort: config.RTMP_PORT, httpPort: config.HTTP_PORT, probePort: config.PROBE_PORT });
  logger.info({ ffmpeg: ffmpeg.version, page: `http://localhost:${config.HTTP_PORT}/` }, 'packager ready');
  installGracefulShutdown(logger, [{ name: 'packager', run: () => packager.stop() }]);
}

main().catch((err: NodeJS.ErrnoException) => {
  // A busy port is a user error: one line, no stack.
  if (err.code === 'EADDRINUSE') {
    process.stderr.write(`packager: port ${(err as { port?: number }).port ?? ''} is already in use — set HTTP_PORT / PROBE_PORT / RTMP_PORT\n`);
    process.exit(2);
  }
  throw err;
});
