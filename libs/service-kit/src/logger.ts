import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs to stdout, one line per event, with the service name on every line. */
export function createLogger(service: string, level: string = process.env['LOG_LEVEL'] || 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A logger that drops everything: for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
