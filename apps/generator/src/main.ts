// generator: publishes the catalogue's test streams to the packager over RTMP. Configuration: README.md.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';
import { z } from 'zod';
import {
  closeServer, configOrExit, ConfigError, createLogger, createMetricsRegistry, env, HealthState,
  installGracefulShutdown, listen, loadConfig, opsRouter, secretOrFile,
} from '@livelab/service-kit';
import { DEFAULT_CATALOGUE, DEFAULT_STREAM_NAMES, parseCatalogue, selectStreams } from '@livelab/media-testsignal';
import { checkFfmpeg } from '@livelab/media-ffmpeg';
import { TestSignalPublisher } from '@livelab/media-generator';

const schema = z.object({
  HTTP_PORT: env.port(8081),
  PACKAGER_RTMP_URL: z
    .string()
    .regex(/^rtmps?:\/\/[^/\s]+(\/[^\s?]*)?$/, 'expected an RTMP URL like rtmp://packager:1935/live')
    .default('rtmp://127.0.0.1:1935/live'),
  PUBLISH_KEY: z.string().min(8, 'must be at least 8 characters').optional(),
  // A mounted Secret file holding the key instead (Kubernetes): either this or PUBLISH_KEY.
  PUBLISH_KEY_FILE: env.optionalString(),
  STREAMS: env.optionalString(),
  STREAM_CATALOGUE_FILE: env.optionalString(),
  LOG_LEVEL: env.logLevel(),
});

const READY_AFTER_RUNNING_MS = 3000;

async function main() {
  const config = configOrExit(() => {
    const c = loadConfig(schema);
    const publishKey = secretOrFile(c, 'PUBLISH_KEY', 8);
    if (!publishKey) throw new ConfigError('invalid PUBLISH_KEY=unset: required: the packager’s publish key (or PUBLISH_KEY_FILE)');
    try {
      const catalogue = c.STREAM_CATALOGUE_FILE ? parseCatalogue(readFileSync(c.STREAM_CATALOGUE_FILE, 'utf8')) : DEFAULT_CATALOGUE;
      // Unset STREAMS: a catalogue file's every stream, or the built-in catalogue's defaults (not its ladders).
      const names = c.STREAMS ?? (c.STREAM_CATALOGUE_FILE ? undefined : DEFAULT_STREAM_NAMES.join(','));
      return { ...c, publishKey, streams: selectStreams(catalogue, names) };
    } catch (e) {
      const what = c.STREAM_CATALOGUE_FILE && !/unknown stream/.test((e as Error).message) ? 'STREAM_CATALOGUE_FILE' : 'STREAMS';
      // One line per bad value, each saying which setting it is about.
      const lines = (e as Error).message.replace(/^ENOENT: /, '').split('\n');
      throw new ConfigError(lines.map((line, i) => `${i ? 'generator: ' : ''}invalid ${what}: ${line}`).join('\n'));
    }
  }, 'generator');
  const logger = createLogger('generator', config.LOG_LEVEL);
  const ffmpeg = await checkFfmpeg();
  if (!ffmpeg.ok) {
    process.stderr.write(`generator: ${ffmpeg.message}\n`);
    process.exit(2);
  }

  const registry = createMetricsRegistry('generator');
  const health = new HealthState();
  const publisher = new TestSignalPublisher({
    streams: config.streams,
    rtmpBaseUrl: config.PACKAGER_RTMP_URL,
    publishKey: config.publishKey,
    logger,
    registry,
  });
  // Ready once every stream's ffmpeg has stayed up for 3 s: one that exits at once and restarts with backoff
  // (a refused publish, a missing codec) keeps the pod unready instead of flickering ready between crashes.
  health.addReadinessCheck('streams', () => publisher.allRunningFor(READY_AFTER_RUNNING_MS) || `not every stream has been publishing for ${READY_AFTER_RUNNING_MS / 1000} s`);

  const app = express().use(opsRouter(health, registry));
  app.get('/api/status', (_req, res) => {
    res.json({ streams: publisher.status() });
  });
  const server = createServer(app);
  const port = await listen(server, config.HTTP_PORT);
  logger.info({ port, ffmpeg: ffmpeg.version, streams: config.streams.map((s) => s.name) }, 'generator started');

  installGracefulShutdown(logger, [
    { name: 'not ready', run: () => health.setDraining() },
    { name: 'ffmpeg', run: () => publisher.stop() },
    { name: 'http', run: () => closeServer(server, 2000) },
  ]);
  void publisher.start();
}

void main();
