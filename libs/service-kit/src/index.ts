// Public API of @livelab/service-kit: the conventions every livelab service follows.
export { ConfigError, loadConfig, env, configOrExit, secretOrFile, readSecret } from './config';
export { createLogger, silentLogger, type Logger } from './logger';
export { createMetricsRegistry, Registry, Counter, Gauge, Histogram } from './metrics';
export { HealthState, opsRouter, type ReadinessCheck } from './health';
export { ProbeThread, DEFAULT_STUCK_AFTER_MS, type ProbeThreadOptions } from './probe-thread';
export { listen, closeServer } from './http';
export { limitConnections, type ConnectionLimits, type ConnectionStats } from './connection-limits';
export { installGracefulShutdown, type ShutdownStep } from './shutdown';
export { Backoff, sleep } from './backoff';
export { tcpPortOpen, waitForTcpPort } from './net';
export { pollUntil } from './poll';
export { sameSecret } from './secrets';
export { spawnWithJsonLogs, childPids, type LogLine } from './processes';
