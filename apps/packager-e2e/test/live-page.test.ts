// The live page in a real browser: real packager (RTMP + CMAF remux + HTTP), a real ffmpeg test signal,
// Debian chromium. For HLS and DASH the video must advance ≥ 5 s within 8 s with no player error, and the
// glass-to-glass latency decoded from the timecode strip must be shown; in both modes 20 s without a stall and with
// audio and video in step.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { STREAMS_API_PATH, type Format, type PageStatsWindow, type StreamList } from '@livelab/media-contract';
import { pollUntil, silentLogger } from '@livelab/service-kit';
import { TestSignalPublisher } from '@livelab/media-generator';
import { Packager } from '@livelab/media-packaging';
import { playerRouter } from '@livelab/media-player';
import { launchChromium } from './browser';
import { startLiveStack } from './live-stack';

jest.setTimeout(180_000);

const ARTIFACTS = resolve(__dirname, '../../../artifacts');
const KEY = 'browser-test-key';
const STREAM = 'e2e-360p30';

let packager: Packager;
let ports: { rtmpPort: number; httpPort: number };
let publisher: TestSignalPublisher;
let base: string;
let rtmpBase: string;
let browser: Browser;
let closeBrowser: () => Promise<void>;

const stats = (page: Page) => page.evaluate(() => (window as unknown as PageStatsWindow).livelabStats());

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  let httpPort: number;
  let rtmpPort: number;
  ({ packager, publisher, httpPort, rtmpPort } = await startLiveStack(STREAM, KEY));
  ports = { httpPort, rtmpPort };
  base = `http://127.0.0.1:${httpPort}`;
  rtmpBase = `rtmp://127.0.0.1:${rtmpPort}/live`;
  ({ browser, close: closeBrowser } = await launchChromium());
  await pollUntil('the stream to be live', async () => {
    const res = await fetch(`${base}${STREAMS_API_PATH}`);
    return ((await res.json()) as StreamList).streams.some((s) => s.name === STREAM);
  });
});

afterAll(async () => {
  await closeBrowser?.();
  await publisher?.stop();
  await packager?.stop();
});

async function expectPlayback(page: Page, format: Format) {
  await pollUntil(`${format} playback to start`, async () => (await stats(page)).playing, 30_000);
  // It starts at the live edge (within a few seconds of the newest media), not somewhere back in the DVR window.
  const behindEdgeS = await page.evaluate(() => {
    const v = document.querySelector('video') as HTMLVideoElement;
    return v.seekable.end(v.seekable.length - 1) - v.currentTime;
  });
  expect(behindEdgeS).toBeLessThan(4);
  const t0 = (await stats(page)).currentTime;
  // ≥ 5 s of video within 8 s of playing, polled (no fixed wait).
  await pollUntil(`${format} to play 5 s`, async () => (await stats(page)).currentTime - t0 >= 5, 8000, 250);
  const s = await stats(page);
  expect(s.errors).toEqual([]);
  // The recovery lane shows no stall the page did not count (before the first frame the element waits by design).
  expect((s.recovery ?? []).filter((e) => e.kind === 'stall').length).toBeLessThanOrEqual(s.stalls);
  expect(s.format).toBe(format);
  expect(s.stream).toBe(STREAM);
  expect(s.resolution).toBe('640x360');
  expect(s.currentTime - t0).toBeGreaterThanOrEqual(5);
  // The timecode strip decodes and the latency is plausible for a local standard-mode stream.
  expect(s.g2gSamples.length).toBeGreaterThan(10);
  expect(s.g2gMs).toBeGreaterThan(100);
  expect(s.g2gMs).toBeLessThan(10_000);
  const shown = await page.textContent('#s-g2g');
  expect(shown).toMatch(/^\d+\.\d\d s$/);
  return s;
}

describe('the live page', () => {
  // Issue 15: both players in both modes, 20 s after settling: no stall, A/V in step (beep heard vs flash shown,
  // |offset| ≤ 40 ms on every beep); low latency also stays under 2 s glass-to-glass (issue 7).
  it.each([
    ['hls', 'standard'],
    ['dash', 'standard'],
    ['hls', 'll'],
    ['dash', 'll'],
  ] as const)('plays %s %s for 20 s without a stall, audio and video in step', async (format, mode) => {
    // hls ll is opened the way a person does it (the list, then a click: the page's default mode is low latency);
    // dash standard as a shared link on a phone-sized screen; the others by link.
    const phone = format === 'dash' && mode === 'standard';
    const page = await browser.newPage({ viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 800 } });
    // The media playlist reloads the player makes: hls.js asks for delta updates (_HLS_skip=YES) when offered.
    const reloads: { url: string; status: number }[] = [];
    page.on('response', (r) => void (/\.m3u8\?/.test(r.url()) && reloads.push({ url: r.url(), status: r.status() })));
    if (format === 'hls' && mode === 'll') {
      await page.goto(base);
      await page.waitForSelector(`#streams li[data-name="${STREAM}"]`);
      await page.click(`[data-play="${STREAM}|hls"]`);
      expect(page.url()).toBe(`${base}/?stream=${STREAM}&format=hls&mode=ll`);
    } else {
      await page.goto(`${base}/?stream=${STREAM}&format=${format}&mode=${mode}`);
    }
    const started = await expectPlayback(page, format);
    expect(started.mode).toBe(mode);
    const before = await stats(page);
    await page.waitForTimeout(20_000);
    const s = await stats(page);
    const window = s.g2gSamples.slice(before.g2gSamples.length);
    const av = s.avSamples.slice(before.avSamples.length);
    const sorted = [...window].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      `${format} ${mode}: g2g median ${median} ms, max ${sorted.at(-1)} ms over ${window.length} samples, ` +
        `stalls ${s.stalls - before.stalls}, A/V ${av.map(Math.round).join(' ')} ms (Web Audio route +${Math.round(s.avGraphLatencyMs ?? 0)} ms not included)`,
    );
    expect(s.errors).toEqual([]);
    expect(s.mode).toBe(mode);
    expect(await page.textContent('#now-playing')).toContain(mode === 'll' ? 'low latency' : 'standard');
    expect(window.length).toBeGreaterThan(30);
    expect(s.stalls - before.stalls).toBe(0);
    expect(s.avState).toBe('measuring');
    expect(av.length).toBeGreaterThanOrEqual(10); // a beep a second; a few may fall on a dropped frame
    for (const ms of av) expect(Math.abs(ms)).toBeLessThanOrEqual(40);
    expect(await page.textContent('#s-av')).toMatch(/^[+-]\d+ ms$/);
    if (format === 'hls' && mode === 'll') {
      // hls.js 1.7 took the offer (CAN-SKIP-UNTIL): its blocking reloads were delta updates, every one answered.
      const deltas = reloads.filter((r) => new URL(r.url).searchParams.get('_HLS_skip') === 'YES');
      expect(deltas.length).toBeGreaterThan(20);
      expect(deltas.filter((r) => r.status !== 200)).toEqual([]);
    }
    if (mode === 'll') expect(sorted.at(-1)).toBeLessThan(2000);
    else expect(median).toBeLessThan(4000);
    await page.screenshot({ path: join(ARTIFACTS, `page-${format}-${mode}-${phone ? '390x844' : '1280x800'}.png`), fullPage: phone });
    await page.close();
  });

  it('resumes by itself after the packager restarts: no reload, playing again within seconds', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/?stream=${STREAM}&format=hls`);
    await pollUntil('playback', async () => (await stats(page)).playing, 30_000);
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    const { port } = new URL(base);
    const rtmpPort = ports.rtmpPort;
    await packager.stop();
    packager = new Packager({ publishKey: KEY, logger: silentLogger(), pageRouter: playerRouter() });
    await packager.start({ rtmpPort, httpPort: Number(port), host: '127.0.0.1' });
    const back = Date.now();
    // The generator publishes again, the page sees the new publish and starts its player afresh on it.
    await pollUntil('the stream on the new packager', () => packager.listStreams().some((s) => s.name === STREAM), 15_000, 50);
    // Playing again: over 2.5 s the video advanced by 2 s, with no error since the player restarted.
    await pollUntil('the page playing the new publish', async () => {
      const a = await stats(page);
      await page.waitForTimeout(2500);
      const b = await stats(page);
      return b.playing && b.errors.length === 0 && b.currentTime - a.currentTime >= 2;
    }, 25_000, 0);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(Date.now() - back).toBeLessThan(15_000);
    await page.close();
  });

  it('follows the stream going away without a reload', async () => {
    // Its own stream, so the shared one plays on for the tests in any order.
    const name = 'e2e-gone-180p25';
    const gone = new TestSignalPublisher({
      streams: [{ name, pattern: 'smptehdbars', width: 320, height: 180, fps: 25, videoBitrateKbps: 300, audioBitrateKbps: 64 }],
      rtmpBaseUrl: rtmpBase,
      publishKey: KEY,
      logger: silentLogger(),
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await gone.start();
      await pollUntil(`${name} to be live`, async () => ((await (await fetch(`${base}${STREAMS_API_PATH}`)).json()) as StreamList).streams.some((s) => s.name === name), 60_000);
      await page.goto(`${base}/?stream=${name}&format=hls`);
      await pollUntil('playback', async () => (await stats(page)).playing, 30_000);
      await gone.stop();
      await page.waitForSelector(`#streams li[data-name="${name}"]`, { state: 'detached', timeout: 10_000 });
      await page.waitForSelector('#overlay:not([hidden])', { timeout: 10_000 });
      expect(await page.textContent('#overlay')).toContain('has ended');
      await page.waitForSelector(`#streams li[data-name="${STREAM}"]`); // the other stream is still listed
    } finally {
      await gone.stop();
      await page.close();
    }
  });
});
