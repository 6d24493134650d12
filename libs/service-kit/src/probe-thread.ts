// Probes and metrics on their own event loop (issue 16): a worker thread owns the probe listener, so /healthz,
// /readyz and /metrics answer in milliseconds however busy the main event loop is. What they report is the main
// thread's:
// - liveness: the main loop writes the time into a SharedArrayBuffer every HEARTBEAT_MS; the worker fails /healthz
//   (503, with the reason) once that heartbeat is older than `stuckAfterMs` — a loop that is slow still turns and
//   stays alive, a loop that is stuck (a busy loop, a deadlock in native code) gets the pod restarted;
// - readiness: the main thread evaluates its HealthState every READINESS_MS and posts the verdict when it changes;
//   a main loop past `stuckAfterMs` is also not ready;
// - metrics: the main thread posts a snapshot (prom-client's text) every METRICS_EVERY_MS while someone scrapes (a
//   scrape within the last SCRAPED_RECENTLY_MS; nothing is made when nobody scrapes), and at once on a scrape when
//   its newest is older than that. The worker serves the newest snapshot at once; only one older than
//   METRICS_FRESH_MS makes it wait for a fresh one, at most METRICS_WAIT_MS (FIRST_METRICS_WAIT_MS when it has none
//   yet). So a scrape is ≤ ~1 s stale plus the main loop's lag while the loop keeps up, and as stale as the loop is
//   busy when it does not; every scrape carries the snapshot's age and the heartbeat's age as gauges.
// The worker's code is a function serialized with toString() and run with `eval: true`: it reaches only Node's
// builtins (through require) and what it is given in workerData, so it runs the same from the sources (jest, tsx)
// and from an app's esbuild bundle, where no separate worker file exists.
import { Worker } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import { limitConnections } from './connection-limits';
import type { HealthState } from './health';
import type { Logger } from './logger';

/** Liveness fails after the main event loop has not run for this long (ms), unless told otherwise. */
export const DEFAULT_STUCK_AFTER_MS = 10_000;
const HEARTBEAT_MS = 100;
const READINESS_MS = 250;
const METRICS_EVERY_MS = 1000;
const SCRAPED_RECENTLY_MS = 60_000;
const METRICS_FRESH_MS = 2000;
const METRICS_WAIT_MS = 50;
const FIRST_METRICS_WAIT_MS = 1000;
/**
 * Connections the probe listener holds at once (a scraper and the kubelet need a few), and from one address: a peer
 * that floods the port churns its own 16 slots (connection-limits.ts says how), so a probe from elsewhere gets in.
 */
const MAX_CONNECTIONS = 256;
const MAX_CONNECTIONS_PER_ADDRESS = 16;
/**
 * A probe's request is one packet: its headers get 1 s, the whole request 2 s (a body trickled slowly is cut), an
 * idle keep-alive socket 5 s; Node checks these every second (connection-limits.ts).
 */
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const KEEP_ALIVE_TIMEOUT_MS = 5000;

export interface ProbeThreadOptions {
  health: HealthState;
  registry: Registry;
  port: number;
  host?: string;
  /** Liveness (and readiness) fail once the main loop's heartbeat is older than this (ms). */
  stuckAfterMs?: number;
  /** Labels on the thread's own gauges (the registry's default labels, e.g. { service: 'packager' }). */
  labels?: Record<string, string>;
  logger?: Logger;
}

/** What the worker is given (structured-cloned; the heartbeat's buffer is shared). */
interface ProbeWorkerData {
  heartbeat: SharedArrayBuffer;
  port: number;
  host?: string;
  stuckAfterMs: number;
  metricsFreshMs: number;
  metricsWaitMs: number;
  firstMetricsWaitMs: number;
  metricsContentType: string;
  labels: string;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

type ToWorker = { type: 'readiness'; ready: boolean; body: string } | { type: 'metrics'; text: string; at: number } | { type: 'close'; graceMs: number };
type FromWorker = { type: 'listening'; port: number } | { type: 'listen-error'; code?: string; message: string } | { type: 'metrics-wanted' };

export class ProbeThread {
  private worker?: Worker;
  private exited: Promise<void> = Promise.resolve();
  private readonly heartbeat = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly timers: NodeJS.Timeout[] = [];
  private readiness = '';
  private scrapedAt = -Infinity;
  private snapshotAt = -Infinity;
  private makingSnapshot = false;

  constructor(private readonly opts: ProbeThreadOptions) {}

  /** Starts the worker and its listener (port 0 = ephemeral); resolves with the bound port, rejects like listen(). */
  async start(): Promise<number> {
    this.beat();
    const labels = Object.entries(this.opts.labels ?? {})
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    const data: ProbeWorkerData = {
      heartbeat: this.heartbeat.buffer as SharedArrayBuffer,
      port: this.opts.port,
      host: this.opts.host,
      stuckAfterMs: this.opts.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS,
      metricsFreshMs: METRICS_FRESH_MS,
      metricsWaitMs: METRICS_WAIT_MS,
      firstMetricsWaitMs: FIRST_METRICS_WAIT_MS,
      metricsContentType: this.opts.registry.contentType,
      labels: labels ? `{${labels}}` : '',
      maxConnections: MAX_CONNECTIONS,
      maxConnectionsPerAddress: MAX_CONNECTIONS_PER_ADDRESS,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
    };
    // A small heap: what a probe client can make the worker hold is bounded by its connection cap anyway.
    // esbuild with keepNames (tsx does that) wraps functions in a `__name(fn, "name")` helper from the module scope:
    // the serialized code gets a stand-in. limitConnections is self-contained and goes along as an argument.
    const code = `const __name = (f) => f;\n(${probeWorkerMain.toString()})(${limitConnections.toString()});`;
    const worker = (this.worker = new Worker(code, { eval: true, workerData: data, resourceLimits: { maxOldGenerationSizeMb: 32 } }));
    worker.unref(); // the process's life is the main thread's
    this.exited = new Promise<void>((r) => worker.once('exit', () => r()));
    worker.on('error', (err) => this.opts.logger?.error({ err }, 'probe thread failed: probes no longer answer'));
    const port = await new Promise<number>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'listening') resolve(m.port);
        else if (m.type === 'listen-error') {
          void worker.terminate();
          reject(Object.assign(new Error(m.message), { code: m.code, port: this.opts.port }));
        } else if (m.type === 'metrics-wanted') {
          this.scrapedAt = Date.now();
          if (Date.now() - this.snapshotAt >= METRICS_EVERY_MS) void this.postMetrics();
        }
      });
      worker.once('exit', () => reject(new Error('the probe thread exited before listening')));
    });
    this.timers.push(
      setInterval(() => this.beat(), HEARTBEAT_MS),
      setInterval(() => void this.postReadiness(), READINESS_MS),
      setInterval(() => Date.now() - this.scrapedAt < SCRAPED_RECENTLY_MS && void this.postMetrics(), METRICS_EVERY_MS),
    );
    for (const t of this.timers) t.unref();
    await this.postReadiness();
    return port;
  }

  /** Re-evaluates readiness now (e.g. right after draining started) instead of at the next tick. */
  refresh(): Promise<void> {
    return this.postReadiness();
  }

  /** Closes the listener (in-flight probes finish, at most `graceMs`) and ends the worker. */
  async stop(graceMs = 1000): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    const w = this.worker;
    if (!w) return;
    this.worker = undefined;
    this.post(w, { type: 'close', graceMs });
    const timer = setTimeout(() => void w.terminate(), graceMs + 1000);
    await this.exited;
    clearTimeout(timer);
  }

  private beat(): void {
    Atomics.store(this.heartbeat, 0, BigInt(Date.now()));
  }

  private post(w: Worker | undefined, m: ToWorker): void {
    w?.postMessage(m);
  }

  private async postReadiness(): Promise<void> {
    const r = await this.opts.health.readiness();
    const body = JSON.stringify({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
    if (body === this.readiness) return;
    this.readiness = body;
    this.post(this.worker, { type: 'readiness', ready: r.ready, body });
  }

  private async postMetrics(): Promise<void> {
    if (this.makingSnapshot) return;
    this.makingSnapshot = true;
    try {
      const text = await this.opts.registry.metrics();
      this.snapshotAt = Date.now();
      this.post(this.worker, { type: 'metrics', text, at: this.snapshotAt });
    } finally {
      this.makingSnapshot = false;
    }
  }
}

/**
 * The worker thread's whole program (serialized: it must not use anything from this module's scope). Raw node:http:
 * four answers, no framework to load into the thread.
 */
function probeWorkerMain(limit: typeof limitConnections): void {
  // The serialized worker has no imports, only require.
  const { parentPort, workerData }: typeof import('node:worker_threads') = require('node:worker_threads');
  const { createServer }: typeof import('node:http') = require('node:http');
  const d = workerData as ProbeWorkerData;
  const port = parentPort as NonNullable<typeof parentPort>;
  const heartbeat = new BigInt64Array(d.heartbeat);
  let readiness = { ready: false, body: JSON.stringify({ status: 'not ready', checks: { main: 'starting' } }) };
  let metrics: { text: string; at: number } | undefined;
  const waiting = new Set<() => void>();

  const heartbeatAgeMs = () => Date.now() - Number(Atomics.load(heartbeat, 0));
  const stuck = () => {
    const age = heartbeatAgeMs();
    return age > d.stuckAfterMs ? `the main event loop has not run for ${age} ms (limit ${d.stuckAfterMs} ms)` : undefined;
  };
  const json = 'application/json; charset=utf-8';
  type Res = import('node:http').ServerResponse;
  const answer = (res: Res, head: boolean, status: number, type: string, body: string, extra: string[] = []) => {
    const b = Buffer.from(body);
    res.writeHead(status, ['Content-Type', type, 'Content-Length', String(b.length), 'Cache-Control', 'no-store', ...extra]);
    res.end(head ? undefined : b);
  };
  const gauge = (name: string, help: string, value: number) => `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name}${d.labels} ${value}\n`;
  const sendMetrics = (res: Res, head: boolean) => {
    if (!metrics) return answer(res, head, 503, json, JSON.stringify({ error: 'no metrics snapshot yet: the main event loop has not answered' }), ['Retry-After', '1']);
    const text =
      metrics.text +
      gauge('livelab_probe_metrics_age_seconds', 'How old the metrics in this scrape are (the main thread made them).', (Date.now() - metrics.at) / 1000) +
      gauge('livelab_probe_heartbeat_age_seconds', "Time since the main event loop's last heartbeat.", heartbeatAgeMs() / 1000);
    answer(res, head, 200, d.metricsContentType, text);
  };

  port.on('message', (m: ToWorker) => {
    if (m.type === 'readiness') readiness = { ready: m.ready, body: m.body };
    else if (m.type === 'metrics') {
      metrics = { text: m.text, at: m.at };
      for (const w of [...waiting]) w();
    } else if (m.type === 'close') {
      server.close(() => port.close());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), m.graceMs).unref();
    }
  });

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const head = req.method === 'HEAD';
    if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
      return answer(res, head, 404, json, JSON.stringify({ error: 'not found: this port serves /healthz, /readyz and /metrics' }));
    }
    if (req.method !== 'GET' && !head) return answer(res, false, 405, json, JSON.stringify({ error: `${path} takes GET or HEAD` }), ['Allow', 'GET, HEAD']);
    const why = stuck();
    if (path === '/healthz') return why ? answer(res, head, 503, json, JSON.stringify({ status: 'stuck', error: why })) : answer(res, head, 200, json, JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      if (why) return answer(res, head, 503, json, JSON.stringify({ status: 'not ready', checks: { main: why } }));
      return answer(res, head, readiness.ready ? 200 : 503, json, readiness.body);
    }
    port.postMessage({ type: 'metrics-wanted' } satisfies FromWorker); // the main thread coalesces these
    if (metrics && Date.now() - metrics.at < d.metricsFreshMs) return sendMetrics(res, head);
    // Wait briefly for a fresh snapshot; past that, the newest one (or a 503 if there is none yet).
    const done = () => {
      if (!waiting.delete(done)) return;
      clearTimeout(timer);
      if (!res.destroyed) sendMetrics(res, head);
    };
    const timer = setTimeout(done, metrics ? d.metricsWaitMs : d.firstMetricsWaitMs);
    waiting.add(done);
    res.once('close', () => {
      waiting.delete(done);
      clearTimeout(timer);
    });
  });
  limit(server, { maxConnections: d.maxConnections, maxPerAddress: d.maxConnectionsPerAddress, checkEveryMs: 1000 });
  server.keepAliveTimeout = d.keepAliveTimeoutMs;
  server.headersTimeout = d.headersTimeoutMs;
  server.requestTimeout = d.requestTimeoutMs;
  server.once('error', (err: NodeJS.ErrnoException) => port.postMessage({ type: 'listen-error', code: err.code, message: err.message } satisfies FromWorker));
  server.listen(d.port, d.host, () => {
    const a = server.address();
    port.postMessage({ type: 'listening', port: typeof a === 'object' && a ? a.port : d.port } satisfies FromWorker);
  });
}
