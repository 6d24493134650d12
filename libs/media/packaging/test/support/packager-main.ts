// A real packager in its own process, for tests that must see it survive (or not) and measure its memory.
// Options come as JSON in PACKAGER_TEST_OPTIONS; JSON logs go to stdout like the app's.
import { createLogger } from '@livelab/service-kit';
import { Packager, type PackagerOptions } from '../../src';

const extra = JSON.parse(process.env['PACKAGER_TEST_OPTIONS'] ?? '{}') as Partial<PackagerOptions>;
const logger = createLogger('packager', process.env['LOG_LEVEL'] ?? 'info');
const packager = new Packager({ publishKey: 'hostile-test-key', logger, stallTimeoutMs: 2000, ...extra });
const probePort = process.env['PACKAGER_TEST_PROBE'] ? 0 : undefined; // an ephemeral probe listener
void packager.start({ rtmpPort: 0, httpPort: 0, probePort, host: process.env['PACKAGER_TEST_HOST'] ?? '127.0.0.1' });
// Tests that measure what is retained (not garbage not yet collected) ask for a full GC first (node --expose-gc).
const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => {
  gc?.();
  const m = process.memoryUsage();
  logger.info({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, gc: !!gc }, 'memory');
});
// Tests that need a stuck or overloaded main loop ask for a busy loop of `block` ms (IPC, when spawned with one).
process.on('message', (m: { block?: number }) => {
  if (!m.block) return;
  const end = Date.now() + m.block;
  while (Date.now() < end) {
    /* deliberately busy */
  }
  process.send?.({ blocked: m.block });
});
process.on('SIGTERM', () => void packager.stop().then(() => process.exit(0)));
