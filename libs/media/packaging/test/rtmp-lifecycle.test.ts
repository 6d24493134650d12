// Media lifecycle (issue 11 part 4), on a real packager process: a publisher that never sends media leaves no
// ffprobe (or any other) child behind, and a remux ends cleanly on q/SIGINT — no SIGKILL counted.
import { pollUntil } from '@livelab/service-kit';
import { amf0, chunkMessage, cmd, connectCmd, RawRtmp } from './support/raw-rtmp';
import { PackagerProcess, TEST_KEY } from './support/packager-process';

jest.setTimeout(120_000);

let packager: PackagerProcess;

beforeAll(async () => {
  packager = await PackagerProcess.start();
});

afterAll(async () => {
  await packager?.stop();
});

const kills = () => packager.metric('livelab_packager_ffmpeg_kills_total', '');

it('a publisher that never sends media: a remux starts, no ffprobe ever, nothing left once it is cut off', async () => {
  const c = await RawRtmp.open(packager.rtmpPort);
  await c.handshake();
  c.send(chunkMessage({ cid: 3, type: 20, payload: connectCmd() }));
  c.send(chunkMessage({ cid: 3, type: 20, payload: cmd(amf0.str('createStream'), amf0.num(2), amf0.null()) }));
  c.send(chunkMessage({ cid: 8, type: 20, streamId: 1, payload: cmd(amf0.str('publish'), amf0.num(3), amf0.null(), amf0.str(`silent?key=${TEST_KEY}`), amf0.str('live')) }));
  await pollUntil('the remux for the silent stream', () => packager.children().some((c) => /ffmpeg .*\/live\/silent/.test(c)), 10_000, 50);
  const seen = new Set<string>();
  // The stall timeout (2 s here) ends the publish; watch the children until then and a little after.
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    for (const child of packager.children()) seen.add(child.split(' ')[0]);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect([...seen].filter((c) => /ffprobe/.test(c))).toEqual([]);
  expect(await c.closedWithin(1000)).toBe(true);
  expect(packager.children().filter((c) => /ffmpeg|ffprobe/.test(c) && /silent/.test(c))).toEqual([]);
  expect(await kills()).toBe(0);
});

it('a remux whose publisher leaves ends on q/SIGINT within its grace: no SIGKILL', async () => {
  const publisher = packager.publish('leaving');
  await packager.waitLive('leaving');
  const remux = () => packager.children().filter((c) => /ffmpeg .*\/live\/leaving\?token=/.test(c));
  expect(remux()).toHaveLength(1);
  await publisher.stop(1000);
  const left = Date.now();
  await pollUntil('the remux to exit', () => remux().length === 0, 10_000, 50);
  expect(Date.now() - left).toBeLessThan(2000); // the stream's stop grace
  const stopped = await pollUntil('the remux stop log', () => packager.logs.find((l) => l['job'] === 'remux:leaving' && l['msg'] === 'ffmpeg stopped'), 5000);
  expect(stopped['signal']).not.toBe('SIGKILL');
  expect(await kills()).toBe(0);
});

it('a remux stopped while its publisher still sends (packager shutdown) ends without SIGKILL', async () => {
  const p2 = await PackagerProcess.start();
  try {
    p2.publish('busy');
    await p2.waitLive('busy');
    p2.child.kill('SIGTERM');
    await pollUntil('the packager to exit', () => p2.exit, 10_000, 50);
    expect(p2.exit).toEqual({ code: 0, signal: null });
    expect(p2.logs.some((l) => l['job'] === 'remux:busy' && l['msg'] === 'ffmpeg stopped')).toBe(true);
    expect(p2.logs.some((l) => /killed/.test(String(l['msg'])))).toBe(false);
  } finally {
    await p2.stop();
  }
});
