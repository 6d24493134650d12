// Graceful overload (issue 16): with a low viewer limit, 3× that many simulated LL-HLS viewers (real ffmpeg
// publishing, a real packager in its own process, viewers from libs/media/viewer-sim): new viewers get a quick 503 +
// Retry-After, the admitted ones keep getting parts, the probe port (its own thread) answers within 100 ms even with the
// main event loop held busy on top of the load, and /metrics counts what was shed. (The probe thread's verdicts on a
// loop stuck past its threshold: libs/service-kit/src/probe-thread.spec.ts.)
import { manifestPath } from '@livelab/media-contract';
import { pollUntil } from '@livelab/service-kit';
import { ViewerCrowd, ViewerStats } from '@livelab/media-viewer-sim';
import { PackagerProcess } from './support/packager-process';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MAX_VIEWERS = 30;

let packager: PackagerProcess;

beforeAll(async () => {
  packager = await PackagerProcess.start({ limits: { maxViewers: MAX_VIEWERS } }, { PACKAGER_TEST_PROBE: '1' });
  packager.publish('crowd');
  await packager.waitLive('crowd');
});

afterAll(() => packager?.stop());

const probe = async (path: string) => {
  const t0 = Date.now();
  const res = await fetch(`http://127.0.0.1:${packager.probePort}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text(), ms: Date.now() - t0 };
};

it('sheds viewers past MAX_VIEWERS with a quick 503 + Retry-After while the admitted ones play and the probes answer', async () => {
  const stats = new ViewerStats();
  const crowd = new ViewerCrowd(
    'll-hls',
    { host: '127.0.0.1', port: packager.httpPort, manifestPath: manifestPath('crowd', 'hls', 'll'), localAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] },
    stats,
  );
  try {
    await crowd.grow(3 * MAX_VIEWERS, 500);
    // Admitted viewers get parts; the rest were told to come back later.
    await pollUntil('parts delivered and viewers shed', async () => stats.delivered > 5 * MAX_VIEWERS && stats.shed >= 2 * MAX_VIEWERS, 30_000, 100);

    // One more viewer: a 503 with a reason and Retry-After, answered at once (no waiting for capacity).
    const res = await fetch(`http://127.0.0.1:${packager.httpPort}${manifestPath('crowd', 'hls', 'll')}`, { headers: { 'User-Agent': 'late-viewer' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect((await res.json()).error).toMatch(/viewer limit/);

    // The probe port answers while the viewers' port is busy and the main loop is held busy for 1.5 s on top (below
    // the 10 s stuck threshold: alive). Margins for a loaded CI box: the goal is 100 ms, the failure was ≥ 5 s timeouts.
    expect((await probe('/metrics')).status).toBe(200); // a snapshot exists before the main loop is held
    const blocked = packager.blockMainLoop(1500);
    await sleep(150);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const h = await probe(i % 2 ? '/readyz' : '/healthz');
      expect(h.status).toBe(200);
      times.push(h.ms);
      await sleep(80);
    }
    const scrape = await probe('/metrics');
    await blocked;
    // The probes above were answered while the main loop was stuck: its heartbeat was that old.
    expect(Number(/^livelab_probe_heartbeat_age_seconds\{[^}]*\} ([\d.]+)$/m.exec(scrape.text)?.[1])).toBeGreaterThan(0.6);
    times.sort((x, y) => x - y);
    expect(times[4]).toBeLessThan(100);
    expect(times[9]).toBeLessThan(1000);
    expect(scrape.ms).toBeLessThan(1000);
    expect((await probe('/readyz')).status).toBe(200);
    const metrics = (await probe('/metrics')).text;
    const value = (name: string, label = '') =>
      Number(metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label))?.split(' ').pop() ?? NaN);
    expect(value('livelab_packager_shed_total', 'reason="viewers"')).toBeGreaterThanOrEqual(2 * MAX_VIEWERS);
    expect(value('livelab_packager_admitted_viewers')).toBe(MAX_VIEWERS);
    // Blocked playlist reloads and part requests of the admitted viewers are in flight at most moments.
    await pollUntil('requests in flight', async () => Number(/^livelab_packager_http_in_flight\{[^}]*\} (\d+)$/m.exec((await probe('/metrics')).text)?.[1]) > 0, 10_000, 50);
    expect((await probe('/nothing')).status).toBe(404);
  } finally {
    await crowd.stop();
  }
});
