// A live ABR ladder for the page's browser tests and the switch bench, made without the packager: one real ffmpeg
// (lavfi testsrc2 + a sine tone → split → scale to a few small rungs, each with the generator's timecode strip and its
// own rung strip, x264 with 1 s keyframes) and ffmpeg's own dash muxer writing fMP4 segments, an MPD with one video
// AdaptationSet (a Representation per rung, id = rung index) and, with `-hls_playlist 1`, the HLS multivariant
// playlist (a variant per rung, media_<k>.m3u8, an audio EXT-X-MEDIA group) from the same segments — our file names
// (init-<k>.m4s, chunk-<k>-<n>.m4s), so the page maps renditions to rungs as on the packager. Served by a small
// express server together with the page (same origin): /fixture/master.m3u8, /fixture/manifest.mpd, /time.
// Point the same tests at the packager by giving them its page URL and a ladder's manifest paths instead.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import {
  CLOCK_PATH,
  DASH_INIT_TEMPLATE,
  DASH_MEDIA_TEMPLATE,
  dashManifestUri,
  mediaPlaylistUri,
  multivariantUri,
  pageQuery,
  manifestPath,
  STREAMS_API_PATH,
  type Format,
  type StreamList,
} from '@livelab/media-contract';
import { FfmpegRun, type FfmpegJobSpec } from '@livelab/media-ffmpeg';
import { parseMediaPlaylist } from '@livelab/media-packaging/testing';
import { timecodeStripFilters } from '@livelab/media-generator';
import { encodeRungCells, rungStripHeight, RUNG_STRIP } from '@livelab/media-testsignal';
import { playerRouter } from '../player-router';

export interface FixtureRung {
  width: number;
  height: number;
  videoKbps: number;
}

/** Small rungs (CPU: ~25 % of a core for all three at 30 fps here), 0 = top. */
export const FIXTURE_LADDER: readonly FixtureRung[] = [
  { width: 640, height: 360, videoKbps: 1500 },
  { width: 480, height: 270, videoKbps: 600 },
  { width: 320, height: 180, videoKbps: 200 },
];
export const FIXTURE_AUDIO_KBPS = 64;
export const FIXTURE_PATH = '/fixture';

/** drawbox filters for rung `index`'s strip at this frame size (layout: @livelab/media-testsignal rung-strip.ts). */
export function rungStripFilters(index: number, width: number, height: number): string[] {
  const h = rungStripHeight(height);
  const y = height - h;
  const filters = [`drawbox=x=0:y=${y}:w=${width}:h=${h}:color=black:t=fill`];
  encodeRungCells(index).forEach((white, c) => {
    if (!white) return;
    const x0 = Math.floor((c * width) / RUNG_STRIP.cells);
    const x1 = Math.floor(((c + 1) * width) / RUNG_STRIP.cells);
    filters.push(`drawbox=x=${x0}:y=${y}:w=${x1 - x0}:h=${h}:color=white:t=fill`);
  });
  return filters;
}

/** The ffmpeg job: one encode per rung, the dash muxer writing MPD + HLS playlists into `dir`. */
export function ladderFixtureJob(dir: string, opts: { startEpochMs: number; fps?: number; ladder?: readonly FixtureRung[]; utcTimingUrl?: string }): FfmpegJobSpec {
  const fps = opts.fps ?? 30;
  const ladder = opts.ladder ?? FIXTURE_LADDER;
  const top = ladder[0];
  // As the generator does: frames stamped with the wall clock when ffmpeg makes them, so the timecode strip shows
  // the capture time; pts back to the frame index before encoding.
  const graph = [
    `[0:v]settb=1/1000,setpts=RTCTIME/1000-${Math.round(opts.startEpochMs)},split=${ladder.length}${ladder.map((_, k) => `[s${k}]`).join('')}`,
    ...ladder.map(
      (r, k) =>
        `[s${k}]${[
          `scale=${r.width}:${r.height}`,
          ...timecodeStripFilters(r.width, r.height, opts.startEpochMs),
          ...rungStripFilters(k, r.width, r.height),
          `settb=1/${fps}`,
          'setpts=N',
          'format=yuv420p',
        ].join(',')}[v${k}]`,
    ),
  ].join(';');
  const perRung = ladder.flatMap((r, k) => [`-b:v:${k}`, `${r.videoKbps}k`, `-maxrate:v:${k}`, `${r.videoKbps}k`, `-bufsize:v:${k}`, `${r.videoKbps}k`]);
  return {
    globalOptions: ['-hide_banner', '-nostats', '-loglevel', 'warning'],
    inputs: [
      { source: `testsrc2=size=${top.width}x${top.height}:rate=${fps}`, options: ['-re', '-f', 'lavfi'] },
      { source: 'sine=frequency=1000:sample_rate=48000', options: ['-re', '-f', 'lavfi'] },
    ],
    output: join(dir, dashManifestUri('standard')),
    outputOptions: [
      '-filter_complex', graph,
      ...ladder.flatMap((_, k) => ['-map', `[v${k}]`]),
      '-map', '1:a',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
      ...perRung,
      // Constant bitrate (filler): each rung costs what its manifest bitrate says, so a cap between two rungs
      // separates them.
      '-x264-params', 'nal-hrd=cbr',
      '-c:a', 'aac', '-b:a', `${FIXTURE_AUDIO_KBPS}k`, '-ar', '48000', '-ac', '2',
      '-f', 'dash',
      '-seg_duration', '1', '-use_template', '1', '-use_timeline', '0', '-update_period', '1',
      '-window_size', '10', '-extra_window_size', '5',
      '-hls_playlist', '1',
      '-adaptation_sets', 'id=0,streams=v id=1,streams=a',
      '-init_seg_name', DASH_INIT_TEMPLATE,
      '-media_seg_name', DASH_MEDIA_TEMPLATE,
      ...(opts.utcTimingUrl ? ['-utc_timing_url', opts.utcTimingUrl] : []),
    ],
  };
}

/** The throttle test's rates (kbit/s): a link that carries the top rung, a drop well below it, the link back faster. */
export interface ThrottleRates {
  linkKbps: number;
  capKbps: number;
  backKbps: number;
}

/** For the fixture's ladder (why these: apps/packager-e2e/test/abr-page.test.ts). */
export const FIXTURE_THROTTLE_RATES: ThrottleRates = { linkKbps: 5000, capKbps: 700, backKbps: 10_000 };

/** The same proportions for another ladder, from its top rung's video bitrate. */
export const throttleRatesFor = (topKbps: number): ThrottleRates => ({
  linkKbps: Math.round((topKbps * 10) / 3),
  capKbps: Math.round((topKbps * 7) / 15),
  backKbps: Math.round((topKbps * 20) / 3),
});

export interface LadderFixture {
  /** The page's origin, e.g. http://127.0.0.1:41234 */
  base: string;
  ladder: readonly FixtureRung[];
  throttle: ThrottleRates;
  /** The manifest URL of a format. */
  manifestUrl(format: Format): string;
  /**
   * The page's address playing the ladder in one format (standard-mode player settings; `delay`: ?delay=; `faults`:
   * ?faults=, the packager's fault lab — a packager's ladder only).
   */
  pageUrl(format: Format, opts?: { delay?: number; faults?: string }): string;
  /** Whether the source has the packager's fault lab (/faults/<rules>/live/…, FAULTS_ENABLED). */
  faults: boolean;
  stop(): Promise<void>;
}

/** Start the ffmpeg ladder and the server (page + fixture files + /time) on 127.0.0.1:`port` (0 = any). */
export async function startLadderFixture(opts: { port?: number; fps?: number; ladder?: readonly FixtureRung[] } = {}): Promise<LadderFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'livelab-abr-fixture-'));
  const app = express();
  app.get(CLOCK_PATH, (_req, res) => res.set('Cache-Control', 'no-store').type('text/plain').send(new Date().toISOString()));
  // The page polls the packager's stream list: there is none here.
  app.get(STREAMS_API_PATH, (_req, res) => res.set('Cache-Control', 'no-store').json({ streams: [] }));
  app.use(FIXTURE_PATH, express.static(dir, { etag: false, lastModified: false, setHeaders: (res) => res.set('Cache-Control', 'no-store') }));
  app.use(playerRouter());
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ladder = opts.ladder ?? FIXTURE_LADDER;
  const run = new FfmpegRun(ladderFixtureJob(dir, { startEpochMs: Date.now(), fps: opts.fps, ladder, utcTimingUrl: `${base}${CLOCK_PATH}` }));
  const exited = run.start();
  const manifestUrl = (format: Format) => `${base}${FIXTURE_PATH}/${format === 'hls' ? multivariantUri('standard') : dashManifestUri('standard')}`;
  const stop = async () => {
    await run.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready once both manifests list a few segments of every rung (the players need ≥ 3 s behind the edge).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await Promise.all(
      (['hls', 'dash'] as const).map(async (f) => {
        try {
          const res = await fetch(manifestUrl(f));
          return res.ok;
        } catch {
          return false;
        }
      }),
    );
    const listed = await Promise.all(
      ladder.map((_, k) =>
        fetch(`${base}${FIXTURE_PATH}/${mediaPlaylistUri(k, 'standard')}`).then(
          async (r) => (r.ok ? parseMediaPlaylist(await r.text()).segments.length : 0),
          () => 0,
        ),
      ),
    );
    if (ready.every(Boolean) && listed.every((n) => n >= 3)) break;
    const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 250))]);
    if (done) {
      await stop();
      throw new Error(`the ladder fixture's ffmpeg exited: ${JSON.stringify(done)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the ladder fixture did not list 3 segments within 30 s');
    }
  }
  return {
    base,
    ladder,
    throttle: FIXTURE_THROTTLE_RATES,
    manifestUrl,
    pageUrl: (format, o = {}) => {
      if (o.faults) throw new Error('the ffmpeg-made fixture has no fault lab: play a packager ladder for ?faults=');
      return `${base}/${pageQuery({ src: `${FIXTURE_PATH}/${format === 'hls' ? multivariantUri('standard') : dashManifestUri('standard')}`, format, mode: 'standard', delay: o.delay })}`;
    },
    faults: false,
    stop,
  };
}

/**
 * The same interface for a ladder the packager serves (the generator's ladder published into it): the tests and the
 * bench then run against the real thing. `base` is the packager's page URL, `stream` the ladder's name; the rungs
 * come from /api/streams.
 */
export async function packagerLadder(base: string, stream: string, opts: { faults?: boolean } = {}): Promise<LadderFixture> {
  const res = await fetch(`${base}${STREAMS_API_PATH}`);
  const list = (await res.json()) as StreamList;
  const rungs = list.streams.find((s) => s.name === stream)?.rungs;
  if (!rungs?.length) throw new Error(`${stream} is not a ladder on ${base} (no rungs in ${STREAMS_API_PATH})`);
  const ladder = [...rungs]
    .sort((a, b) => a.index - b.index)
    .map((r) => ({ width: r.width ?? 0, height: r.height ?? 0, videoKbps: r.bitrateKbps ?? 0 }));
  return {
    base,
    ladder,
    throttle: throttleRatesFor(ladder[0].videoKbps),
    manifestUrl: (format) => `${base}${manifestPath(stream, format, 'standard')}`,
    pageUrl: (format, o = {}) => `${base}/${pageQuery({ stream, format, mode: 'standard', delay: o.delay, faults: o.faults })}`,
    faults: opts.faults ?? false,
    stop: async () => undefined,
  };
}
