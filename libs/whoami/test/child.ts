// whoami as a child process for the hostile-input tests: a crash is a dead child (not a dead test runner) and its
// memory is measured from /proc. The child is esbuild's bundle of the app's own runWhoami.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

let bundle: string | undefined;
function childBundle(): string {
  if (bundle) return bundle;
  const out = join(mkdtempSync(join(tmpdir(), 'whoami-child-')), 'child.js');
  buildSync({ entryPoints: [join(__dirname, 'fixtures/child-main.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error' });
  bundle = out;
  return out;
}

export interface Child {
  proc: ChildProcess;
  port: number;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  alive(): boolean;
  /** Current and peak resident set size, bytes (VmRSS, VmHWM). */
  memory(): { rss: number; peak: number };
  /** SIGTERM; resolves with the exit code and how long the exit took (ms). */
  stop(): Promise<{ code: number | null; ms: number }>;
}

export async function startChild(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const proc = spawn(process.execPath, [childBundle(), '--port', '0', ...args], {
    env: { PATH: process.env['PATH'], LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d) => (out += d));
  proc.stderr?.on('data', (d) => (out += d));
  let exited = false;
  proc.on('exit', () => (exited = true));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`child did not start:\n${out}`)), 20_000);
    const check = () => {
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    };
    proc.stdout?.on('data', check);
    proc.on('exit', () => reject(new Error(`child exited:\n${out}`)));
  });
  const status = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0) * 1024;
  };
  return {
    proc,
    port,
    output: () => out,
    alive: () => !exited && proc.exitCode === null && proc.signalCode === null,
    memory: () => ({ rss: status('VmRSS'), peak: status('VmHWM') }),
    stop: () =>
      new Promise((resolve) => {
        const t0 = Date.now();
        if (exited) return resolve({ code: proc.exitCode, ms: 0 });
        proc.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
        proc.kill('SIGTERM');
      }),
  };
}

/** The child still serves: `/bench` answers and a fresh WebSocket client's echo comes back. */
export async function echoWorks(port: number, message = `ping-${Math.random()}`): Promise<boolean> {
  const { default: WebSocket } = await import('ws');
  const bench = await httpCall(port, 'GET', '/bench').catch(() => undefined);
  if (bench?.body !== '1') return false;
  return new Promise<boolean>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
    const t = setTimeout(() => (ws.terminate(), resolve(false)), 5000);
    ws.on('error', () => (clearTimeout(t), resolve(false)));
    ws.on('open', () => ws.send(message));
    ws.on('message', (d) => {
      clearTimeout(t);
      ws.close();
      resolve(d.toString() === message);
    });
  });
}

/** One HTTP request on its own connection (no keep-alive agent left behind). */
export function httpCall(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
