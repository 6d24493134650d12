// Benchmark (not a test): 500 hostile RTMP clients held against the built packager for 30 s while ffmpeg publishes
// a real stream — a third send random bytes, a third do a handshake and then chunk headers declaring 16 MiB
// messages on many chunk streams, a third stop half way through the handshake. Each client reconnects as soon as
// it is dropped, so the pressure lasts. Reports packager RSS peak, the good stream's longest playlist gap, CPU,
// crashes, and connections accepted vs refused (from the packager's own metrics).
// Run: `npx nx run packager:bench-hostile` (builds first). Prints a markdown table (docs/benchmarks.md).
//
// Env: BENCH_CLIENTS (500), BENCH_SECONDS (30), BENCH_RUNS (3), BENCH_LIMITS=default|open (open: 1000 connections
// in total and per address, so every hostile client is accepted and held).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { mediaPath, mediaPlaylistUri } from '@livelab/media-contract';
import { newestListedSegment } from '@livelab/media-packaging/testing';

const root = resolve(__dirname, '../..');
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 500);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const LIMITS = process.env['BENCH_LIMITS'] ?? 'default';
const HTTP_PORT = 18490;
const RTMP_PORT = 19445;
const KEY = 'bench-hostile-key';
/** Hostile clients come from 127.0.0.2 … 127.0.0.51: many addresses, as from a LAN. */
const ADDRESSES = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procStat(pid: number): { cpuS: number; rss: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    return { cpuS: (Number(f[11]) + Number(f[12])) / 100, rss };
  } catch {
    return { cpuS: 0, rss: 0 };
  }
}

async function lastSegment(): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${HTTP_PORT}${mediaPath('good', mediaPlaylistUri(0, 'standard'))}`);
    if (res.status !== 200) return undefined;
    return newestListedSegment(await res.text());
  } catch {
    return undefined;
  }
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${HTTP_PORT}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

function header16MiB(cid: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = cid; // fmt 0
  b.writeUIntBE(0xffffff, 4, 3); // length
  b[7] = cid % 2 ? 9 : 20;
  return b;
}

type Kind = 'random' | 'header16' | 'halfopen';

/** One hostile client: connects, misbehaves, and reconnects whenever it is dropped, until `stop`. */
async function hostile(kind: Kind, localAddress: string, stop: { done: boolean }, counts: { attempts: number }): Promise<void> {
  while (!stop.done) {
    counts.attempts++;
    await new Promise<void>((resolveClosed) => {
      const s: Socket = connect({ port: RTMP_PORT, host: '127.0.0.1', localAddress });
      let timer: NodeJS.Timeout | undefined;
      s.on('error', () => undefined);
      s.on('close', () => {
        if (timer) clearInterval(timer);
        resolveClosed();
      });
      s.on('connect', () => {
        if (kind === 'random') {
          timer = setInterval(() => s.writable && s.write(randomBytes(512)), 200);
        } else if (kind === 'halfopen') {
          s.write(Buffer.concat([Buffer.from([3]), randomBytes(700)]));
        } else {
          const c1 = Buffer.concat([Buffer.alloc(8), randomBytes(1528)]);
          s.write(Buffer.concat([Buffer.from([3]), c1]));
          let got = 0;
          s.on('data', (d) => {
            got += d.length;
            if (got >= 3073 && got - d.length < 3073) {
              s.write(c1);
              s.write(Buffer.concat(Array.from({ length: 60 }, (_, i) => header16MiB(3 + (i % 60)))));
            }
          });
        }
      });
      const end = setInterval(() => {
        if (stop.done) {
          clearInterval(end);
          s.destroy();
        }
      }, 200);
      s.once('close', () => clearInterval(end));
    });
    if (!stop.done) await sleep(50); // reconnect at once, without a busy loop
  }
}

interface Result {
  crashed: boolean;
  rssPeakMb: number;
  rssStartMb: number;
  maxGapS: number;
  segments: number;
  cpuPct: number;
  attempts: number;
  refusedLimit: number;
  protocol: number;
  timeout: number;
  peakConnections: number;
}

async function run(): Promise<Result> {
  const limitsEnv = LIMITS === 'open' ? { RTMP_MAX_CONNECTIONS: '1000', RTMP_MAX_CONNECTIONS_PER_ADDRESS: '1000' } : {};
  const packager: ChildProcess = spawn(process.execPath, [join(root, 'dist/apps/packager/main.js')], {
    env: { ...process.env, LOG_LEVEL: 'error', HTTP_PORT: String(HTTP_PORT), RTMP_PORT: String(RTMP_PORT), PUBLISH_KEY: KEY, ...limitsEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let crashed = false;
  packager.once('exit', (code, signal) => (crashed = !stopping && (code !== 0 || signal !== null)));
  let stopping = false;
  await sleep(1500);
  const ffmpeg = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'smptehdbars=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-b:v', '800k',
      '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', `rtmp://127.0.0.1:${RTMP_PORT}/live/good?key=${KEY}`],
    { stdio: 'ignore' },
  );
  for (let i = 0; (await lastSegment()) === undefined; i++) {
    if (i > 200) throw new Error('the good stream never became live');
    await sleep(100);
  }
  await sleep(2000);
  const pid = packager.pid as number;
  const before = procStat(pid);
  const startedAt = Date.now();
  const stop = { done: false };
  const counts = { attempts: 0 };
  const kinds: Kind[] = ['random', 'header16', 'halfopen'];
  const clients = Array.from({ length: CLIENTS }, (_, i) => hostile(kinds[i % 3], `127.0.0.${2 + (i % ADDRESSES)}`, stop, counts));
  let rssPeak = before.rss;
  let peakConnections = 0;
  let last = await lastSegment();
  let lastAt = Date.now();
  let maxGap = 0;
  let segments = 0;
  let iteration = 0;
  while (Date.now() - startedAt < SECONDS * 1000) {
    const n = await lastSegment();
    const now = Date.now();
    if (n !== undefined && n !== last) {
      segments += n - (last ?? n);
      last = n;
      lastAt = now;
    }
    maxGap = Math.max(maxGap, now - lastAt);
    rssPeak = Math.max(rssPeak, procStat(pid).rss);
    if (++iteration % 10 === 0) peakConnections = Math.max(peakConnections, await metric('livelab_packager_rtmp_connections', '').catch(() => 0));
    await sleep(100);
  }
  const after = procStat(pid);
  const elapsedS = (Date.now() - startedAt) / 1000;
  const [refusedLimit, protocol, timeout] = await Promise.all(['limit', 'protocol', 'timeout'].map((k) => metric('livelab_packager_refused_total', `kind="${k}"`).catch(() => NaN)));
  stop.done = true;
  await Promise.all(clients);
  stopping = true;
  ffmpeg.kill('SIGINT');
  packager.kill('SIGTERM');
  await new Promise((r) => packager.once('exit', r));
  return {
    crashed,
    rssPeakMb: rssPeak / 2 ** 20,
    rssStartMb: before.rss / 2 ** 20,
    maxGapS: maxGap / 1000,
    segments,
    cpuPct: ((after.cpuS - before.cpuS) / elapsedS) * 100,
    attempts: counts.attempts,
    refusedLimit,
    protocol,
    timeout,
    peakConnections,
  };
}

async function main() {
  const results: Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await run();
    results.push(r);
    process.stderr.write(`run ${i + 1}: ${JSON.stringify(r)}\n`);
    await sleep(2000);
  }
  const f = (x: number, d = 1) => x.toFixed(d);
  console.log(`${CLIENTS} hostile clients × ${SECONDS} s, limits ${LIMITS}:\n`);
  console.log('| run | crashed | RSS start → peak (MB) | max segment gap (s) | segments | packager CPU (% of a core) | connection attempts | refused at a limit | protocol errors | timeouts | peak open connections |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  results.forEach((r, i) =>
    console.log(`| ${i + 1} | ${r.crashed ? 'yes' : 'no'} | ${f(r.rssStartMb)} → ${f(r.rssPeakMb)} | ${f(r.maxGapS, 2)} | ${r.segments} | ${f(r.cpuPct)} | ${r.attempts} | ${r.refusedLimit} | ${r.protocol} | ${r.timeout} | ${r.peakConnections} |`),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
