// How far the live streams fall behind the wall clock (sessions 8–9; docs/benchmarks.md "Generator: the default
// streams' CPU"). Starts the built packager and generator (`npx nx run packager:build:production
// generator:build:production` first) with STREAMS (default: the generator's own default streams), optionally one
// chromium playing a stream on the page (PLAY=<stream>:<format>-<mode>, e.g. PLAY=ladder-720p30:dash-ll), then every
// 5 s compares, for each stream, the newest complete segment in its LL-HLS playlist with the number a DASH player
// computes from the wall clock (the MPD's startNumber + whole seconds since availabilityStartTime): 0–1 is keeping up,
// a growing "lag" means the encoder cannot keep real time, and dash.js then asks for segments not made yet. With PLAY
// it also prints the page's stats (playing, glass-to-glass, stalls, errors, the A/V offset: median of the last 20). ROUNDS (24) × 5 s.
//   PLAY=ladder-720p30:dash-ll npx tsx tools/bench/encoder-lag.ts
// Make the load deliberate, e.g. one core beside three busy loops:
//   for i in 1 2 3; do (timeout 95 taskset -c 0 nice -n 19 node -e 'for(;;){}' &); done
//   STREAMS=ladder-720p30 ROUNDS=18 timeout 90 taskset -c 0 nice -n 19 npx tsx tools/bench/encoder-lag.ts
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { manifestPath, mediaPath, mediaPlaylistUri } from '@livelab/media-contract';
import { allElements, newestListedSegment, oneElement, parseMpd } from '@livelab/media-packaging/testing';
import { DEFAULT_STREAM_NAMES } from '@livelab/media-testsignal';

const root = resolve(__dirname, '../..');
const STREAMS = (process.env['STREAMS'] ?? DEFAULT_STREAM_NAMES.join(',')).split(',');
const PLAY = process.env['PLAY'];
const ROUNDS = Number(process.env['ROUNDS'] ?? 24);
const base = 'http://127.0.0.1:18580';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const start = (app: string, env: Record<string, string>) =>
  spawn(process.execPath, [join(root, 'dist/apps', app, 'main.js')], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });

async function text(path: string): Promise<string | undefined> {
  const res = await fetch(base + path).catch(() => undefined);
  return res?.ok ? res.text() : undefined;
}

/** Segments the stream's newest complete segment is behind the number the wall clock gives, or 'n/a' (not listed). */
async function lag(stream: string): Promise<string> {
  const mpd = await text(manifestPath(stream, 'dash', 'll'));
  const playlist = await text(mediaPath(stream, mediaPlaylistUri(0, 'll')));
  if (!mpd || !playlist) return 'n/a';
  // Read through the project's manifest oracles (hls-parser, fast-xml-parser), not regexes of our own.
  const root = parseMpd(mpd).root;
  const ast = Date.parse(root.attrs['availabilityStartTime']);
  const startNumber = Number(oneElement(allElements(root, 'AdaptationSet')[0], 'SegmentTemplate').attrs['startNumber']);
  const newest = newestListedSegment(playlist);
  if (newest === undefined) return 'n/a';
  return String(startNumber + Math.floor((Date.now() - ast) / 1000) - newest);
}

async function main() {
  const key = 'encoder-lag-key';
  const packager = start('packager', { HTTP_PORT: '18580', RTMP_PORT: '19535', PROBE_PORT: '18588', PUBLISH_KEY: key });
  await sleep(1500);
  const generator = start('generator', { HTTP_PORT: '18581', PACKAGER_RTMP_URL: 'rtmp://127.0.0.1:19535/live', PUBLISH_KEY: key, STREAMS: STREAMS.join(',') });
  const browser = PLAY ? await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'] }) : undefined;
  const page = browser && (await browser.newPage({ viewport: { width: 1280, height: 800 } }));
  if (page && PLAY) {
    await sleep(4000);
    const [stream, mode] = PLAY.split(':');
    const [format, m] = mode.split('-');
    await page.goto(`${base}/?stream=${stream}&format=${format}&mode=${m}`);
  }
  for (let i = 0; i < ROUNDS; i++) {
    await sleep(5000);
    const lags = await Promise.all(STREAMS.map(lag));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const s: any = page ? await page.evaluate(() => (window as any).livelabStats()).catch(() => ({})) : undefined;
    const stats = s ? ` | playing ${s.playing} g2g ${Math.round(s.g2gMs ?? -1)} ms stalls ${s.stalls} ttff ${Math.round(s.firstFrameMs ?? -1)} ms errors ${(s.errors ?? []).length} A/V ${s.avOffsetMs === undefined ? '–' : Math.round(s.avOffsetMs)} ms` : '';
    console.log(`${(i + 1) * 5} s: lag ${STREAMS.map((n, k) => `${n} ${lags[k]}`).join(', ')}${stats}`);
  }
  await browser?.close();
  generator.kill('SIGTERM');
  packager.kill('SIGTERM');
}
void main();
