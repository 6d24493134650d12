// Benchmark (not a test): how many simulated viewers one packager core serves with < 1 % misses, against two anchors
// in the same run: nginx serving ffmpeg's own HLS fMP4 files from tmpfs, and Node's own floor — a bare node:http
// server answering the same viewers with the packager's own bytes from memory (tools/bench/node-floor.ts; arms
// node-hls, node-ll-hls, node-ll-dash). The packager (with its remux), nginx and the floor run on core 0, this load
// generator and the publishers on core 1 (taskset). One 720p30 stream at ~2.5 Mbit/s, encoded once and
// published with -c copy so the publishers cost almost nothing. Viewers (libs/media/viewer-sim) ramp in steps; each
// step: join, settle, measure (misses, p50/p99 delivery delay, server CPU), and the ramp stops past 1 % misses.
// Run: `npx nx run packager:bench-viewers` (builds first). Prints markdown tables (docs/scaling.md).
//
// Env: BENCH_RUNS (3), BENCH_STEP_S (6 s measured per step), BENCH_SETTLE_S (3), BENCH_ARMS
// (nginx-hls,node-hls,hls,node-ll-hls,ll-hls-full,ll-hls,node-ll-dash,ll-dash; ll-hls-full: LL-HLS viewers that never
// ask for a delta update, i.e. full playlists on every reload, as before CAN-SKIP-UNTIL; ll-hls asks _HLS_skip=YES
// like hls.js),
// BENCH_PORT_BASE (18590), BENCH_STEPS_<ARM> (comma list, e.g. BENCH_STEPS_LL_HLS=250,500,1000), BENCH_KBPS (2500), BENCH_CPU_PROF=dir (the
// packager runs under node --cpu-prof, profiles written there), BENCH_PACKAGER_ENV (extra env, k=v,k=v), BENCH_PACKAGER_JS
// (the packager bundle to run; default dist/apps/packager/main.js), BENCH_PACKAGER_B_JS (a second packager bundle run
// side by side, arms b-hls, b-ll-hls, b-ll-dash: before/after a change in one run). Edge arms edge-hls, edge-ll-hls,
// edge-ll-dash: Debian's varnishd (apt-get install varnish) with docker/edge's VCL in front of the packager, core 0;
// its CPU is varnishd's manager and cache worker together; BENCH_EDGE_PARAMS (k=v,k=v) adds varnishd parameters, and
// the edge's session counters (varnishstat) are printed after each edge step.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { manifestPath } from '@livelab/media-contract';
import { ViewerCrowd, ViewerStats, type StatsSummary, type ViewerKind } from '@livelab/media-viewer-sim';

const root = resolve(__dirname, '../..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const STEP_S = Number(process.env['BENCH_STEP_S'] ?? 6);
const SETTLE_S = Number(process.env['BENCH_SETTLE_S'] ?? 3);
const KBPS = Number(process.env['BENCH_KBPS'] ?? 2500);
const ARMS = (process.env['BENCH_ARMS'] ?? 'nginx-hls,node-hls,hls,node-ll-hls,ll-hls-full,ll-hls,node-ll-dash,ll-dash').split(',');
/** BENCH_PORT_BASE (18590): the run's ports are this and the next six, RTMP this + 955 and + 956 (two runs side by side). */
const PORT_BASE = Number(process.env['BENCH_PORT_BASE'] ?? 18590);
const HTTP_PORT = PORT_BASE;
const RTMP_PORT = PORT_BASE + 955;
const NGINX_PORT = PORT_BASE + 1;
const PROBE_PORT = PORT_BASE + 2;
const FLOOR_PORT = PORT_BASE + 3;
const KEY = 'bench-viewers-key';
const STREAM = 'bench';
const SERVER_CORE = '0';
const LOAD_CORE = '1';
const DEFAULT_STEPS: Record<string, number[]> = {
  'nginx-hls': [1000, 2000, 4000, 6000, 8000],
  hls: [1000, 2000, 4000, 6000, 8000],
  'll-hls': [250, 500, 1000, 1500, 2000, 3000],
  'll-dash': [500, 1000, 2000, 3000, 4000, 6000],
};
/** The floor arms ramp like the packager's. */
const kindOf = (arm: string) => (arm === 'nginx-hls' ? 'hls' : arm.replace(/^(node|b|edge)-/, '').replace(/-full$/, '')) as ViewerKind;
/** The edge arms (edge-hls, edge-ll-hls, edge-ll-dash): Debian's varnishd with docker/edge's VCL in front of the packager. */
const EDGE_PORT = PORT_BASE + 6;
const EDGE_DIR = resolve(__dirname, '../../docker/edge');
/** BENCH_PACKAGER_B_JS: a second packager build in the same run (arms b-hls, b-ll-hls, b-ll-dash), on these ports. */
const B_PORTS = { http: PORT_BASE + 4, probe: PORT_BASE + 5, rtmp: PORT_BASE + 956 };
const LOCAL_ADDRESSES = Array.from({ length: 40 }, (_, i) => `127.0.0.${2 + i}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The running edge's varnishd -n directory (for its counters). */
let edgeName: string | undefined;
/** The edge's session counters that say why connections ended (cumulative since it started). */
function edgeSessionCounters(): string {
  if (!edgeName) return '';
  const r = spawnSync('varnishstat', ['-n', edgeName, '-1', '-f', 'MAIN.sess_*', '-f', 'MAIN.sc_*', '-f', 'MAIN.threads*', '-f', 'MAIN.thread_queue_len'], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 1 && Number(f[1]) > 0)
    .map((f) => `${f[0].replace('MAIN.', '')}=${f[1]}`)
    .join(' ');
}
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

/** utime + stime of a process and its children (varnishd's manager and its cache worker). */
function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) total += cpuSeconds(Number(d));
    } catch {
      /* gone */
    }
  }
  return total;
}

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** BENCH_STEPS_<ARM>; a floor arm (node-…) falls back to its packager arm's steps. */
function steps(arm: string): number[] {
  const env = (a: string) => process.env[`BENCH_STEPS_${a.toUpperCase().replace(/-/g, '_')}`];
  const base = arm.replace(/^(node|b|edge)-/, '').replace(/-full$/, '');
  const v = env(arm) ?? env(base);
  return v ? v.split(',').map(Number) : DEFAULT_STEPS[base];
}

function ensureNginx(): string {
  const found = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
  if (found) return found;
  log('nginx missing: apt-get install nginx-light');
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'nginx-light'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!existsSync('/usr/sbin/nginx')) throw new Error('nginx is not installed (apt-get install nginx-light)');
  return '/usr/sbin/nginx';
}

/** nginx, one process (master_process off = one worker), on a high port, serving `dir`; its own config and logs. */
function startNginx(bin: string, work: string, dir: string): ChildProcess {
  const conf = join(work, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log warn;
events { worker_connections 20000; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path ${work}/body;
  types { application/vnd.apple.mpegurl m3u8; video/mp4 m4s mp4; }
  server {
    listen 127.0.0.1:${NGINX_PORT} reuseport;
    root ${dir};
    location ~ \\.m3u8$ { add_header Cache-Control no-cache; }
  }
}
`,
  );
  return spawn('taskset', ['-c', SERVER_CORE, bin, '-p', work, '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A 10 s 720p30 clip with a keyframe every second, encoded once. */
function makeClip(work: string): string {
  const clip = join(work, 'clip.flv');
  const r = spawnSync('taskset', ['-c', LOAD_CORE, 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000',
    '-t', '10', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
    '-b:v', `${KBPS}k`, '-maxrate', `${KBPS}k`, '-bufsize', `${KBPS}k`, '-c:a', 'aac', '-b:a', '128k', '-f', 'flv', clip], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not encode the clip');
  return clip;
}

const loop = (clip: string) => ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy'];

async function waitFor(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const ok = async (url: string) => (await fetch(url)).status === 200;

interface StepResult extends StatsSummary {
  arm: string;
  viewers: number;
  serverCpuPct: number;
  /** Server CPU per request, µs. */
  cpuUsPerRequest: number;
  loadCpuPct: number;
}

async function ramp(arm: string, serverPid: number, cpu: (pid: number) => number = cpuSeconds): Promise<StepResult[]> {
  const kind = kindOf(arm);
  const target =
    arm === 'nginx-hls'
      ? { host: '127.0.0.1', port: NGINX_PORT, manifestPath: '/master.m3u8', localAddresses: LOCAL_ADDRESSES }
      : {
          host: '127.0.0.1',
          port: arm.startsWith('node-') ? FLOOR_PORT : arm.startsWith('b-') ? B_PORTS.http : arm.startsWith('edge-') ? EDGE_PORT : HTTP_PORT,
          manifestPath: manifestPath(STREAM, kind === 'll-dash' ? 'dash' : 'hls', kind === 'hls' ? 'standard' : 'll'),
          localAddresses: LOCAL_ADDRESSES,
          deltaUpdates: !arm.endsWith('-full'),
        };
  const stats = new ViewerStats();
  const crowd = new ViewerCrowd(kind, target, stats);
  const out: StepResult[] = [];
  try {
    for (const n of steps(arm)) {
      await crowd.grow(n, 1000);
      await sleep(SETTLE_S * 1000);
      stats.reset();
      const c0 = cpu(serverPid);
      const l0 = process.cpuUsage();
      const t0 = Date.now();
      await sleep(STEP_S * 1000);
      const s = stats.summary();
      const el = (Date.now() - t0) / 1000;
      const l1 = process.cpuUsage(l0);
      const used = cpu(serverPid) - c0;
      const r: StepResult = { ...s, arm, viewers: n, serverCpuPct: (used / el) * 100, cpuUsPerRequest: (used * 1e6) / Math.max(1, s.requests), loadCpuPct: ((l1.user + l1.system) / 1e6 / el) * 100 };
      out.push(r);
      log(`${arm} ${n}: misses ${(s.missRate * 100).toFixed(2)} % (late ${s.late}, lost ${s.lost} of ${s.delivered}), p50 ${s.p50Ms} ms p99 ${s.p99Ms} ms, shed ${s.shed}, errors ${s.errors}${s.errors ? ` ${JSON.stringify(s.errorKinds)}` : ''}, req/s ${(s.requests / el).toFixed(0)}, server CPU ${r.serverCpuPct.toFixed(0)} % (${r.cpuUsPerRequest.toFixed(1)} µs/request), playlist ${(s.playlistBytes / Math.max(1, s.playlists)).toFixed(0)} B, load gen CPU ${r.loadCpuPct.toFixed(0)} %, load ${loadavg()[0].toFixed(2)}`);
      if (arm.startsWith('edge-')) log(`  edge counters: ${edgeSessionCounters()}`);
      if (s.missRate > 0.01) break;
    }
  } finally {
    await crowd.stop();
  }
  return out;
}

async function main() {
  spawnSync('taskset', ['-pc', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
  const nginxBin = ensureNginx();
  const work = mkdtempSync('/dev/shm/livelab-bench-viewers-');
  const hlsDir = join(work, 'hls');
  const children: ChildProcess[] = [];
  let edgeDir: string | undefined;
  const cleanup = () => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const clip = makeClip(work);
    const extraEnv = Object.fromEntries((process.env['BENCH_PACKAGER_ENV'] ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
    const prof = process.env['BENCH_CPU_PROF'];
    // BENCH_PACKAGER_JS: another build of the packager (e.g. a copy of dist/apps/packager made before a change), for A/B runs.
    const packagerJs = resolve(root, process.env['BENCH_PACKAGER_JS'] ?? 'dist/apps/packager/main.js');
    const startPackager = (js: string, ports: { http: number; probe: number; rtmp: number }) => {
      const p = spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), js], {
        env: { ...process.env, LOG_LEVEL: 'error', HTTP_PORT: String(ports.http), PROBE_PORT: String(ports.probe), RTMP_PORT: String(ports.rtmp), PUBLISH_KEY: KEY, ...extraEnv },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(p);
      return p;
    };
    const packager = startPackager(packagerJs, { http: HTTP_PORT, probe: PROBE_PORT, rtmp: RTMP_PORT });
    const bJs = process.env['BENCH_PACKAGER_B_JS'];
    const packagerB = bJs ? startPackager(resolve(root, bJs), B_PORTS) : undefined;
    await waitFor('the packager', () => ok(`http://127.0.0.1:${PROBE_PORT}/healthz`));
    if (packagerB) await waitFor('packager B', () => ok(`http://127.0.0.1:${B_PORTS.probe}/healthz`));
    for (const rtmp of packagerB ? [RTMP_PORT, B_PORTS.rtmp] : [RTMP_PORT]) {
      children.push(spawn('taskset', ['-c', LOAD_CORE, 'ffmpeg', ...loop(clip), '-f', 'flv', `rtmp://127.0.0.1:${rtmp}/live/${STREAM}?key=${KEY}`], { stdio: 'ignore' }));
    }
    // The anchor: ffmpeg's own HLS muxer, fMP4, 1 s segments, video and an audio rendition like ours, on tmpfs.
    spawnSync('mkdir', ['-p', hlsDir]);
    children.push(
      spawn('taskset', ['-c', LOAD_CORE, 'ffmpeg', ...loop(clip), '-map', '0:v', '-map', '0:a', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_segment_type', 'fmp4',
        '-hls_flags', 'delete_segments+independent_segments+temp_file', '-master_pl_name', 'master.m3u8', '-var_stream_map', 'v:0,agroup:aud,name:video a:0,agroup:aud,name:audio',
        '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(hlsDir, '%v-%05d.m4s'), join(hlsDir, '%v.m3u8')], { stdio: 'ignore', cwd: hlsDir }),
    );
    const nginx = startNginx(nginxBin, work, hlsDir);
    children.push(nginx);
    // Node's floor: a bare node:http server with the packager's bytes (node-floor.ts), bundled and run like the packager.
    const floorJs = join(root, 'dist/tools/bench/node-floor.js');
    await build({ entryPoints: [join(__dirname, 'node-floor.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: floorJs, packages: 'external', logLevel: 'warning' });
    const floor = spawn('taskset', ['-c', SERVER_CORE, process.execPath, floorJs, String(FLOOR_PORT), String(HTTP_PORT)], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(floor);
    await waitFor('the packager stream', () => ok(`http://127.0.0.1:${HTTP_PORT}${manifestPath(STREAM, 'hls', 'll')}`));
    await waitFor("ffmpeg's HLS on nginx", () => ok(`http://127.0.0.1:${NGINX_PORT}/video.m3u8`));
    await waitFor('the node floor', () => ok(`http://127.0.0.1:${FLOOR_PORT}${manifestPath(STREAM, 'hls', 'll')}`));
    if (packagerB) await waitFor('the packager B stream', () => ok(`http://127.0.0.1:${B_PORTS.http}${manifestPath(STREAM, 'hls', 'll')}`));
    // The edge, only when an edge arm is asked for: the repository's VCL, this run's origin (the packager), core 0.
    let edge: ChildProcess | undefined;
    if (ARMS.some((a) => a.startsWith('edge-'))) {
      // Not on tmpfs: varnishd compiles the VCL into its working directory and loads it from there.
      edgeDir = mkdtempSync('/tmp/livelab-bench-edge-');
      // BENCH_EDGE_PARAMS: more varnishd parameters, k=v,k=v (e.g. timeout_idle=30).
      const edgeParams = (process.env['BENCH_EDGE_PARAMS'] ?? '').split(',').filter(Boolean).flatMap((kv) => ['-p', kv]);
      const originVcl = readFileSync(join(EDGE_DIR, 'origin.vcl'), 'utf8').replace(/\.port = "[^"]*";/, `.port = "${HTTP_PORT}";`);
      writeFileSync(join(work, 'origin.vcl'), originVcl);
      edgeName = join(edgeDir, 'n');
      edge = spawn('taskset', ['-c', SERVER_CORE, '/usr/sbin/varnishd', '-F', '-j', 'none', '-n', edgeName, '-a', `127.0.0.1:${EDGE_PORT}`, '-T', 'none',
        '-f', join(EDGE_DIR, 'default.vcl'), '-p', `vcl_path=${work}:${EDGE_DIR}`, '-s', 'malloc,256m', '-p', 'thread_pool_min=200', '-p', 'thread_pool_max=3000', ...edgeParams], { stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(edge);
      await waitFor('the edge', () => ok(`http://127.0.0.1:${EDGE_PORT}/readyz`));
    }
    await sleep(3000);
    const pids: Record<string, number> = { nginx: nginx.pid as number, packager: packager.pid as number, floor: floor.pid as number, b: packagerB?.pid ?? NaN, edge: edge?.pid ?? NaN };
    log(`packager pid ${packager.pid}, nginx pid ${nginx.pid}, node floor pid ${floor.pid}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const all: StepResult[][] = [];
    for (let run = 0; run < RUNS; run++) {
      for (const arm of ARMS) {
        // The taskset wrapper execs: its pid is the server's.
        if (arm.startsWith('edge-')) all.push(await ramp(arm, pids['edge'], treeCpuSeconds));
        else all.push(await ramp(arm, arm === 'nginx-hls' ? pids['nginx'] : arm.startsWith('node-') ? pids['floor'] : arm.startsWith('b-') ? pids['b'] : pids['packager']));
        await sleep(2000);
      }
    }
    report(all);
  } finally {
    cleanup();
    await sleep(500);
    rmSync(work, { recursive: true, force: true });
    if (edgeDir) rmSync(edgeDir, { recursive: true, force: true });
  }
}

function report(all: StepResult[][]) {
  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  console.log('| arm | most viewers < 1 % misses | misses there | p50 / p99 delay (ms) | server CPU (% of a core) | CPU per viewer (% of a core) | µs per request | load gen CPU | next step |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const steps of all) {
    const good = steps.filter((s) => s.missRate <= 0.01).at(-1);
    const bad = steps.find((s) => s.missRate > 0.01);
    const arm = steps[0]?.arm ?? '?';
    if (!good) {
      console.log(`| ${arm} | < ${bad?.viewers ?? '?'} | | | | | | | ${bad ? `${bad.viewers}: ${f(bad.missRate * 100, 1)} %` : ''} |`);
      continue;
    }
    console.log(
      `| ${arm} | ${bad ? '' : '≥ '}${good.viewers} | ${f(good.missRate * 100, 2)} % | ${f(good.p50Ms)} / ${f(good.p99Ms)} | ${f(good.serverCpuPct)} | ${f(good.serverCpuPct / good.viewers, 4)} | ${f(good.cpuUsPerRequest, 1)} | ${f(good.loadCpuPct)} % | ${bad ? `${bad.viewers}: ${f(bad.missRate * 100, 1)} %, p99 ${f(bad.p99Ms)} ms` : 'none failed'} |`,
    );
  }
  console.log('\nevery step:\n');
  console.log('| arm | viewers | misses | late | lost | delivered | p50 ms | p99 ms | shed 503 | errors | req/s | server CPU % | µs/request | playlist B | load gen CPU % |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of all.flat()) {
    console.log(`| ${s.arm} | ${s.viewers} | ${f(s.missRate * 100, 2)} % | ${s.late} | ${s.lost} | ${s.delivered} | ${f(s.p50Ms)} | ${f(s.p99Ms)} | ${s.shed} | ${s.errors} | ${f(s.requests / STEP_S)} | ${f(s.serverCpuPct)} | ${f(s.cpuUsPerRequest, 1)} | ${s.playlists ? f(s.playlistBytes / s.playlists) : '–'} | ${f(s.loadCpuPct)} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
