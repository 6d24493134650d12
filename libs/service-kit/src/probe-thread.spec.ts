// The probe thread answers while the main event loop is blocked, with the main thread's verdicts: the probes are
// fetched from a second worker thread (the client) while this test's main thread runs a deliberate busy loop.
import { Worker } from 'node:worker_threads';
import { Gauge } from 'prom-client';
import { HealthState } from './health';
import { createMetricsRegistry } from './metrics';
import { ProbeThread } from './probe-thread';

interface Sample {
  path: string;
  at: number;
  ms: number;
  status: number;
  body: string;
}

/** Fetches `paths` in turn every `everyMs` for `forMs` from another thread; resolves with what it saw. */
function probeFromAnotherThread(port: number, paths: string[], forMs: number, everyMs: number): { started: Promise<void>; samples: Promise<Sample[]> } {
  const code = `
    const { parentPort, workerData: d } = require('node:worker_threads');
    (async () => {
      const out = [];
      const end = Date.now() + d.forMs;
      parentPort.postMessage('started');
      for (let i = 0; Date.now() < end; i++) {
        const path = d.paths[i % d.paths.length];
        const t0 = Date.now();
        try {
          const r = await fetch('http://127.0.0.1:' + d.port + path, { signal: AbortSignal.timeout(5000) });
          out.push({ path, at: t0, ms: Date.now() - t0, status: r.status, body: await r.text() });
        } catch (e) {
          out.push({ path, at: t0, ms: Date.now() - t0, status: 0, body: String(e) });
        }
        await new Promise((r) => setTimeout(r, d.everyMs));
      }
      parentPort.postMessage(out);
    })();`;
  const w = new Worker(code, { eval: true, workerData: { port, paths, forMs, everyMs } });
  let started!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  const samples = new Promise<Sample[]>((resolve, reject) => {
    w.on('message', (m: 'started' | Sample[]) => (m === 'started' ? started() : resolve(m)));
    w.once('error', reject);
  });
  return { started: startedP, samples: samples.finally(() => w.terminate()) };
}

/** This thread's event loop, stuck for `ms`. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* deliberately busy */
  }
}

const get = async (port: number, path: string, init?: RequestInit) => {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, init);
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
};

describe('ProbeThread', () => {
  let health: HealthState;
  let probe: ProbeThread;
  let port: number;
  let ready: boolean | string;

  beforeEach(async () => {
    health = new HealthState();
    ready = true;
    health.addReadinessCheck('ingest', () => ready);
    const registry = createMetricsRegistry('test', false);
    new Gauge({ name: 'livelab_test_value', help: 'a test gauge', registers: [registry], collect: () => undefined }).set(42);
    probe = new ProbeThread({ health, registry, port: 0, host: '127.0.0.1', stuckAfterMs: 1000, labels: { service: 'test' } });
    port = await probe.start();
  });

  afterEach(() => probe.stop(200));

  it('answers liveness, readiness from the main thread, metrics from its snapshot, and refuses the rest with reasons', async () => {
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, text: JSON.stringify({ status: 'ok' }) });
    expect(JSON.parse((await get(port, '/readyz')).text)).toEqual({ status: 'ready', checks: { ingest: 'ok' } });
    ready = 'RTMP not listening';
    await probe.refresh();
    const notReady = await get(port, '/readyz');
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.text).checks).toEqual({ ingest: 'RTMP not listening' });

    const m = await get(port, '/metrics');
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain/);
    expect(m.text).toContain('livelab_test_value{service="test"} 42');
    expect(m.text).toMatch(/^livelab_probe_metrics_age_seconds\{service="test"\} (0|0\.\d+)$/m);
    expect(m.text).toMatch(/^livelab_probe_heartbeat_age_seconds\{service="test"\} [\d.]+$/m);

    const other = await get(port, '/live/x/y.m3u8');
    expect(other.status).toBe(404);
    expect(JSON.parse(other.text).error).toMatch(/serves \/healthz, \/readyz and \/metrics/);
    const post = await get(port, '/healthz', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(JSON.parse(post.text).error).toMatch(/GET or HEAD/);
  });

  it('answers quickly while the main loop is blocked: alive below the threshold, stuck (503) past it, alive again after', async () => {
    expect((await get(port, '/metrics')).status).toBe(200); // a snapshot exists before the main loop gets stuck
    const client = probeFromAnotherThread(port, ['/healthz', '/readyz', '/metrics'], 3300, 40);
    await client.started;
    const t0 = Date.now();
    busy(2500); // the main loop does nothing else for 2.5 s; the stuck threshold is 1 s
    const samples = await client.samples;
    const during = samples.filter((s) => s.at >= t0 && s.at + s.ms <= t0 + 2500);
    expect(during.length).toBeGreaterThan(10);
    // Every probe answered, fast, while the main loop was busy (generous margins for a loaded CI box).
    const ms = during.map((s) => s.ms).sort((a, b) => a - b);
    expect(ms[Math.floor(ms.length / 2)]).toBeLessThan(100);
    expect(ms.at(-1)).toBeLessThan(1000);
    expect(during.every((s) => s.status !== 0)).toBe(true);

    const healthz = during.filter((s) => s.path === '/healthz');
    // Below the threshold: alive (and ready, by the last verdict the main thread posted).
    const early = healthz.filter((s) => s.at + s.ms < t0 + 700);
    expect(early.length).toBeGreaterThan(0);
    expect(early.every((s) => s.status === 200)).toBe(true);
    // Past it: stuck, with the reason; readiness fails with it.
    const late = during.filter((s) => s.at > t0 + 1400);
    expect(late.filter((s) => s.path === '/healthz').every((s) => s.status === 503 && JSON.parse(s.body).status === 'stuck')).toBe(true);
    expect(late.filter((s) => s.path === '/healthz').length).toBeGreaterThan(0);
    expect(late.filter((s) => s.path === '/readyz').every((s) => s.status === 503 && /main event loop has not run/.test(JSON.parse(s.body).checks.main))).toBe(true);
    // Metrics: the newest snapshot, however old, with its age.
    const scrape = late.find((s) => s.path === '/metrics');
    expect(scrape?.status).toBe(200);
    expect(Number(/^livelab_probe_metrics_age_seconds\S* ([\d.]+)$/m.exec(scrape?.body ?? '')?.[1])).toBeGreaterThan(0.9);

    // Free again: alive.
    expect((await get(port, '/healthz')).status).toBe(200);
  });

  it('fails readiness once draining, and stop() closes the listener and ends the thread', async () => {
    health.setDraining();
    await probe.refresh();
    const r = await get(port, '/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.text).checks.shutdown).toBe('draining');
    await probe.stop(200);
    await expect(get(port, '/healthz')).rejects.toThrow();
  });
});
