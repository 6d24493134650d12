// Benchmark (not a test): what hls.js and dash.js do with each fault preset on a real live encode (issue 18). The
// live page in Debian chromium plays the stream in low-latency mode through /faults/<rules>/live/… for BENCH_SECONDS
// per case; per case it reports how much the video advanced, stalls and the time spent stalled, error and retry
// events (the page's recovery lane), page errors, and the glass-to-glass median at the end. Figures: docs/faults.md.
// Run: `npx nx run packager:bench-faults` (builds first). Env: BENCH_SECONDS (25), BENCH_ONLY=<case id>,… .
import { chromium } from 'playwright-core';
import { FAULT_PRESETS, STREAMS_API_PATH, type Format, type PageStatsWindow, type StreamList } from '@livelab/media-contract';
import { pollUntil, silentLogger } from '@livelab/service-kit';
import { TestSignalPublisher } from '@livelab/media-generator';
import { Packager } from '@livelab/media-packaging';
import { playerRouter } from '@livelab/media-player';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 25);
const ONLY = process.env['BENCH_ONLY']?.split(',');
const STREAM = 'faults-bench';
const KEY = 'fault-bench-key';

const CASES: Array<{ id: string; rules: string; formats: Format[] }> = [
  { id: 'none', rules: '', formats: ['hls', 'dash'] },
  ...FAULT_PRESETS.map((p) => ({ id: p.id, rules: p.rules, formats: (p.id === 'stale-playlist' ? ['hls'] : ['hls', 'dash']) as Format[] })),
  { id: 'truncate', rules: 'on=segment+part,every=10,truncate=2000', formats: ['hls', 'dash'] },
  { id: 'drop', rules: 'on=segment+part,every=10,drop', formats: ['hls', 'dash'] },
  { id: 'mpd-503', rules: 'on=manifest,up=10,down=5,status=503', formats: ['hls', 'dash'] },
  { id: 'skip', rules: 'on=playlist+reload,every=10,skip', formats: ['hls'] },
];

async function main() {
  const packager = new Packager({ publishKey: KEY, logger: silentLogger(), pageRouter: playerRouter(), faults: { enabled: true } });
  const { httpPort, rtmpPort } = await packager.start({ rtmpPort: 23935, httpPort: 23480, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${httpPort}`;
  const publisher = new TestSignalPublisher({
    streams: [{ name: STREAM, pattern: 'smptehdbars', width: 640, height: 360, fps: 30, videoBitrateKbps: 800, audioBitrateKbps: 128 }],
    rtmpBaseUrl: `rtmp://127.0.0.1:${rtmpPort}/live`,
    publishKey: KEY,
    logger: silentLogger(),
  });
  await publisher.start();
  await pollUntil('the stream to be live', async () => ((await (await fetch(`${base}${STREAMS_API_PATH}`)).json()) as StreamList).streams.some((s) => s.name === STREAM), 60_000);
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  const rows: string[] = ['| fault | rules | player | video advanced | stalls (time stalled) | error / retry events | page errors | g2g median at end |', '|---|---|---|---|---|---|---|---|'];
  try {
    for (const c of CASES) {
      if (ONLY && !ONLY.includes(c.id)) continue;
      for (const format of c.formats) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const q = c.rules ? `&faults=${encodeURIComponent(c.rules)}` : '';
        await page.goto(`${base}/?stream=${STREAM}&format=${format}&mode=ll${q}`);
        const stats = () => page.evaluate(() => (window as unknown as PageStatsWindow).livelabStats());
        let row: string;
        try {
          await pollUntil('playing', async () => (await stats()).playing, 30_000);
          const t0 = (await stats()).currentTime;
          await new Promise((r) => setTimeout(r, SECONDS * 1000));
          const s = await stats();
          const ev = s.recovery ?? [];
          let stalled = 0;
          let since: number | undefined;
          for (const e of ev) {
            if (e.kind === 'stall') since = e.t;
            if (e.kind === 'resume' && since !== undefined) {
              stalled += e.t - since;
              since = undefined;
            }
          }
          if (since !== undefined) stalled += Date.now() - since;
          const g2g = [...s.g2gSamples.slice(-40)].sort((a, b) => a - b)[Math.floor(Math.min(40, s.g2gSamples.length) / 2)];
          const count = (k: string) => ev.filter((e) => e.kind === k).length;
          row = `| ${c.id} | \`${c.rules || '—'}\` | ${format === 'hls' ? 'hls.js' : 'dash.js'} | ${(s.currentTime - t0).toFixed(1)} s in ${SECONDS} s | ${s.stalls} (${(stalled / 1000).toFixed(1)} s) | ${count('error')} / ${count('retry')} | ${s.errors.length} | ${g2g === undefined ? '–' : `${(g2g / 1000).toFixed(2)} s`} |`;
        } catch (e) {
          row = `| ${c.id} | \`${c.rules}\` | ${format} | did not start (${(e as Error).message}) | | | | |`;
        }
        console.log(row);
        rows.push(row);
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await publisher.stop();
    await packager.stop();
  }
  console.log(`\n${rows.join('\n')}`);
}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
