// Benchmark (not a test): what the packager holds in memory for the default streams at its DVR window (issue 17's
// time-shift window): the packager and generator apps from source (tsx), the generator's default streams
// (DEFAULT_STREAM_NAMES: two single streams and the ladder-720p30 ladder since session 9; three before), left running until every store holds a
// full window (DVR_WINDOW_S + 3 segments), then per stream the bytes its store holds (/api/streams storeBytes, what
// the byte budget counts), the packager's RSS and heap, and the remux ffmpegs' RSS (they share the pod's memory).
// Run: `npx nx run packager:bench-dvr-memory`. Env: BENCH_WINDOW_S (the packager's DVR_WINDOW_S, default 30).
// Needs ~1.3 cores for the encodes: run it alone.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { childPids, spawnWithJsonLogs } from '@livelab/service-kit';
import { DVR_WINDOW_S, STREAMS_API_PATH, type StreamList } from '@livelab/media-contract';
import { DEFAULT_STREAM_NAMES } from '@livelab/media-testsignal';

const ROOT = resolve(__dirname, '../..');
const WINDOW_S = Number(process.env['BENCH_WINDOW_S'] ?? DVR_WINDOW_S.default);
const HTTP_PORT = 18690;
const RTMP_PORT = 19645;
const KEY = 'bench-dvr-memory-key';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

const startApp = (app: string, env: Record<string, string>) =>
  spawnWithJsonLogs(process.execPath, ['--import', 'tsx', join(ROOT, 'apps', app, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', PUBLISH_KEY: KEY, ...env },
  });

/**
 * Memory of a process, bytes: RSS, and PSS (shared pages split between the processes sharing them — what a pod's
 * memory cgroup is closer to: eight ffmpegs share one copy of their libraries).
 */
function memory(pid: number): { rss: number; pss: number } {
  const kb = (file: string, key: string) => {
    try {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  return { rss: kb('status', 'VmRSS'), pss: kb('smaps_rollup', 'Pss') };
}

const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
};

async function streams(): Promise<StreamList['streams']> {
  try {
    return ((await (await fetch(`http://127.0.0.1:${HTTP_PORT}${STREAMS_API_PATH}`)).json()) as StreamList).streams;
  } catch {
    return [];
  }
}

async function main() {
  console.log(`${new Date().toISOString()} load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, DVR_WINDOW_S=${WINDOW_S}, streams ${DEFAULT_STREAM_NAMES.join(', ')}`);
  const packager = startApp('packager', { HTTP_PORT: String(HTTP_PORT), PROBE_PORT: '0', RTMP_PORT: String(RTMP_PORT), DVR_WINDOW_S: String(WINDOW_S) });
  const generator = startApp('generator', { HTTP_PORT: '18691', PACKAGER_RTMP_URL: `rtmp://127.0.0.1:${RTMP_PORT}/live` });
  try {
    const deadline = Date.now() + 60_000;
    while ((await streams()).length < DEFAULT_STREAM_NAMES.length) {
      if (Date.now() > deadline) throw new Error(`not every default stream listed within 60 s: ${(await streams()).map((s) => s.name).join(', ')}`);
      await sleep(500);
    }
    console.log(`all listed; waiting ${WINDOW_S + 5} s for full windows`);
    await sleep((WINDOW_S + 5) * 1000);
    const list = await streams();
    let total = 0;
    for (const s of list) {
      total += s.storeBytes ?? 0;
      const kbps = s.rungs?.length ? s.rungs.map((r) => r.bitrateKbps ?? 0).join('+') : String(s.video.bitrateKbps ?? '?');
      console.log(`${s.name}: ${mib(s.storeBytes ?? 0)} held (${s.rungs?.length ? `${s.rungs.length} rungs` : '1 rendition'}, announced video ${kbps} kbit/s) = ${(((s.storeBytes ?? 0) * 8) / (WINDOW_S + 3) / 1000).toFixed(0)} kbit/s over ${WINDOW_S + 3} s`);
    }
    const pid = packager.child.pid as number;
    const children = childPids(pid);
    const remuxes = children.filter((p) => comm(p) === 'ffmpeg');
    const own = memory(pid);
    const sum = (k: 'rss' | 'pss') => remuxes.reduce((n, p) => n + memory(p)[k], 0);
    console.log(`stores total ${mib(total)}; packager (node, under tsx) RSS ${mib(own.rss)} PSS ${mib(own.pss)}`);
    console.log(`${remuxes.length} remux ffmpegs (of ${children.length} children: ${children.map(comm).join(', ')}): RSS ${mib(sum('rss'))}, PSS ${mib(sum('pss'))} (${mib(sum('pss') / Math.max(1, remuxes.length))} each)`);
    console.log(`packager + remuxes: PSS ${mib(own.pss + sum('pss'))}`);
  } finally {
    generator.child.kill('SIGTERM');
    packager.child.kill('SIGTERM');
    await Promise.all([generator, packager].map((a) => new Promise((r) => a.child.once('exit', r))));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
