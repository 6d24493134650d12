// Volunteer-computing benchmark (`npx nx run work-client:bench`):
//  1. sieve throughput vs Debian's `primesieve` CLI, both single-threaded, same range, same run, alternating,
//     best of BENCH_REPEATS each; primesieve's time is its own `--time` figure (sieving only, no process start),
//     ours is the in-process call:
//     a. like with like: @livelab/work-sieve countPrimes (the bare sieve + popcount) vs `primesieve --count`
//        → the "sieve throughput" ratio of issue 4;
//     b. the full task (count + sum + sha256 chain of every prime, what a work unit computes) vs the same
//        `primesieve --count` → does strictly more work (enumerates and hashes ~10^7 primes), reported as well;
//  2. protocol overhead: the built work-server + one work-client over BENCH_UNITS units; overhead share =
//     (wall time − compute time) / wall time, wall from client start until the server has every result.
// Env: BENCH_LO (1e9), BENCH_SPAN (2e8), BENCH_REPEATS (5), BENCH_SEGMENT_KIB (256, our sieve's segment size),
// BENCH_UNITS (6), BENCH_UNIT_SPAN (1e9), BENCH_SKIP_OVERHEAD (unset: set to 1 to run part 1 only).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { SegmentedSieve, countPrimes, initialCheckpoint } from '@livelab/work-sieve';

const num = (name: string, d: number) => Number(process.env[name] ?? d);
const LO = num('BENCH_LO', 1e9);
const SPAN = num('BENCH_SPAN', 2e8);
const REPEATS = num('BENCH_REPEATS', 5);
const SEGMENT_BYTES = num('BENCH_SEGMENT_KIB', 256) * 1024;
const UNITS = num('BENCH_UNITS', 6);
const UNIT_SPAN = num('BENCH_UNIT_SPAN', 1e9);
const ROOT = join(__dirname, '../..');

function primesieve(lo: number, hi: number): { seconds: number; count: number } {
  const r = spawnSync('primesieve', [String(lo), String(hi - 1), '-t1', '--count', '--time'], { encoding: 'utf8' });
  if (r.error) throw new Error(`primesieve not runnable (apt-get install primesieve): ${r.error.message}`);
  const out = r.stdout + r.stderr;
  const seconds = Number(/Seconds:\s*([\d.]+)/.exec(out)?.[1]);
  const count = Number(/Primes:\s*(\d+)/.exec(out)?.[1] ?? /^(\d+)\s*$/m.exec(out)?.[1]);
  return { seconds, count };
}

function timed<T>(f: () => T): { seconds: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = f();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

function fullTask(lo: number, hi: number) {
  const s = new SegmentedSieve(initialCheckpoint(lo, hi), SEGMENT_BYTES);
  while (!s.done) s.step();
  return s.result();
}

function throughput() {
  const hi = LO + SPAN;
  const best = { count: Infinity, full: Infinity, primesieve: Infinity };
  const counts = new Set<number>();
  for (let i = 0; i < REPEATS; i++) {
    // alternate so all three see the same background load
    const c = timed(() => countPrimes(LO, hi, SEGMENT_BYTES));
    best.count = Math.min(best.count, c.seconds);
    counts.add(c.value);
    const p = primesieve(LO, hi);
    best.primesieve = Math.min(best.primesieve, p.seconds);
    counts.add(p.count);
    const f = timed(() => fullTask(LO, hi));
    best.full = Math.min(best.full, f.seconds);
    counts.add(f.value.count);
  }
  if (counts.size !== 1) throw new Error(`counts differ: ${[...counts].join(', ')}`);
  return { ...best, primes: [...counts][0] };
}

async function overhead() {
  const dir = mkdtempSync(join(tmpdir(), 'sieve-bench-'));
  const key = 'bench-account-key-0123456789';
  const base = { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info' };
  const server = spawn(process.execPath, [join(ROOT, 'dist/apps/work-server/main.js')], {
    env: { ...base, HTTP_PORT: '0', WORK_DB_PATH: join(dir, 'work.db'), WORK_ACCOUNT_KEY: key, WORK_RANGE_LO: String(LO), WORK_RANGE_HI: String(LO + UNITS * UNIT_SPAN), WORK_UNIT_SPAN: String(UNIT_SPAN), WORK_MIN_QUORUM: '1', WORK_TARGET_NRESULTS: '1', WORK_REQUEST_DELAY_S: '1', WORK_CUSHION: '4' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let client: ReturnType<typeof spawn> | undefined;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let buf = '';
      server.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /"port":(\d+)/.exec(buf);
        if (m) resolve(Number(m[1]));
      });
      server.once('exit', () => reject(new Error('work-server exited')));
    });
    const t0 = Date.now();
    client = spawn(process.execPath, [join(ROOT, 'dist/apps/work-client/main.js')], {
      env: { ...base, CONTROL_PORT: '0', CONTROL_PASSWORD: 'bench-pw', WORK_ACCOUNT_KEY: key, WORK_SERVER_URL: `http://127.0.0.1:${port}`, WORK_STATE_DIR: join(dir, 'client'), WORK_BUF_MIN_S: '5', WORK_BUF_EXTRA_S: '5', WORK_BACKOFF_MIN_MS: '200', WORK_BACKOFF_MAX_MS: '2000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let compute = 0;
    let firstStart = 0;
    let lastFinish = 0;
    let rpcs = 0;
    let cbuf = '';
    client.stdout?.on('data', (d: Buffer) => {
      cbuf += d.toString();
      let i;
      while ((i = cbuf.indexOf('\n')) >= 0) {
        const line = JSON.parse(cbuf.slice(0, i)) as { msg: string; elapsedS?: number; time: string };
        cbuf = cbuf.slice(i + 1);
        if (line.msg === 'task started' && !firstStart) firstStart = Date.parse(line.time);
        if (line.msg === 'task finished') {
          compute += line.elapsedS ?? 0;
          lastFinish = Date.parse(line.time);
        }
        if (line.msg === 'scheduler reply') rpcs++;
      }
    });
    for (;;) {
      const s = (await (await fetch(`http://127.0.0.1:${port}/v1/summary`)).json()) as { complete: boolean };
      if (s.complete) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const end = Date.now();
    const wall = (end - t0) / 1000;
    const busy = (lastFinish - firstStart) / 1000;
    const startup = (firstStart - t0) / 1000;
    const tail = (end - lastFinish) / 1000;
    return { wall, compute, rpcs, startup, tail, share: (wall - compute) / wall, steadyShare: (busy - compute) / busy };
  } finally {
    client?.kill('SIGTERM');
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  }
}

void (async () => {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`# sieve benchmark ${new Date().toISOString()} on ${cpus().length} × ${cpu}, load ${loadavg()[0].toFixed(2)}`);
  const t = throughput();
  const rate = (s: number) => `${(SPAN / s / 1e6).toFixed(0)} M numbers/s`;
  console.log(`range [${LO}, ${LO + SPAN}) — ${t.primes} primes (all counts agree), best of ${REPEATS}, alternating, our segment ${SEGMENT_BYTES / 1024} KiB`);
  console.log(`| primesieve -t1 --count (its --time) | ${t.primesieve.toFixed(3)} s | ${rate(t.primesieve)} |`);
  console.log(`| @livelab/work-sieve countPrimes (count only) | ${t.count.toFixed(3)} s | ${rate(t.count)} |`);
  console.log(`| @livelab/work-sieve full task (count + sum + sha256 chain) | ${t.full.toFixed(3)} s | ${rate(t.full)} |`);
  console.log(`sieve throughput ratio, count only vs count only: ${(t.primesieve / t.count).toFixed(3)}×`);
  console.log(`full task vs primesieve's count (strictly more work): ${(t.primesieve / t.full).toFixed(3)}×`);
  if (process.env['BENCH_SKIP_OVERHEAD'] === '1') return;
  const o = await overhead();
  console.log(`protocol: ${UNITS} units × ${UNIT_SPAN}: wall ${o.wall.toFixed(2)} s, compute ${o.compute.toFixed(2)} s, ${o.rpcs} scheduler replies, overhead ${(o.share * 100).toFixed(2)} % of wall time (from client start to last result stored); between first task start and last task end: ${(o.steadyShare * 100).toFixed(2)} %; client start → first task start ${o.startup.toFixed(2)} s, last task end → all results stored ${o.tail.toFixed(2)} s`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
