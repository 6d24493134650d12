// What an unauthenticated RTMP peer can make the packager hold, and for how long — on a real packager process
// while ffmpeg publishes a real stream.
import { pollUntil } from '@livelab/service-kit';
import { amf0, chunkMessage, cmd, connectCmd, RawRtmp } from './support/raw-rtmp';
import { PackagerProcess } from './support/packager-process';

jest.setTimeout(120_000);

const protocolErrors = (p: PackagerProcess, kind = 'protocol') => p.metric('livelab_packager_refused_total', `kind="${kind}"`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A chunk header declaring a message of `length` bytes on chunk stream `cid`, and no payload. */
const header = (cid: number, length: number, type = 9) => chunkMessage({ cid, type, payload: Buffer.alloc(0), length });

describe('memory and time limits', () => {
  let p: PackagerProcess;
  beforeAll(async () => {
    p = await PackagerProcess.start({ rtmpLimits: { maxConnections: 400, maxConnectionsPerAddress: 400, handshakeTimeoutMs: 1500, publishTimeoutMs: 30_000 } });
    p.publish('good');
    await p.waitLive('good');
  });
  afterAll(() => p?.stop());

  it('drops a connection whose chunk headers declare 16 MiB messages, before holding anything', async () => {
    const before = await protocolErrors(p);
    const rss = p.rssBytes();
    const c = await RawRtmp.open(p.rtmpPort);
    await c.handshake();
    c.send(chunkMessage({ cid: 3, type: 20, payload: connectCmd() }));
    c.send(Buffer.concat(Array.from({ length: 16 }, (_, i) => header(4 + i, 0xffffff, i % 2 ? 9 : 20))));
    expect(await c.closedWithin(1000)).toBe(true);
    expect(await protocolErrors(p)).toBe(before + 1);
    expect(p.logs.some((l) => l['msg'] === 'rtmp protocol error' && /16777215 bytes/.test(String(l['reason'])))).toBe(true);
    expect(p.rssBytes() - rss).toBeLessThan(8 << 20); // the old parser: +255 MB for 72 KB of such headers
  });

  it('closes a half-open handshake after the handshake timeout', async () => {
    const before = await protocolErrors(p, 'timeout');
    const c = await RawRtmp.open(p.rtmpPort);
    c.send(Buffer.concat([Buffer.from([3]), Buffer.alloc(700)])); // C0 and half of C1
    const started = Date.now();
    await c.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1300);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await protocolErrors(p, 'timeout')).toBe(before + 1);
  });

  it('retains at most the stated worst case per unauthenticated connection (≤ 128 KiB each)', async () => {
    // The worst an unauthenticated peer can do: a connect with the longest tcUrl allowed (node-media-server keeps
    // it, and a command buffer of that size), then a command message of the maximum length (64 KiB) left one
    // byte short, sent in 128-byte chunks.
    const n = 200;
    // The good stream's store grows and shrinks by a segment as we measure: leave it out.
    const storeBytes = async () => ((JSON.parse((await p.get('/api/streams')).text).streams as Array<{ storeBytes: number }>)[0]?.storeBytes ?? 0);
    // The playing stream allocates and frees buffers all the time: of three samples (each after a full GC) the
    // smallest is the least inflated by what happens to be in flight.
    const leastOfThree = async () => {
      let least = await p.retained();
      for (let i = 0; i < 2; i++) {
        await sleep(100);
        const r = await p.retained();
        if (r.bytes < least.bytes) least = r;
      }
      return least;
    };
    const before = await leastOfThree();
    const storeBefore = await storeBytes();
    const pad = 'x'.repeat(2000);
    const bigConnect = chunkMessage({ cid: 3, type: 20, chunkSize: 128, payload: connectCmd('live', `rtmp://127.0.0.1/live?${pad}`) });
    const partial = chunkMessage({ cid: 5, type: 20, chunkSize: 128, payload: Buffer.alloc(64 * 1024 - 1, 2), length: 64 * 1024 });
    const conns: RawRtmp[] = [];
    for (let i = 0; i < n; i++) {
      const c = await RawRtmp.open(p.rtmpPort);
      await c.handshake();
      c.send(bigConnect);
      c.send(partial);
      conns.push(c);
    }
    await pollUntil('every connection to be held', async () => (await p.metric('livelab_packager_rtmp_held_bytes', '')) >= n * 60_000, 10_000, 100);
    await sleep(500);
    const held = await p.metric('livelab_packager_rtmp_held_bytes', '');
    const after = await leastOfThree();
    const perConnection = (after.bytes - before.bytes - ((await storeBytes()) - storeBefore)) / n;
    const rssPerConnection = (after.rss - before.rss) / n;
    expect(conns.every((c) => c.isOpen)).toBe(true);
    expect(held).toBeLessThanOrEqual(n * 64 * 1024);
    process.stdout.write(`worst case per connection: ${Math.round(perConnection / 1024)} KiB retained (heap + buffers), ${Math.round(rssPerConnection / 1024)} KiB RSS, ${Math.round(held / n / 1024)} KiB held by the guard\n`);
    // Retained (after a full GC): the 64 KiB held by the guard (an exact cap), node-media-server's ~3 KiB command
    // buffer, its session objects and the socket's — measured 87-108 KiB, more on a loaded box. RSS also counts
    // allocator slack: checked against a looser bound.
    expect(perConnection).toBeLessThan(128 * 1024);
    expect(rssPerConnection).toBeLessThan(256 * 1024);
    expect(p.alive).toBe(true);
    conns.forEach((c) => c.destroy());
    await pollUntil('the connections to be gone', async () => (await p.metric('livelab_packager_rtmp_held_bytes', '')) === 0, 5000, 100);
  });

  it('refuses a command longer than 64 KiB and media before an accepted publish', async () => {
    for (const bad of [header(3, 64 * 1024 + 1, 20), header(4, 100, 9)]) {
      const c = await RawRtmp.open(p.rtmpPort);
      await c.handshake();
      c.send(chunkMessage({ cid: 3, type: 20, payload: connectCmd() }));
      c.send(bad);
      expect(await c.closedWithin(1000)).toBe(true);
    }
  });
});

describe('connection limits and the publish deadline', () => {
  let p: PackagerProcess;
  beforeAll(async () => {
    p = await PackagerProcess.start({ rtmpLimits: { maxConnections: 6, maxConnectionsPerAddress: 3, publishTimeoutMs: 3000, idleTimeoutMs: 1500 } }, { PACKAGER_TEST_HOST: '0.0.0.0' });
    p.publish('good'); // one connection from 127.0.0.1
    await p.waitLive('good');
  });
  afterAll(() => p?.stop());

  it('refuses connections beyond the per-address and total limits at once; the stream plays on', async () => {
    const seg = (await p.lastSegment('good')) as number;
    const open = await p.metric('livelab_packager_rtmp_connections', ''); // the publisher's (and the remux's read)
    const before = await protocolErrors(p, 'limit');
    const from = (addr: string) => RawRtmp.open(p.rtmpPort, addr, addr);
    const a = [await from('127.0.0.1'), await from('127.0.0.1')];
    const thirdFromA = await from('127.0.0.1');
    expect(await thirdFromA.closedWithin(500)).toBe(true); // 3 from 127.0.0.1 with the publisher
    const b = [await from('127.0.0.2'), await from('127.0.0.2'), await from('127.0.0.2')];
    const beyondTotal = await from('127.0.0.3');
    expect(await beyondTotal.closedWithin(500)).toBe(true); // 6 in all
    expect([...a, ...b].every((c) => c.isOpen)).toBe(true);
    expect(await protocolErrors(p, 'limit')).toBe(before + 2);
    [...a, ...b].forEach((c) => c.destroy());
    await pollUntil('the closed connections to be gone', async () => (await p.metric('livelab_packager_rtmp_connections', '')) <= open, 5000, 50);
    const again = await from('127.0.0.3');
    await again.handshake(); // a slot is free again
    again.destroy();
    await pollUntil('the good stream to advance', async () => ((await p.lastSegment('good')) ?? 0) > seg, 10_000, 100);
  });

  it('closes a connection that does not publish within the publish deadline, however busy it keeps', async () => {
    const c = await RawRtmp.open(p.rtmpPort);
    await c.handshake();
    c.send(chunkMessage({ cid: 3, type: 20, payload: connectCmd() }));
    c.send(chunkMessage({ cid: 3, type: 20, payload: cmd(amf0.str('createStream'), amf0.num(2), amf0.null()) }));
    const started = Date.now();
    // Never idle: an Acknowledgement every 300 ms.
    const ack = chunkMessage({ cid: 2, type: 3, payload: Buffer.alloc(4) });
    const keepBusy = setInterval(() => c.send(ack), 300);
    await c.closed;
    clearInterval(keepBusy);
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(Date.now() - started).toBeLessThan(4500);
    // The log line comes through the child's stdout and may arrive after the close.
    await pollUntil('the publish-deadline log line', () => p.logs.some((l) => l['msg'] === 'rtmp connection timed out' && /no publish within 3000 ms/.test(String(l['reason']))), 2000, 50);
  });

  it('closes a connection idle for the idle timeout', async () => {
    const c = await RawRtmp.open(p.rtmpPort);
    await c.handshake();
    c.send(chunkMessage({ cid: 3, type: 20, payload: connectCmd() }));
    const started = Date.now();
    await c.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1300);
    expect(Date.now() - started).toBeLessThan(2900); // before the publish deadline
    await pollUntil('the idle log line', () => p.logs.some((l) => l['msg'] === 'rtmp connection timed out' && /idle for 1500 ms/.test(String(l['reason']))), 2000, 50);
  });
});
