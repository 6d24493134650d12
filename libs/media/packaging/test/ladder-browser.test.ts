// Browser smoke (issue 17): hls.js and dash.js in Debian's chromium play a real ladder's presentation (the
// multivariant playlist, the MPD) and, pinned to another rung, switch to it: the decoded picture becomes that rung's
// size and keeps playing. Every case goes through a stream shape (issue 18): hls.js on 2 s segments made of two stored
// ones (standard) and 4 s segments with 2-chunk parts (LL), dash.js on SegmentTimeline MPDs, LL with 3 s segments.
// A test only; the page's rendition menu is the player page's (libs/media/player).
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pollUntil, silentLogger } from '@livelab/service-kit';
import type { StreamSummary } from '@livelab/media-contract';
import request from 'supertest';
import { Packager } from '../src';
import { LadderPublisher, SMALL_LADDER } from './support/ladder-publisher';

jest.setTimeout(180_000);

const KEY = 'ladder-browser-key';
const STREAM = 'ladder-browser';
let packager: Packager;
let httpPort: number;
let publisher: LadderPublisher;
let browser: Browser;

beforeAll(async () => {
  // Fault URLs on: the stream shapes' MPDs and playlists are played here too (issue 18).
  packager = new Packager({ publishKey: KEY, logger: silentLogger(), stallTimeoutMs: 3000, faults: { enabled: true } });
  const ports = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' });
  httpPort = ports.httpPort;
  publisher = new LadderPublisher({ rtmpBase: `rtmp://127.0.0.1:${ports.rtmpPort}/live`, key: KEY, stream: STREAM, rungs: SMALL_LADDER, audio: true });
  await pollUntil('the ladder listed with 3 rungs', async () => {
    const s = ((await request(packager.app).get('/api/streams')).body.streams as StreamSummary[]).find((x) => x.name === STREAM);
    return s?.rungs?.length === 3;
  }, 30_000);
  browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
});

afterAll(async () => {
  await browser?.close();
  await publisher?.stop();
  await packager?.stop();
});

const WORKSPACE_MODULES = join(__dirname, '../../../../node_modules');

/** A page on the packager's origin with a muted <video> and the player library (a file under node_modules) loaded. */
async function playerPage(script: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${httpPort}/time`);
  await page.setContent('<video id="v" muted autoplay playsinline></video>');
  await page.addScriptTag({ path: join(WORKSPACE_MODULES, script) });
  return page;
}

/** Waits until the picture is `height` high and has played on by 2 s since. */
async function playsAt(page: Page, height: number): Promise<void> {
  await page.waitForFunction((h) => (document.getElementById('v') as HTMLVideoElement).videoHeight === h, height, { timeout: 40_000 }).catch(async (e: Error) => {
    const state = await page.evaluate(() => {
      const v = document.getElementById('v') as HTMLVideoElement;
      const w = window as unknown as { errors?: string[]; hls?: { currentLevel: number; loadLevel: number } };
      return { videoHeight: v.videoHeight, currentTime: v.currentTime, errors: w.errors, level: w.hls?.currentLevel, loadLevel: w.hls?.loadLevel };
    });
    throw new Error(`picture never ${height} high: ${JSON.stringify(state)} (${e.message})`);
  });
  const t0 = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
  await page.waitForFunction((t) => (document.getElementById('v') as HTMLVideoElement).currentTime > t + 2, t0, { timeout: 30_000 });
}

// Both modes are played through stream shapes (issue 18): standard on 2 s segments made of two stored ones (seg=2),
// low latency on 4 s segments with 400 ms parts of two stored chunks (seg=4,chunks=2). /live/'s own playlists are
// played by the page tests (apps/packager-e2e: live-page, abr-page).
const HLS_SOURCES = { standard: `/faults/shape,seg=2/live/${STREAM}/master.m3u8`, ll: `/faults/shape,seg=4,chunks=2/live/${STREAM}/master-ll.m3u8` };

it.each(['standard', 'll'] as const)('hls.js plays the %s multivariant playlist and switches to a pinned rung', async (mode) => {
  const page = await playerPage('hls.js/dist/hls.min.js');
  try {
    const levels = await page.evaluate(async (src) => {
      const w = window as unknown as { Hls: any; hls: any; errors: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
      w.errors = [];
      const hls = (w.hls = new w.Hls({ startLevel: 2, lowLatencyMode: src.endsWith('-ll.m3u8') })); // hls.js orders levels by bandwidth, lowest first
      hls.on(w.Hls.Events.ERROR, (_e: unknown, d: { fatal: boolean; details: string }) => d.fatal && w.errors.push(d.details));
      const parsed = new Promise((r) => hls.on(w.Hls.Events.MANIFEST_PARSED, (_e: unknown, d: { levels: Array<{ height: number }> }) => r(d.levels.map((l) => l.height))));
      hls.loadSource(src);
      hls.attachMedia(document.getElementById('v'));
      return parsed;
    }, HLS_SOURCES[mode]);
    expect(levels).toEqual([90, 144, 180]);
    await playsAt(page, 180);
    await page.evaluate(() => ((window as unknown as { hls: { currentLevel: number } }).hls.currentLevel = 0));
    await playsAt(page, 90);
    expect(await page.evaluate(() => (window as unknown as { errors: string[] }).errors)).toEqual([]);
  } finally {
    await page.close();
  }
});

// The MPDs are played through stream shapes (issue 18): standard as a SegmentTimeline (tmpl=timeline), low latency as
// a SegmentTimeline of 3 s segments announced 2 chunks (400 ms) after they start, the segment being made its last S
// (seg=3,chunks=2,tmpl=timeline); /live/'s number-based MPDs are played by the page tests (apps/packager-e2e).
const DASH_SOURCES = {
  standard: `/faults/shape,tmpl=timeline/live/${STREAM}/manifest.mpd`,
  ll: `/faults/shape,tmpl=timeline,seg=3,chunks=2/live/${STREAM}/manifest-ll.mpd`,
};

it.each(['standard', 'll'] as const)('dash.js plays the %s MPD and switches to a pinned Representation', async (mode) => {
  const page = await playerPage('dashjs/dist/modern/umd/dash.all.min.js');
  try {
    await page.evaluate((src) => {
      const w = window as unknown as { dashjs: any; player: any; errors: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
      w.errors = [];
      const player = (w.player = w.dashjs.MediaPlayer().create());
      player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: false } } } });
      player.on('error', (e: { error?: { message?: string } }) => w.errors.push(String(e.error?.message ?? 'error')));
      player.initialize(document.getElementById('v'), src, true);
    }, DASH_SOURCES[mode]);
    await playsAt(page, 180);
    await page.evaluate(() => (window as unknown as { player: { setRepresentationForTypeById: (t: string, id: string) => void } }).player.setRepresentationForTypeById('video', '2'));
    await playsAt(page, 90);
    expect(await page.evaluate(() => (window as unknown as { errors: string[] }).errors)).toEqual([]);
  } finally {
    await page.close();
  }
});
