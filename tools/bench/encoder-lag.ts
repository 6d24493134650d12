// How far the live stream falls behind the wall clock (session 8; docs/status.md "Next" 1). Starts the built packager
// and generator (`npx nx run packager:build:production generator:build:production` first) with one stream, then every
// 2 s compares the newest complete segment in the LL-HLS playlist with the number a DASH player computes from the wall
// clock (the MPD's startNumber + whole seconds since availabilityStartTime). "lag" grows when the encoder cannot keep
// up; dash.js then asks for segments not made yet. Make the load deliberate, e.g. pin everything to one core beside
// three busy loops:
//   for i in 1 2 3; do (timeout 95 taskset -c 0 nice -n 19 node -e 'for(;;){}' &); done
//   timeout 90 taskset -c 0 nice -n 19 npx tsx tools/bench/encoder-lag.ts
// Measured 2026-12-01 that way, ladder-720p30: lag 1 → 31 segments in 60 s.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const STREAM = process.env['STREAM'] ?? 'ladder-720p30';
const ROUNDS = Number(process.env['ROUNDS'] ?? 30);
const base = 'http://127.0.0.1:18580';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const start = (app: string, env: Record<string, string>) =>
  spawn(process.execPath, [join(root, 'dist/apps', app, 'main.js')], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });

async function text(path: string): Promise<string | undefined> {
  const res = await fetch(base + path).catch(() => undefined);
  return res?.ok ? res.text() : undefined;
}

async function main() {
  const key = 'encoder-lag-key';
  const packager = start('packager', { HTTP_PORT: '18580', RTMP_PORT: '19535', PROBE_PORT: '18588', PUBLISH_KEY: key });
  await sleep(3000);
  const generator = start('generator', { HTTP_PORT: '18581', PACKAGER_RTMP_URL: 'rtmp://127.0.0.1:19535/live', PUBLISH_KEY: key, STREAMS: STREAM });
  for (let i = 0; i < ROUNDS; i++) {
    await sleep(2000);
    const mpd = await text(`/live/${STREAM}/manifest-ll.mpd`);
    const playlist = await text(`/live/${STREAM}/media_0-ll.m3u8`);
    if (!mpd || !playlist) {
      console.log(`${i * 2} s: not listed`);
      continue;
    }
    const ast = Date.parse(/availabilityStartTime="([^"]+)"/.exec(mpd)?.[1] ?? '');
    const startNumber = Number(/startNumber="(\d+)"/.exec(mpd)?.[1]);
    const wallClockNumber = startNumber + Math.floor((Date.now() - ast) / 1000);
    const newest = Number([...playlist.matchAll(/chunk-\d+-(\d+)\.m4s/g)].at(-1)?.[1]);
    console.log(`${i * 2} s: lag ${wallClockNumber - newest} segments (wall clock says ${wallClockNumber}, newest ${newest})`);
  }
  generator.kill('SIGTERM');
  packager.kill('SIGTERM');
}
void main();
