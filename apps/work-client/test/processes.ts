import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@livelab/service-kit';

export const ROOT = join(__dirname, '../../..');
export const SERVER_JS = join(ROOT, 'dist/apps/work-server/main.js');
export const CLIENT_JS = join(ROOT, 'dist/apps/work-client/main.js');

export function assertBuilt(): void {
  for (const f of [SERVER_JS, CLIENT_JS]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npx nx test work-client\` (it builds both apps first)`);
  }
}

/** A real child process with its JSON log lines collected. */
export class Proc {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>> = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(script: string, env: Record<string, string>, cwd: string) {
    this.child = spawn(process.execPath, [script], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          this.lines.push({ msg: line });
        }
      }
    });
    this.child.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  find(msg: string): Record<string, unknown> | undefined {
    return this.lines.find((l) => l['msg'] === msg);
  }

  async waitFor(msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return pollUntil(`log line "${msg}"`, () => this.find(msg), timeoutMs);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}


export const ACCOUNT_KEY = 'e2e-account-key-0123456789';

export function serverEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HTTP_PORT: '0',
    WORK_DB_PATH: join(dir, 'work.db'),
    WORK_ACCOUNT_KEY: ACCOUNT_KEY,
    WORK_REQUEST_DELAY_S: '0.2',
    WORK_BACKEND_INTERVAL_MS: '200',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export function clientEnv(serverPort: number, stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONTROL_PORT: '0',
    CONTROL_PASSWORD: 'control-pw',
    WORK_ACCOUNT_KEY: ACCOUNT_KEY,
    WORK_SERVER_URL: `http://127.0.0.1:${serverPort}`,
    WORK_STATE_DIR: stateDir,
    WORK_BUF_MIN_S: '1',
    WORK_BUF_EXTRA_S: '1',
    WORK_BACKOFF_MIN_MS: '100',
    WORK_BACKOFF_MAX_MS: '1000',
    WORK_CHECKPOINT_INTERVAL_MS: '100',
    WORK_PROGRESS_LOG_INTERVAL_MS: '1000',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** `node work-server/main.js account create <name>` on the database in `dir`: the new account's keys. */
export function createAccount(dir: string, name: string): { id: number; account_key: string; weak_key: string } {
  const r = spawnSync(process.execPath, [SERVER_JS, 'account', 'create', name], { cwd: dir, env: { PATH: process.env['PATH'] ?? '', WORK_DB_PATH: join(dir, 'work.db') }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`account create ${name} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export async function summary(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/v1/summary`);
  return (await res.json()) as {
    complete: boolean;
    quorum_counts: 'accounts' | 'hosts';
    accounts: Array<{ id: number; name: string; hosts: number; credit: number }>;
    primes_counted: number;
    numbers_done: number;
    checks: Array<{ x: number; known: number; computed: number | null; ok: boolean | null }>;
    results: Array<{ server_state: string; outcome: string | null; validate_state: string; n: number }>;
  };
}
