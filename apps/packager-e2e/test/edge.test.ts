// The edge tier (issue 16, docker/edge/default.vcl) with Debian's real varnishd in front of a real packager fed by a
// real ffmpeg test signal: a counting proxy between the edge and the packager sees every origin request. 300
// simulated LL-HLS and LL-DASH viewers through the edge must cost the origin about what 30 do (one fetch per part,
// segment and blocking playlist version), and the page in chromium must play both low-latency modes through the
// edge within 100 ms glass-to-glass of the same page played direct.
import type { Browser, Page } from 'playwright-core';
import { CLOCK_PATH, STREAMS_API_PATH, manifestPath, type PageStatsWindow, type StreamList } from '@livelab/media-contract';
import type { TestSignalPublisher } from '@livelab/media-generator';
import type { Packager } from '@livelab/media-packaging';
import { ViewerCrowd, ViewerStats, type ViewerKind } from '@livelab/media-viewer-sim';
import { pollUntil } from '@livelab/service-kit';
import { launchChromium } from './browser';
import { CountingProxy, startEdge, type Edge } from './edge';
import { startLiveStack } from './live-stack';

jest.setTimeout(180_000);

const KEY = 'edge-test-key';
const STREAM = 'edge-360p30';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let packager: Packager;
let publisher: TestSignalPublisher;
let proxy: CountingProxy;
let edge: Edge;
/** A second edge straight on the packager (no counting proxy in the way) for the players. */
let pageEdge: Edge;
let direct: string;
let viaEdge: string;

beforeAll(async () => {
  let httpPort: number;
  ({ packager, publisher, httpPort } = await startLiveStack(STREAM, KEY));
  direct = `http://127.0.0.1:${httpPort}`;
  proxy = new CountingProxy({ host: '127.0.0.1', port: httpPort });
  await proxy.start();
  edge = await startEdge({ host: '127.0.0.1', port: proxy.port });
  viaEdge = `http://127.0.0.1:${edge.port}`;
  pageEdge = await startEdge({ host: '127.0.0.1', port: httpPort });
  await pollUntil('the stream to be live through the edge', async () => {
    const res = await fetch(`${viaEdge}${STREAMS_API_PATH}`);
    return res.ok && ((await res.json()) as StreamList).streams.some((s) => s.name === STREAM);
  });
});

afterAll(async () => {
  await publisher?.stop();
  await edge?.stop();
  await pageEdge?.stop();
  await proxy?.stop();
  await packager?.stop();
});

const originCount = (pred: (url: string) => boolean) => [...proxy.counts].filter(([u]) => pred(u)).reduce((n, [, c]) => n + c, 0);

describe('the edge', () => {
  it('answers its own probes, keys files without junk parameters, and points UTCTiming through itself', async () => {
    const health = await fetch(`${viaEdge}/healthz`);
    expect([health.status, (await health.text()).trim()]).toEqual([200, 'ok']);

    const mpd = await (await fetch(`${viaEdge}${manifestPath(STREAM, 'dash', 'll')}`)).text();
    const clock = /<UTCTiming [^>]*value="([^"]+)"/.exec(mpd)?.[1];
    expect(clock).toBe(`${viaEdge}${CLOCK_PATH}`);
    const time = await fetch(clock as string);
    expect(time.headers.get('x-cache')).toBe('PASS'); // the origin's clock, never a cached one
    expect(Math.abs(Date.parse(await time.text()) - Date.now())).toBeLessThan(5000);

    proxy.reset();
    const playlist = manifestPath(STREAM, 'hls', 'll').replace('master-ll', 'media_0-ll');
    const first = await fetch(`${viaEdge}${playlist}?utm=a`);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const text = await first.text();
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="chunk-0-(\d+)\.(\d+)\.m4s"/.exec(text) as RegExpExecArray;
    // Parameters in any order, with junk: one origin fetch, with only _HLS_msn and _HLS_part, in that order.
    const asks = [`?x=1&_HLS_part=${hint[2]}&_HLS_msn=${hint[1]}`, `?_HLS_msn=${hint[1]}&_HLS_part=${hint[2]}&cb=${Date.now()}`, `?_HLS_msn=${hint[1]}&_HLS_part=${hint[2]}`];
    const answers = await Promise.all(asks.map((q) => fetch(`${viaEdge}${playlist}${q}`)));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.headers.get('cache-control')).toBe('public, max-age=6');
      expect(await a.text()).toContain(`chunk-0-${hint[1]}.${hint[2]}.m4s`);
    }
    expect(answers.map((a) => a.headers.get('x-cache')).sort()).toEqual(['HIT', 'HIT', 'MISS']);
    expect([...proxy.counts.keys()].filter((u) => u.includes('_HLS_'))).toEqual([`${playlist}?_HLS_msn=${hint[1]}&_HLS_part=${hint[2]}`]);
    expect([...proxy.counts.keys()].some((u) => /utm|x=1|cb=/.test(u))).toBe(false);

    // An error is shared for at most a second, then asked again (never a long hit-for-miss).
    const missing = `${mediaDir()}/chunk-0-1.m4s`;
    const e1 = await fetch(`${viaEdge}${missing}`);
    const e2 = await fetch(`${viaEdge}${missing}`);
    expect([e1.status, e2.status, e2.headers.get('x-cache')]).toEqual([404, 404, 'HIT']);
    await sleep(1200);
    expect((await fetch(`${viaEdge}${missing}`)).headers.get('x-cache')).toBe('MISS');
    expect(proxy.counts.get(missing)).toBe(2);
  });

  // The page in chromium, direct and then through an edge (straight on the packager), one player at a time: two pages playing at once on
  // these 2 cores differ by seconds even when both play direct (measured: 1337 vs 3301 ms), whichever is second.
  it.each(['hls', 'dash'] as const)('plays %s low latency through the edge within 100 ms glass-to-glass of direct', async (format) => {
    const { browser, close } = await launchChromium();
    try {
      const direct_ = await playFor(browser, `${direct}/?stream=${STREAM}&format=${format}&mode=ll`);
      const edge_ = await playFor(browser, `http://127.0.0.1:${pageEdge.port}/?stream=${STREAM}&format=${format}&mode=ll`);
      console.log(`${format} ll: glass-to-glass median direct ${direct_.median} ms, through the edge ${edge_.median} ms (samples ${direct_.samples} / ${edge_.samples}, stalls ${direct_.stalls} / ${edge_.stalls})`);
      expect(edge_.samples).toBeGreaterThan(20);
      // Through the counting proxy (a Node server in this process, beside the packager) LL-HLS measured +170 to
      // +1100 ms behind direct; through an edge straight on the packager it is within the goal (docs/scaling.md).
      expect(edge_.median).toBeLessThanOrEqual(direct_.median + 100);
    } finally {
      await close();
    }
  });

  it('serves 300 simulated viewers for about the origin requests of 30: one fetch per part, segment and playlist version', async () => {
    const run = async (n: number) => {
      const stats = new ViewerStats();
      const crowds = (['ll-hls', 'll-dash'] as ViewerKind[]).map(
        (kind) => new ViewerCrowd(kind, { host: '127.0.0.1', port: edge.port, manifestPath: manifestPath(STREAM, kind === 'll-hls' ? 'hls' : 'dash', 'll') }, stats),
      );
      await Promise.all(crowds.map((c) => c.grow(n / 2, 1000)));
      await sleep(2000); // everyone joined and follows the live edge
      proxy.reset();
      stats.reset();
      const cpu0 = edge.cpuSeconds();
      await sleep(6000);
      const edgeCpu = (edge.cpuSeconds() - cpu0) / 6;
      const counts = new Map(proxy.counts);
      const summary = stats.summary();
      await Promise.all(crowds.map((c) => c.stop()));
      // Versioned files: a part, a segment, a blocking playlist reload (one playlist version each).
      const versioned = [...counts].filter(([u]) => /\/chunk-\d+-\d+(\.\d+)?\.m4s$/.test(u) || u.includes('_HLS_msn='));
      const worst = versioned.reduce((m, [, c]) => Math.max(m, c), 0);
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      console.log(`${n} viewers: edge CPU ${(edgeCpu * 100).toFixed(1)} % of a core; origin ${total} requests in 6 s (${versioned.length} versioned URLs, at most ${worst} each); viewers ${summary.requests} requests, ${summary.delivered} delivered, miss ${(summary.missRate * 100).toFixed(1)} %, p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, errors ${summary.errors}`);
      return { n, total, worst, versioned: versioned.length, summary };
    };
    const small = await run(30);
    const large = await run(300);
    for (const r of [small, large]) {
      expect(r.versioned).toBeGreaterThan(20); // parts and segments of both tracks went by
      expect(r.worst).toBeLessThanOrEqual(2);
      expect(r.summary.delivered).toBeGreaterThan(r.n * 20); // the viewers really got the stream
      expect(r.summary.errors).toBeLessThanOrEqual(r.summary.requests * 0.01);
    }
    expect(large.summary.requests).toBeGreaterThan(small.summary.requests * 5); // ten times the viewers asked ~ten times as much …
    expect(large.total).toBeLessThanOrEqual(small.total * 1.5 + 20); // … and the origin saw about the same
    expect(originCount((u) => u === '/healthz')).toBe(0);
  });
});

function mediaDir(): string {
  return manifestPath(STREAM, 'hls', 'll').replace(/\/[^/]+$/, '');
}

const stats = (page: Page) => page.evaluate(() => (window as unknown as PageStatsWindow).livelabStats());

/** Play the page at `url`, let the player settle on its target, then the glass-to-glass median over 7 s. */
async function playFor(browser: Browser, url: string): Promise<{ median: number; samples: number; stalls: number }> {
  const page = await browser.newPage({ viewport: { width: 960, height: 600 } });
  try {
    await page.goto(url);
    await pollUntil('playback', async () => (await stats(page)).playing, 30_000);
    await sleep(3000); // the page's catch-up (≤ +10 % rate) takes up where the player happened to start
    const from = (await stats(page)).g2gSamples.length;
    await sleep(7000);
    const s = await stats(page);
    expect(s.errors).toEqual([]);
    expect(s.mode).toBe('ll');
    const window = [...s.g2gSamples.slice(from)].sort((a, b) => a - b);
    return { median: Math.round(window[Math.floor(window.length / 2)]), samples: window.length, stalls: s.stalls };
  } finally {
    await page.close();
  }
}
