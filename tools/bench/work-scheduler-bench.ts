// Work-server scheduler benchmark (`npx nx run work-server:bench`; builds first): scheduler RPCs per second and
// latency percentiles for one SQLite server, one PostgreSQL replica and three replicas on one PostgreSQL, in the
// same run, arms alternated BENCH_ROUNDS times. BENCH_HOSTS simulated hosts (default 48) each loop: one scheduler
// RPC that reports the task it got last time (a correct result, computed in-process: units are tiny) and asks for
// one more; the hosts are spread over the replicas. Also the server side's CPU time per RPC (the servers, and
// PostgreSQL's processes for its arms), which a busy box distorts less than the rate. Env: BENCH_SECONDS (per arm, 8), BENCH_ROUNDS (2), BENCH_HOSTS.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTestPostgres } from '@livelab/work-server-core/testing';
import { sieveRange } from '@livelab/work-sieve';
import type { AttachReply, ReportedResult, SchedulerReply } from '@livelab/work-protocol';

const root = resolve(__dirname, '../..');
// BENCH_SERVER_JS: another build of the server (e.g. an older commit's, for a before/after comparison)
const SERVER_JS = process.env['BENCH_SERVER_JS'] ?? join(root, 'dist/apps/work-server/main.js');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2);
const HOSTS = Number(process.env['BENCH_HOSTS'] ?? 48);
const KEY = 'bench-account-key-0123456789abcdef';

function startServer(env: Record<string, string>): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [SERVER_JS], {
    env: { PATH: process.env['PATH'] ?? '', HTTP_PORT: '0', WORK_ACCOUNT_KEY: KEY, WORK_REQUEST_DELAY_S: '0', WORK_RANGE_HI: String(2 ** 40), WORK_UNIT_SPAN: '2000', WORK_CUSHION: '64', WORK_ATTACH_BURST: '1000', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ok, fail) => {
    let buf = '';
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"port":(\d+)[^\n]*"msg":"work server listening"/.exec(buf);
      if (m) {
        proc.stdout?.removeAllListeners('data');
        proc.stdout?.resume();
        ok({ proc, port: Number(m[1]) });
      }
    });
    proc.once('exit', (code) => fail(new Error(`work-server exited ${code}`)));
  });
}

/**
 * CPU seconds (user + system) used so far by the processes `pids` and their children (PostgreSQL's backends
 * are the postmaster's children), from /proc. On a box shared with other jobs the RPC rate moves with their load;
 * the CPU time one RPC costs the server side moves much less, so the bench reports both.
 */
function cpuSeconds(pids: number[]): number {
  const tick = 100; // USER_HZ on Linux
  const stats = new Map<number, { ppid: number; cpu: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields after "(comm)": state ppid … utime (14th of the line) stime (15th)
      stats.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / tick });
    } catch {
      // the process ended while we looked
    }
  }
  let sum = 0;
  for (const [pid, s] of stats) if (pids.includes(pid) || pids.includes(s.ppid)) sum += s.cpu;
  return sum;
}

async function post<T>(port: number, path: string, body: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function load(ports: number[], pids: number[], pgPids: number[]): Promise<{ rps: number; p50: number; p99: number; errors: number; cpuMsPerRpc: number; pgCpuMsPerRpc: number }> {
  const host = { name: 'bench', cores: 1, memory_mb: 512, numbers_per_second: 2000 };
  const creds = await Promise.all(Array.from({ length: HOSTS }, (_, i) => post<AttachReply>(ports[i % ports.length], '/v1/attach', { authenticator: KEY, host })));
  const latencies: number[] = [];
  let errors = 0;
  const cpu0 = cpuSeconds(pids);
  const pgCpu0 = cpuSeconds(pgPids);
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    creds.map(async (c, i) => {
      const port = ports[i % ports.length];
      let results: ReportedResult[] = [];
      while (Date.now() < end) {
        const t0 = performance.now();
        try {
          const reply = await post<SchedulerReply>(port, '/v1/scheduler', {
            authenticator: KEY, host_id: c.host_id, host_authenticator: c.host_authenticator, host, work_req_seconds: 1, results, in_progress: [],
          });
          latencies.push(performance.now() - t0);
          results = reply.tasks.map((t) => ({ task_id: t.task_id, outcome: 'success', output: sieveRange(t.input.lo, t.input.hi), elapsed_s: 0.001 }));
        } catch {
          errors++;
        }
      }
    }),
  );
  const cpuMsPerRpc = ((cpuSeconds(pids) - cpu0) * 1000) / Math.max(1, latencies.length);
  const pgCpuMsPerRpc = ((cpuSeconds(pgPids) - pgCpu0) * 1000) / Math.max(1, latencies.length);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { rps: latencies.length / SECONDS, p50: q(0.5), p99: q(0.99), errors, cpuMsPerRpc, pgCpuMsPerRpc };
}

async function main() {
  const pg = await startTestPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'work-bench-'));
  const arms: Array<{ name: string; postgres?: boolean; start: () => Promise<Array<{ proc: ChildProcess; port: number }>> }> = [
    { name: 'SQLite, 1 server', start: async () => [await startServer({ WORK_DB_PATH: join(dir, `bench-${Date.now()}.db`) })] },
    ...[1, 3].map((n) => ({
      name: `PostgreSQL, ${n} replica${n > 1 ? 's' : ''}`,
      postgres: true,
      start: async () => {
        const urlFile = join(dir, `url-${Date.now()}`);
        writeFileSync(urlFile, await pg.createDatabase(), { mode: 0o600 });
        const first = await startServer({ WORK_DATABASE_URL_FILE: urlFile });
        const rest = await Promise.all(Array.from({ length: n - 1 }, () => startServer({ WORK_DATABASE_URL_FILE: urlFile })));
        return [first, ...rest];
      },
    })),
  ];
  const results = new Map<string, Array<Awaited<ReturnType<typeof load>>>>();
  process.stderr.write(`bench: ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()[0].toFixed(2)}, ${HOSTS} hosts, ${SECONDS} s per arm, ${ROUNDS} rounds\n`);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const arm of arms) {
        const servers = await arm.start();
        try {
          const r = await load(servers.map((s) => s.port), servers.map((s) => s.proc.pid ?? 0), arm.postgres ? [pg.pid] : []);
          process.stderr.write(`${arm.name}: ${r.rps.toFixed(0)} RPC/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, CPU ms/RPC ${r.cpuMsPerRpc.toFixed(2)} server + ${r.pgCpuMsPerRpc.toFixed(2)} PostgreSQL, ${r.errors} errors (load ${loadavg()[0].toFixed(1)})\n`);
          results.set(arm.name, [...(results.get(arm.name) ?? []), r]);
        } finally {
          for (const s of servers) s.proc.kill('SIGTERM');
          await Promise.all(servers.map((s) => new Promise((r) => (s.proc.exitCode !== null ? r(null) : s.proc.once('exit', r)))));
        }
      }
    }
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write('| back end | scheduler RPC/s | p50 | p99 | CPU ms per RPC: server + PostgreSQL | errors |\n|---|---|---|---|---|---|\n');
  for (const [name, rs] of results) {
    const best = rs.reduce((a, b) => (b.rps > a.rps ? b : a));
    process.stdout.write(`| ${name} | ${rs.map((r) => r.rps.toFixed(0)).join(' / ')} | ${best.p50.toFixed(1)} ms | ${rs.map((r) => r.p99.toFixed(1)).join(' / ')} ms | ${rs.map((r) => `${r.cpuMsPerRpc.toFixed(2)} + ${r.pgCpuMsPerRpc.toFixed(2)}`).join(' / ')} | ${rs.reduce((a, r) => a + r.errors, 0)} |\n`);
  }
}

void main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
