// Regression: single RTMP messages that used to kill the whole packager (issue 11). Each is sent after a valid
// handshake on a raw socket to a real packager process while ffmpeg publishes a real stream: the hostile connection
// is closed and counted, the process stays up and the good stream's playlist keeps advancing.
import { pollUntil } from '@livelab/service-kit';
import { amf0, chunkMessage, cmd, connectCmd, RawRtmp } from './support/raw-rtmp';
import { PackagerProcess } from './support/packager-process';

jest.setTimeout(120_000);

let packager: PackagerProcess;

// A case that kills the process must not hide the next one: start a fresh packager when the last one died.
beforeEach(async () => {
  if (packager?.alive) return;
  await packager?.stop();
  packager = await PackagerProcess.start();
  packager.publish('good');
  await packager.waitLive('good');
});

afterAll(async () => {
  await packager?.stop();
});

// Warnings are throttled to one per second per kind and address: each case connects from its own loopback address,
// so its warning is logged whatever ran just before it (and in whatever order).
let nextAddress = 10;
const ownAddress = () => `127.0.0.${nextAddress++}`;

const command = (payload: Buffer, type = 20) => chunkMessage({ cid: 3, type, payload });
// A type 3 chunk header after the message: the old parser only acted on a message once more bytes arrived.
const nudge = Buffer.from([0xc2]);

describe.each([
  ['an AMF0 command with an empty payload', [command(Buffer.alloc(0)), nudge]],
  ['connect without tcUrl', [command(connectCmd('live', null))]],
  ['connect with a tcUrl that does not parse', [command(connectCmd('live', 'not a url'))]],
  ['an unknown AMF type marker', [command(cmd(amf0.str('connect'), Buffer.from([0x0d])))]],
  ['publish before connect, without a stream name', [command(cmd(amf0.str('publish'), amf0.num(5), amf0.null()))]],
  ['publish before connect', [command(cmd(amf0.str('publish'), amf0.num(5), amf0.null(), amf0.str('good?key=hostile-test-key'), amf0.str('live')))]],
  ['publish with a non-string stream name', [command(connectCmd()), command(cmd(amf0.str('publish'), amf0.num(5), amf0.null(), amf0.num(7)))]],
  ['an empty AMF3 command', [command(Buffer.alloc(0), 17), nudge]],
  ['Set Chunk Size with an empty payload', [chunkMessage({ cid: 2, type: 1, payload: Buffer.alloc(0) }), nudge]],
  ['Set Chunk Size 0', [chunkMessage({ cid: 2, type: 1, payload: Buffer.alloc(4) }), command(connectCmd())]],
])('%s', (_name, messages) => {
  it('closes that connection, counts it, and nothing else notices', async () => {
    const before = await packager.metric('livelab_packager_refused_total', 'kind="protocol"');
    const seg = (await packager.lastSegment('good')) as number;
    const logged = packager.logs.length;
    const ip = ownAddress();
    const c = await RawRtmp.open(packager.rtmpPort, '127.0.0.1', ip);
    await c.handshake();
    for (const m of messages) c.send(m);
    expect(await c.closedWithin(3000)).toBe(true);
    const logLine = () => packager.logs.slice(logged).find((l) => l['msg'] === 'rtmp protocol error');
    await pollUntil(
      'the refusal to be counted and logged',
      async () => (await packager.metric('livelab_packager_refused_total', 'kind="protocol"')) >= before + 1 && logLine() !== undefined,
      5000,
      50,
    );
    expect(packager.exit).toBeUndefined();
    expect(await packager.metric('livelab_packager_refused_total', 'kind="protocol"')).toBe(before + 1);
    const line = logLine();
    expect(line).toMatchObject({ level: 'warn', ip, reason: expect.any(String) });
    await pollUntil('the good stream to advance', async () => ((await packager.lastSegment('good')) ?? 0) > seg, 10_000, 100);
  });
});

it('refuses RTMP playback on the public port (counted as play), and the stream plays on', async () => {
  const before = await packager.metric('livelab_packager_refused_total', 'kind="play"');
  const seg = (await packager.lastSegment('good')) as number;
  const c = await RawRtmp.open(packager.rtmpPort);
  await c.handshake();
  c.send(command(connectCmd()));
  c.send(chunkMessage({ cid: 8, type: 20, streamId: 1, payload: cmd(amf0.str('play'), amf0.num(4), amf0.null(), amf0.str('good')) }));
  expect(await c.closedWithin(2000)).toBe(true);
  expect(await packager.metric('livelab_packager_refused_total', 'kind="play"')).toBe(before + 1);
  await pollUntil('the good stream to advance', async () => ((await packager.lastSegment('good')) ?? 0) > seg, 10_000, 100);
});
