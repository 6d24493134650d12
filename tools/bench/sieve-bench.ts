// Volunteer-computing benchmark (`npx nx run work-client:bench`):
//  1. sieve throughput of @livelab/work-sieve (count + sum + sha256 chain) vs Debian's `primesieve` CLI
//     (count only), both single-threaded, same range, same run → ratio;
//  2. protocol overhead: the built work-server + one work-client over BENCH_UNITS units; overhead share =
//     (wall time − compute time) / wall time, wall from client start until the server has every result.
// Env: BENCH_LO (1e9), BENCH_SPAN (2e8), BENCH_REPEATS (3), BENCH_UNITS (10), BENCH_UNIT_SPAN (2e8).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { sieveRange } from '@livelab/work-sieve';

const num = (name: string, d: number) => Number(process.env[name] ?? d);
const LO = num('BENCH_LO', 1e9);
const SPAN = num('BENCH_SPAN', 2e8);
const REPEATS = num('BENCH_REPEATS', 3);
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

async function throughput() {
  const hi = LO + SPAN;
  let ours = Infinity;
  let theirs = Infinity;
  let ourCount = 0;
  let theirCount = 0;
  for (let i = 0; i < REPEATS; i++) {
    // alternate so both see the same background load
    const t0 = process.hrtime.bigint();
    ourCount = sieveRange(LO, hi).count;
    ours = Math.min(ours, Number(process.hrtime.bigint() - t0) / 1e9);
    const p = primesieve(LO, hi);
    theirs = Math.min(theirs, p.seconds);
    theirCount = p.count;
  }
  if (ourCount !== theirCount) throw new Error(`counts differ: ours ${ourCount}, primesieve ${theirCount}`);
  return { ours, theirs, count: ourCount };
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
    const wall = (Date.now() - t0) / 1000;
    const busy = (lastFinish - firstStart) / 1000;
    return { wall, compute, rpcs, share: (wall - compute) / wall, steadyShare: (busy - compute) / busy };
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
  const t = await throughput();
  const rate = (s: number) => `${((SPAN / s) / 1e6).toFixed(0)} M numbers/s`;
  console.log(`range [${LO}, ${LO + SPAN}) — ${t.count} primes, best of ${REPEATS}`);
  console.log(`| @livelab/work-sieve (count+sum+sha256) | ${t.ours.toFixed(3)} s | ${rate(t.ours)} |`);
  console.log(`| primesieve -t1 --count | ${t.theirs.toFixed(3)} s | ${rate(t.theirs)} |`);
  console.log(`ratio (ours / primesieve speed): ${(t.theirs / t.ours).toFixed(3)}×`);
  const o = await overhead();
  console.log(`protocol: ${UNITS} units × ${UNIT_SPAN}: wall ${o.wall.toFixed(2)} s, compute ${o.compute.toFixed(2)} s, ${o.rpcs} scheduler replies, overhead ${(o.share * 100).toFixed(2)} % of wall time (from client start to last result stored); between first task start and last task end: ${(o.steadyShare * 100).toFixed(2)} %`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
