// The edge tier for tests: Debian's varnishd started with its own working directory, on a free loopback port, with
// the repository's VCL (docker/edge/default.vcl) and its origin.vcl pointed at the given origin; and a counting
// proxy to put between the edge and the packager, so a test sees every request the origin receives, per URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, Agent, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pollUntil } from '@livelab/service-kit';

export const VARNISHD = process.env['VARNISHD_PATH'] ?? '/usr/sbin/varnishd';
const EDGE_DIR = resolve(__dirname, '../../../docker/edge');

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface Edge {
  port: number;
  /** varnishd's own output (compile errors, child restarts). */
  log: () => string;
  /** CPU seconds (user + system) used so far by varnishd's manager and cache processes. */
  cpuSeconds: () => number;
  stop: () => Promise<void>;
}

/** varnishd in the foreground, no jail, malloc storage; resolves once its /readyz says the origin answered. */
export async function startEdge(origin: { host: string; port: number }): Promise<Edge> {
  const dir = mkdtempSync(join(tmpdir(), 'livelab-edge-'));
  const originVcl = readFileSync(join(EDGE_DIR, 'origin.vcl'), 'utf8')
    .replace(/\.host = "[^"]*";/, `.host = "${origin.host}";`)
    .replace(/\.port = "[^"]*";/, `.port = "${origin.port}";`);
  writeFileSync(join(dir, 'origin.vcl'), originVcl);
  const port = await freePort();
  // vcl_path: this run's origin.vcl first, then the repository's files.
  const args = ['-F', '-j', 'none', '-n', join(dir, 'n'), '-a', `127.0.0.1:${port}`, '-T', 'none', '-f', join(EDGE_DIR, 'default.vcl'),
    '-p', `vcl_path=${dir}:${EDGE_DIR}`, '-s', 'malloc,128m', '-p', 'thread_pool_min=200'];
  const child: ChildProcess = spawn(VARNISHD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pollUntil(
      'the edge to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`varnishd exited: ${out}`);
        const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
      30_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, log: () => out, stop, cpuSeconds: () => processTreeCpuSeconds(child.pid as number) };
}

const CLOCK_TICKS = 100; // Linux USER_HZ
/** utime + stime of a process and its live children, from /proc (Linux). */
function processTreeCpuSeconds(pid: number): number {
  const stat = (p: string) => {
    try {
      return readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    } catch {
      return undefined;
    }
  };
  let ticks = 0;
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const f = stat(p); // fields after the command name: state ppid … utime(12) stime(13)
    if (f && (p === String(pid) || f[1] === String(pid))) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / CLOCK_TICKS;
}

/** Forwards every request to the origin unchanged (responses streamed as they arrive) and counts them by URL. */
export class CountingProxy {
  readonly counts = new Map<string, number>();
  private server?: Server;
  private readonly agent = new Agent({ keepAlive: true });
  port = 0;

  constructor(private readonly origin: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createHttpServer((req, res) => {
      const url = req.url ?? '/';
      this.counts.set(url, (this.counts.get(url) ?? 0) + 1);
      const up = httpRequest({ host: this.origin.host, port: this.origin.port, method: req.method, path: url, headers: req.headers, agent: this.agent }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.on('data', (c: Buffer) => res.write(c)); // each chunk on at once: no buffering of a segment in progress
        r.on('end', () => res.end());
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => (this.server as Server).listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Counts since the last reset. */
  reset(): void {
    this.counts.clear();
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.agent.destroy();
  }
}
