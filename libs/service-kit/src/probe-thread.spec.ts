// The probe thread answers while the main event loop is blocked, with the main thread's verdicts: the probes are
// fetched from a second worker thread (the client) while this test's main thread runs a deliberate busy loop.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
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


type Flood = 'half-open' | 'idle keep-alive' | 'slow body';
/** `count` raw sockets to the probe port from `from`, each doing `kind`; `open()` = how many the server still holds. */
function flood(port: number, from: string, count: number, kind: Flood): { connected: Promise<unknown>; open: () => number; end: () => void } {
  const sockets: Socket[] = [];
  const connected: Promise<void>[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < count; i++) {
    const s = connect({ host: '127.0.0.1', port, localAddress: from });
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.once('connect', () => {
      if (kind === 'half-open') s.write('GET /healthz HTTP/1.1\r\n');
      else if (kind === 'idle keep-alive') s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      else {
        s.write('POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
        timers.push(setInterval(() => s.writable && s.write('x'), 200));
      }
    });
    sockets.push(s);
    connected.push(new Promise((r) => (s.once('connect', r), s.once('close', r))));
  }
  return {
    connected: Promise.all(connected),
    open: () => sockets.filter((s) => !s.destroyed && !s.readableEnded).length,
    end: () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    },
  };
}

/** GET /healthz from the local address `from` on a fresh connection (as the kubelet does). */
function probeFrom(port: number, from: string): Promise<{ status: number; ms: number; body: string }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', localAddress: from, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - t0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ status: 0, ms: Date.now() - t0, body: String(e) }));
    req.end();
  });
}

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

  it('answers a probe from elsewhere during floods of half-open, idle keep-alive and slow-body sockets, and sheds them', async () => {
    // Loopback addresses stand for peers: to reach 127.0.0.2 the kernel picks the source 127.0.0.1, so every
    // socket here binds its local address (the probe's too) — connecting to another loopback address is not enough.
    const kinds: [Flood, number][] = [
      ['half-open', 10],
      ['idle keep-alive', 5],
      ['slow body', 5],
    ];
    const floods = kinds.flatMap(([kind, addresses], k) =>
      Array.from({ length: addresses }, (_, a) => ({ kind, from: `127.0.${10 + k}.${a + 1}`, f: flood(port, `127.0.${10 + k}.${a + 1}`, 40, kind) })),
    );
    try {
      // 800 sockets from 20 addresses: more than the 256 slots and 16 per address. (While they connect, a SYN can
      // find the listen backlog full and be retried after 1 s: that is the kernel's, not what this test is about.)
      await Promise.all(floods.map(({ f }) => f.connected));
      const probes: { status: number; ms: number; body: string }[] = [];
      const t0 = Date.now();
      while (Date.now() - t0 < 1500) {
        probes.push(await probeFrom(port, '127.0.0.2'));
        await sleepMs(50);
      }
      expect(probes.length).toBeGreaterThan(10);
      expect(probes.filter((p) => p.status !== 200)).toEqual([]);
      const ms = probes.map((p) => p.ms).sort((a, b) => a - b);
      expect(ms[Math.floor(ms.length / 2)]).toBeLessThan(100); // generous for a loaded box: they take ~2 ms
      expect(ms.at(-1)).toBeLessThan(1000);
      // Each flooding address holds at most its 16, all of them at most the 256.
      for (const { f } of floods) expect(f.open()).toBeLessThanOrEqual(16);
      expect(floods.reduce((n, { f }) => n + f.open(), 0)).toBeLessThanOrEqual(256);
      // A flood from the probe's own address does not starve it for long either: its oldest socket gives way.
      const own = flood(port, '127.0.0.3', 40, 'half-open');
      await sleepMs(200);
      expect(await probeFrom(port, '127.0.0.3')).toMatchObject({ status: 200 });
      own.end();
      // Half-open and slow-body sockets are cut by the header (1 s) and request (2 s) timeouts, checked every second.
      await sleepMs(Math.max(0, t0 + 3500 - Date.now()));
      for (const { kind, f } of floods) if (kind !== 'idle keep-alive') expect({ kind, open: f.open() }).toEqual({ kind, open: 0 });
    } finally {
      for (const { f } of floods) f.end();
    }
  }, 15_000);

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
