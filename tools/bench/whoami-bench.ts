// Benchmark (not a test): whoami vs a bare node:http server doing the same work, same run, arms alternated.
// Run: `npx nx run whoami:bench` (builds first). Env: BENCH_SECONDS (per arm, default 8), BENCH_ROUNDS (3),
// BENCH_CONNECTIONS (50), BENCH_WRITE=0 to only print. Writes the `## whoami` section of docs/benchmarks.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { waitForTcpPort } from '@livelab/service-kit';

const root = resolve(__dirname, '../..');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const WHOAMI_PORT = 18190;
const BARE_PORT = 18191;

async function startProc(cmd: string, args: string[], port: number): Promise<ChildProcess> {
  const p = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  const ok = await waitForTcpPort('127.0.0.1', port, { timeoutMs: 30_000, intervalMs: 100 });
  if (!ok) throw new Error(`${cmd} ${args.join(' ')} did not listen on ${port}`);
  return p;
}

/** CPU time (user + system) the process has used, ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function run(url: string, pid: number) {
  const cpu0 = cpuMs(pid);
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, pipelining: 1 });
  // Server CPU per request: less sensitive than req/s to what else the shared cores are doing.
  const cpuUs = ((cpuMs(pid) - cpu0) * 1000) / Math.max(1, r.requests.total);
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx, cpuUs };
}

async function main() {
  const whoami = await startProc(process.execPath, [join(root, 'dist/apps/whoami/main.js'), '--port', String(WHOAMI_PORT)], WHOAMI_PORT);
  // Both arms run as esbuild bundles under plain node (whoami's is its nx build).
  const bareJs = join(root, 'dist/tools/bench/bare-whoami-server.js');
  await build({ entryPoints: [join(__dirname, 'bare-whoami-server.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bareJs, packages: 'external', alias: {}, logLevel: 'warning',
    plugins: [{ name: 'workspace', setup(b) { b.onResolve({ filter: /^@livelab\// }, (a) => ({ path: require.resolve(a.path) })); } }] });
  const bare = await startProc(process.execPath, [bareJs, String(BARE_PORT)], BARE_PORT);
  const results: Record<string, Array<{ rps: number; p99: number; errors: number; cpuUs: number }>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of ['/bench', '/']) {
      for (const [arm, port, proc] of [['whoami', WHOAMI_PORT, whoami], ['bare node:http', BARE_PORT, bare]] as const) {
        const key = `${arm} ${path}`;
        const r = await run(`http://127.0.0.1:${port}${path}`, proc.pid as number);
        (results[key] ??= []).push(r);
        console.log(key, r);
      }
    }
  }
  whoami.kill('SIGTERM');
  bare.kill('SIGTERM');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const row = (path: string) => {
    const w = results[`whoami ${path}`];
    const b = results[`bare node:http ${path}`];
    const wr = mean(w.map((x) => x.rps));
    const br = mean(b.map((x) => x.rps));
    // One ratio per round (the arms of a round ran back to back): the spread says how much the shared box moved.
    const ratios = w.map((x, i) => x.rps / b[i].rps);
    const spread = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
    const wc = mean(w.map((x) => x.cpuUs));
    const bc = mean(b.map((x) => x.cpuUs));
    return `| \`${path}\` | ${Math.round(wr)} | ${mean(w.map((x) => x.p99)).toFixed(1)} ms | ${Math.round(br)} | ${mean(b.map((x) => x.p99)).toFixed(1)} ms | **${(wr / br).toFixed(2)}×** | ${spread} | ${wc.toFixed(1)} / ${bc.toFixed(1)} µs (${(bc / wc).toFixed(2)}×) |`;
  };
  const errors = Object.values(results).flat().reduce((a, r) => a + r.errors, 0);
  const section = [
    '## whoami',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} × ${cpus()[0]?.model.trim()}: autocannon, ${CONNECTIONS} connections,`,
    `${SECONDS} s per arm, ${ROUNDS} rounds with the arms alternated (whoami, bare, whoami, bare…); the load generator shares the 2 cores.`,
    'The bare arm is a plain `node:http` server producing the same bytes with the same formatter (tools/bench/bare-whoami-server.ts).',
    '',
    '| path | whoami req/s | whoami p99 | bare req/s | bare p99 | ratio | per-round ratios | server CPU per request, whoami / bare (bare ÷ whoami) |',
    '|---|---|---|---|---|---|---|---|',
    row('/bench'),
    row('/'),
    '',
    `Errors/non-2xx: ${errors}. Goal: \`/bench\` and \`/\` ≥ 0.9× bare. Every answer is written the way Go's net/http writes it`,
    '(libs/whoami/src/go-response.ts: Go\'s header order, Date, framing; byte for byte the reference\'s, see test/reference.test.ts);',
    'the bare arm prints the same echo text with node:http\'s own headers. Routing is a table lookup on Go\'s view of the',
    'path; express only serves the livelab probes. (A first version with the echo behind express 5 measured `/` at 0.23× bare.)',
    'The server-CPU column (utime+stime from /proc over each arm, ÷ requests) moves much less than req/s when other',
    'work shares the cores; the per-round ratios show how much it did during this run.',
    '',
    'Reproduce: `npx nx run whoami:bench` (env BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS).',
    '',
  ].join('\n');
  console.log(section);
  if (process.env['BENCH_WRITE'] !== '0') {
    const file = join(root, 'docs/benchmarks.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/## whoami\n[\s\S]*?(?=\n## |$)/, section));
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
