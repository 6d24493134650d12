// Benchmark (not a test): how fast each player's ABR answers a bandwidth change, with the page's throttle, on the
// ffmpeg ladder fixture (@livelab/media-player/testing: 1.5 / 0.6 / 0.2 Mbit/s rungs + 64 kbit/s audio, 1 s segments).
// Each run: open the page on a 5 Mbit/s "link" (the cap), wait for the top rung on screen, drop the cap to 0.7 Mbit/s,
// time the down-switch request (player event) and the lower rung on screen (rung strip), then raise it to 10 Mbit/s
// and time the up-switch (why these rates: apps/packager-e2e/test/abr-page.test.ts); stalls (`waiting` after playback began) are counted from the drop on.
// Run: `npx nx run @livelab/media-player:bench-abr`. Writes docs/benchmarks.md ("ABR switches").
//
// Env: BENCH_REPS (3), BENCH_ABR_DELAYS (comma list of ?delay= seconds, "tuned" = the page's own targets; default
// "10,tuned"), BENCH_ONLY=hls|dash, BENCH_WRITE=0 to only print.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import type { Format, PageStats, PageStatsWindow } from '@livelab/media-contract';
import { FIXTURE_THROTTLE_RATES, startLadderFixture } from '@livelab/media-player/testing';

const root = resolve(__dirname, '../..');
const REPS = Number(process.env['BENCH_REPS'] ?? 3);
const DELAYS = (process.env['BENCH_ABR_DELAYS'] ?? '10,tuned').split(',').map((d) => (d === 'tuned' ? undefined : Number(d)));
const FORMATS: Format[] = process.env['BENCH_ONLY'] ? [process.env['BENCH_ONLY'] as Format] : ['hls', 'dash'];
// The fixture's throttle rates (5000 → 700 → 10000 kbit/s): FIXTURE_THROTTLE_RATES, reasons in abr-page.test.ts.
const { linkKbps: LINK_KBPS, capKbps: DROP_KBPS, backKbps: BACK_KBPS } = FIXTURE_THROTTLE_RATES;

/** What the figures say, kept with the table (the first run's reading; check it against new figures). */
const NOTES = [
  '- With 10 s of live delay neither player stalls; dash.js asks for the lower rung ~5 s after the drop (two slow',
  '  fragments), hls.js ~7–8 s (its estimate falls per fragment, weighted by load time). dash.js shows the new rung',
  '  almost at once (fast switching replaces what is buffered); hls.js only after the buffered old rung plays out.',
  '- At the tuned standard-mode delay (1.25 s hls.js, 1.7 s dash.js) a drop below the playing rung stalls: hls.js',
  "  switches within 1–1.5 s (its abandon rule, fed by the throttle's paced progress) but still stalls once per drop;",
  "  dash.js's abandon rule reads progress events, which the throttle cannot pace (they arrive at full speed), so it",
  '  loads whole slow fragments and stalls repeatedly. Low latency and a bandwidth drop do not mix without more buffer.',
  '- Up-switches: dash.js ~2.5 s at a 10 s delay; hls.js 3–19 s, slow because each fast load is a short sample in its',
  '  time-weighted estimate.',
].join('\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stats = (page: Page): Promise<PageStats> => page.evaluate(() => (window as unknown as PageStatsWindow).livelabStats());

/** Set the page's throttle like a user: a preset from the menu, or "Other…" and a number (kbit/s). */
async function setCap(page: Page, kbps: number): Promise<void> {
  const presets = await page.locator('#throttle option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  if (presets.includes(String(kbps))) return void (await page.selectOption('#throttle', String(kbps)));
  await page.selectOption('#throttle', 'custom');
  await page.fill('#throttle-kbps', String(kbps));
  await page.locator('#throttle-kbps').dispatchEvent('change');
}

async function waitFor(page: Page, what: (s: PageStats) => boolean, timeoutMs: number): Promise<PageStats | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const s = await stats(page);
    if (what(s)) return s;
    await sleep(100);
  }
  return undefined;
}

interface Switch {
  requestS?: number;
  screenS?: number;
}
interface Run {
  down: Switch;
  up: Switch;
  stalls: number;
}

/** One switch after `at`: request and on-screen times, s. */
async function timeSwitch(page: Page, at: number, direction: 'down' | 'up', timeoutMs: number): Promise<Switch> {
  const find = (s: PageStats) => s.abr.switches.find((x) => x.requestedAt >= at && x.direction === direction);
  const req = await waitFor(page, (s) => !!find(s), timeoutMs);
  if (!req) return {};
  const requested = find(req);
  const shown = await waitFor(page, (s) => find(s)?.onScreenAt !== undefined || s.abr.switches.at(-1) !== find(s), timeoutMs);
  const sw = shown && find(shown);
  return { requestS: requested && (requested.requestedAt - at) / 1000, screenS: sw?.onScreenAt !== undefined ? (sw.onScreenAt - at) / 1000 : undefined };
}

async function oneRun(page: Page, url: string, delay: number | undefined): Promise<Run | undefined> {
  await page.goto(url);
  await setCap(page, LINK_KBPS);
  const settled = await waitFor(page, (s) => s.playing && s.abr.rungOnScreen === 0 && s.bufferS > (delay ?? 1.2) / 2, 60_000);
  if (!settled) return undefined;
  await sleep(4000); // a few fragments at the link rate: the estimate settles near it
  const before = await stats(page);
  const droppedAt = Date.now();
  await setCap(page, DROP_KBPS);
  const down = await timeSwitch(page, droppedAt, 'down', 30_000 + (delay ?? 0) * 1000);
  await sleep(4000);
  const raisedAt = Date.now();
  await setCap(page, BACK_KBPS);
  const up = await timeSwitch(page, raisedAt, 'up', 60_000 + (delay ?? 0) * 1000);
  const after = await stats(page);
  return { down, up, stalls: after.stalls - before.stalls };
}

const fmt = (v: number[]) => {
  if (!v.length) return '—';
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const med = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return s.length > 1 ? `${med.toFixed(1)} (${s[0].toFixed(1)}–${s.at(-1)?.toFixed(1)})` : med.toFixed(1);
};

async function main() {
  const fixture = await startLadderFixture();
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'],
  });
  const load0 = loadavg()[0];
  const rows: string[] = [];
  try {
    for (const delay of DELAYS) {
      for (const format of FORMATS) {
        const runs: Run[] = [];
        let failed = 0;
        for (let rep = 0; rep < REPS; rep++) {
          const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
          const run = await oneRun(page, fixture.pageUrl(format, { delay }), delay).catch(() => undefined);
          await page.close();
          if (run) runs.push(run);
          else failed++;
          console.log(format, delay ?? 'tuned', rep, JSON.stringify(run));
        }
        const pick = (f: (r: Run) => number | undefined) => runs.map(f).filter((v): v is number => v !== undefined);
        const missed = (f: (r: Run) => number | undefined) => runs.filter((r) => f(r) === undefined).length;
        rows.push(
          `| ${format === 'hls' ? 'hls.js' : 'dash.js'} | ${delay === undefined ? 'tuned (standard)' : `${delay} s`} | ${fmt(pick((r) => r.down.requestS))} | ${fmt(pick((r) => r.down.screenS))} | ` +
            `${fmt(pick((r) => r.up.requestS))} | ${fmt(pick((r) => r.up.screenS))} | ${runs.map((r) => r.stalls).join(', ') || '—'} | ` +
            `${missed((r) => r.down.requestS) + missed((r) => r.up.requestS)}${failed ? ` (+${failed} never settled)` : ''} |`,
        );
      }
    }
  } finally {
    await browser.close();
    await fixture.stop();
  }
  const load1 = loadavg()[0];
  const section = [
    '## ABR switches (issue 17)',
    '',
    `Taken ${new Date().toISOString().slice(0, 10)} on the shared 2-core box (load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end: other`,
    `engineers' ffmpeg, chromium and tests ran alongside). ${REPS} runs per row; median (min–max), seconds.`,
    '',
    `The page's throttle (in-page pacing, not a network throttle) at ${LINK_KBPS / 1000} Mbit/s, dropped to ${DROP_KBPS / 1000} Mbit/s, raised`,
    `to ${BACK_KBPS / 1000} Mbit/s; ladder fixture 1.5 / 0.6 / 0.2 Mbit/s + 64 kbit/s audio, 1 s segments. "request": the player's switch event`,
    '(hls.js LEVEL_SWITCHING, dash.js QUALITY_CHANGE_REQUESTED) after the cap changed; "on screen": the rung strip of a',
    'presented frame reads the new rung. Stalls: `waiting` events from the drop to the end of the run.',
    '',
    '| player | live delay | down: request | down: on screen | up: request | up: on screen | stalls per run | switches missed |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    NOTES,
    '',
    'Reproduce: `npx nx run @livelab/media-player:bench-abr` (env BENCH_REPS, BENCH_ABR_DELAYS, BENCH_ONLY).',
    '',
  ].join('\n');
  console.log(section);
  if (process.env['BENCH_WRITE'] !== '0') {
    const file = join(root, 'docs/benchmarks.md');
    const doc = readFileSync(file, 'utf8');
    const re = /## ABR switches \(issue 17\)\n[\s\S]*?(?=\n## |$)/;
    writeFileSync(file, re.test(doc) ? doc.replace(re, section) : doc.replace('\n## Generator', `\n${section}\n## Generator`));
    console.log('docs/benchmarks.md updated');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
