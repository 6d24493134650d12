// Benchmark (not a test): glass-to-glass latency, time to first frame, stalls, packager CPU and the memory the
// store holds per stream, for the live page in {HLS, DASH} × {standard, low latency}, side by side in one run, for a
// viewer who joins right after the stream starts and one who joins BENCH_LATE_JOIN_S later.
// Run: `npx nx run packager:bench` (builds first). Writes docs/benchmarks.md.
//
// Env: BENCH_STREAM (default seed-768p60), BENCH_SECONDS (45), BENCH_LATE_JOIN_S (40), BENCH_REPS (3), BENCH_WRITE=0 to
// only print, BENCH_ONLY=hls-ll,dash-standard,… to run some combinations.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { STREAMS_API_PATH, type Format, type Mode, type PageStatsWindow, type StreamList } from '@livelab/media-contract';

const root = resolve(__dirname, '../..');
const STREAM = process.env['BENCH_STREAM'] ?? 'seed-768p60';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 45);
const LATE_S = Number(process.env['BENCH_LATE_JOIN_S'] ?? 40);
const REPS = Number(process.env['BENCH_REPS'] ?? 3);
const HTTP_PORT = 18480;
const RTMP_PORT = 19435;
const KEY = 'bench-publish-key';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(app: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(root, 'dist/apps', app, 'main.js')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

/** CPU seconds (user+system) of a process and all its descendants, from /proc. */
function cpuSeconds(pid: number): number {
  const tick = 100;
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* gone */
    }
  }
  const total = (p: number): number => {
    let t = 0;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      t = (Number(f[11]) + Number(f[12])) / tick;
    } catch {
      return 0;
    }
    return t + (children.get(p) ?? []).reduce((a, c) => a + total(c), 0);
  };
  return total(pid);
}

const readStats = (page: Page) => page.evaluate(() => (window as unknown as PageStatsWindow).livelabStats());

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function viewer(browser: import('playwright-core').Browser, format: Format, mode: Mode, stream: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`http://127.0.0.1:${HTTP_PORT}/?stream=${stream}&format=${format}&mode=${mode}`);
  return page;
}

const NOTES = `Reading the figures: in standard mode a segment is listed only once complete, so a player sits at least one
1 s segment plus its delivery behind the live edge. In low-latency mode the same CMAF chunks (200 ms) are offered as
they are made: LL-HLS parts with a 0.6 s PART-HOLD-BACK in the playlist, which the page's hls.js undercuts (0.45 s,
plus the page's playback-rate catch-up both ways), and LL-DASH segments sent chunked while in progress with a 500 ms
ServiceDescription target (dash.js). Glass-to-glass adds the
x264 encode, RTMP and the remux to the player's own latency (~50–100 ms here). Since issue 7 the generator stamps
frames with the real wall clock when made; earlier figures (and the issue's nginx-rtmp / MediaMTX references,
measured the old way) read 0.1–1.5 s high from ffmpeg's start-up time. How it works: docs/low-latency.md.`;

/** Largest storeBytes /api/streams reported for the stream while it ran. */
async function storeBytes(stream: string): Promise<number> {
  try {
    const body = (await (await fetch(`http://127.0.0.1:${HTTP_PORT}${STREAMS_API_PATH}`)).json()) as StreamList;
    return body.streams.find((s) => s.name === stream)?.storeBytes ?? 0;
  } catch {
    return 0;
  }
}

/** One format: a fresh stream; the first viewer opens the page before it exists, a second joins LATE_S later. */
async function runFormat(browser: import('playwright-core').Browser, packagerPid: number, fmt: Format, mode: Mode, streamName: string) {
  const first = await viewer(browser, fmt, mode, streamName);
  const generator = start('generator', { HTTP_PORT: '18481', PACKAGER_RTMP_URL: `rtmp://127.0.0.1:${RTMP_PORT}/live`, PUBLISH_KEY: KEY, STREAMS: STREAM, ...(streamName !== STREAM ? {} : {}) });
  const t0 = Date.now();
  const cpu0 = cpuSeconds(packagerPid);
  let memory = 0;
  const memPoll = setInterval(() => void storeBytes(streamName).then((b) => (memory = Math.max(memory, b))), 2000);
  await sleep(LATE_S * 1000);
  const late = await viewer(browser, fmt, mode, streamName);
  await sleep(Math.max(0, SECONDS * 1000 - (Date.now() - t0)));
  const firstStats = await readStats(first);
  const cpu1 = cpuSeconds(packagerPid);
  const cpuPct = ((cpu1 - cpu0) / ((Date.now() - t0) / 1000)) * 100;
  await first.close();
  await sleep(Math.max(0, (LATE_S + SECONDS) * 1000 - (Date.now() - t0)));
  const lateStats = await readStats(late);
  await late.close();
  clearInterval(memPoll);
  generator.kill('SIGTERM');
  await new Promise((r) => generator.once('exit', r));
  await sleep(3000); // the packager notices the end and cleans up before the next run
  return { first: firstStats, late: lateStats, cpuPct, memory };
}

async function main() {
  const packager = start('packager', { HTTP_PORT: String(HTTP_PORT), RTMP_PORT: String(RTMP_PORT), PUBLISH_KEY: KEY });
  // Until it answers (a fixed 1.5 s was too short for a first start after a build: the page got ERR_CONNECTION_REFUSED).
  for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
    if (await fetch(`http://127.0.0.1:${HTTP_PORT}${STREAMS_API_PATH}`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`the packager did not answer on :${HTTP_PORT} within 30 s`);
  }
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  const combos: Array<[Format, Mode]> = [['hls', 'standard'], ['dash', 'standard'], ['hls', 'll'], ['dash', 'll']];
  const only = process.env['BENCH_ONLY']?.split(',');
  const results: Array<{ fmt: Format; mode: Mode; rep: number } & Awaited<ReturnType<typeof runFormat>>> = [];
  const load0 = loadavg()[0];
  const loads: number[] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    for (const [fmt, mode] of combos) {
      if (only && !only.includes(`${fmt}-${mode}`)) continue;
      results.push({ fmt, mode, rep, ...(await runFormat(browser, packager.pid as number, fmt, mode, STREAM)) });
      loads.push(loadavg()[0]);
      console.error(`rep ${rep} ${fmt} ${mode} done, load ${loadavg()[0].toFixed(1)}`);
    }
  }
  await browser.close();
  packager.kill('SIGTERM');
  const cpuPct = results.reduce((a, r) => a + r.cpuPct, 0) / results.length;
  const memory = Math.max(...results.map((r) => r.memory));

  // One row per combination and viewer over every repetition: g2g median/p95 of all samples (first 5 s of each viewer
  // excluded) with the spread of the per-repetition medians, stalls per repetition, A/V offset median and the largest.
  const rows: string[] = [];
  const summary: Record<string, unknown> = {};
  const fmtMs = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${Math.round(v)} ms` : '–');
  for (const [fmt, mode] of combos) {
    const mine = results.filter((r) => r.fmt === fmt && r.mode === mode);
    if (!mine.length) continue;
    for (const who of ['first viewer', `joins at ${LATE_S} s`] as const) {
      const stats = mine.map((r) => (who === 'first viewer' ? r.first : r.late));
      const per = stats.map((s) => s.g2gSamples.slice(50));
      const all = per.flat();
      const medians = per.filter((p) => p.length).map((p) => pct(p, 50) / 1000);
      const av = stats.flatMap((s) => s.avSamples.slice(3));
      const row = {
        median: pct(all, 50) / 1000,
        p95: pct(all, 95) / 1000,
        medians,
        ttff: stats.map((s) => (s.firstFrameMs ?? NaN) / 1000),
        stalls: stats.map((s) => s.stalls),
        // Where each stall happened, in the stream's media time (s since the publish): start-up, the other viewer
        // joining, or spread out (the page's recovery lane: "buffer empty at 12.3 s").
        stallsAt: stats.map((s) => (s.recovery ?? []).filter((e) => e.kind === 'stall').map((e) => Number(/at ([\d.]+) s/.exec(e.detail)?.[1] ?? NaN))),
        avMedian: pct(av, 50),
        avMaxAbs: av.length ? Math.max(...av.map(Math.abs)) : NaN,
        avSamples: av.length,
        dropped: stats.map((s) => `${s.droppedFrames ?? '?'}/${s.totalFrames ?? '?'}`),
        errors: stats.reduce((a, s) => a + s.errors.length, 0),
        n: all.length,
      };
      summary[`${fmt} ${mode} ${who}`] = row;
      rows.push(
        `| ${fmt === 'hls' ? 'hls.js' : 'dash.js'} | ${mode === 'll' ? '**low latency**' : 'standard'} | ${who} | ${row.median.toFixed(2)} s | ${row.p95.toFixed(2)} s | ${medians.length ? `${Math.min(...medians).toFixed(2)}–${Math.max(...medians).toFixed(2)} s` : '–'}${medians.length < per.length ? ` (${per.length - medians.length} rep without samples)` : ''} | ${row.stalls.map((n, i) => (n ? `${n} (at ${row.stallsAt[i].map((t) => t.toFixed(1)).join(', ')} s)` : '0')).join('; ')} | ${fmtMs(row.avMedian)} (max ${Number.isFinite(row.avMaxAbs) ? Math.round(row.avMaxAbs) : '–'}, n ${row.avSamples}) | ${row.ttff.map((t) => t.toFixed(2)).join(', ')} s | ${row.dropped.join(', ')} | ${row.n} |`,
      );
    }
  }
  console.log(JSON.stringify({ stream: STREAM, summary, packagerCpuPercentOfOneCore: cpuPct, storeBytes: memory }, null, 2));

  const section = [
    '## Live streams (standard and low-latency)',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} × ${cpus()[0]?.model.trim()}, load average ${load0.toFixed(1)} before the run, ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during it (other sessions share the box).`,
    `Stream \`${STREAM}\` from the real generator → packager (RTMP → CMAF, 1 s segments) → chromium with the page's own player`,
    `settings (libs/media/player/src/browser/player-settings.ts); ${REPS} repetitions of the four combinations one after another, each on a`,
    `fresh stream: a first viewer who opens the page before the publish and one who joins ${LATE_S} s after it, ${SECONDS} s each.`,
    'Glass-to-glass is decoded from the timecode strip of each displayed frame (first 5 s of playback excluded); median and',
    'p95 over all repetitions, then the spread of the per-repetition medians. Stalls (with the media time of each: s since the',
    'publish), first frame and dropped frames are per repetition. A/V: beep heard − flash shown per beep (positive: sound late), measured by the page (av-sync-meter.ts).',
    '',
    '| player | mode | viewer | g2g median | g2g p95 | medians per rep | stalls per rep | A/V median (max abs, n) | first frame | dropped | samples |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    NOTES,
    '',
    `Packager CPU for this stream (node + its remux ffmpeg): ${cpuPct.toFixed(1)} % of one core. Memory the in-memory store held`,
    `for the stream (init, its live window and the segment in progress, both tracks): at most ${(memory / 1e6).toFixed(1)} MB.`,
    '',
    'Reproduce: `npx nx run packager:bench` (env BENCH_STREAM, BENCH_SECONDS, BENCH_LATE_JOIN_S, BENCH_REPS). The generator and up to',
    'two chromium players (while both viewers watch) run on the same 2 cores, so absolute figures carry that load.',
    '',
  ].join('\n');
  if (process.env['BENCH_WRITE'] !== '0') {
    const file = join(root, 'docs/benchmarks.md');
    const doc = readFileSync(file, 'utf8');
    const updated = doc.replace(/## Live streams \((standard mode|standard and low-latency)\)\n[\s\S]*?(?=\nSame benchmark on a light stream|\n## |$)/, section);
    writeFileSync(file, updated);
    console.log('docs/benchmarks.md updated');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
