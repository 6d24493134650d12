// Issue 11: a client that sends 64 MiB to /echo without reading the echoes. Reading from it stops while its
// echoes queue up, so whoami's memory stays bounded; once the client reads, every echo arrives.
import { frame, openRaw, sleep, until } from './ws-raw';
import { echoWorks, startChild, type Child } from './child';

jest.setTimeout(60_000);

const MiB = 1024 * 1024;
/** Stated bound: whoami's peak RSS (VmHWM) grows by less than this while the client floods it (pod limit 128 Mi). */
const GROWTH_BOUND = 24 * MiB;

let child: Child;
beforeAll(async () => {
  child = await startChild();
});
afterAll(async () => {
  await child?.stop();
});

it('a client writing 64 MiB without reading: server RSS stays bounded, and every echo arrives once it reads', async () => {
  expect(await echoWorks(child.port)).toBe(true);
  const before = child.memory();
  const conn = await openRaw(child.port);
  conn.socket.pause(); // never read while sending
  const payload = Buffer.alloc(60_000, 0x5a); // < 64 KiB: a 4-byte server frame header
  const frames = Math.ceil((64 * MiB) / payload.length);
  let sent = 0;
  let lastProgress = Date.now();
  // Write with the client's own flow control; stop when the server stops reading (no progress for 2 s).
  while (sent < frames && Date.now() - lastProgress < 2000) {
    if (conn.socket.write(frame({ opcode: 2, payload }))) {
      sent++;
      lastProgress = Date.now();
      continue;
    }
    sent++;
    const drained = await Promise.race([new Promise((r) => conn.socket.once('drain', () => r(true))), sleep(2000).then(() => false)]);
    if (drained) lastProgress = Date.now();
  }
  const during = child.memory();
  const growth = during.peak - before.rss;
  console.log(`backpressure: ${sent}/${frames} frames written before the server stopped reading; RSS ${(before.rss / MiB).toFixed(1)} → peak ${(during.peak / MiB).toFixed(1)} MiB`);
  expect(sent).toBeLessThan(frames); // the server really stopped reading: 64 MiB did not fit
  expect(growth).toBeLessThan(GROWTH_BOUND);
  expect(await echoWorks(child.port)).toBe(true); // another client is served meanwhile

  conn.socket.resume();
  const expected = sent * (payload.length + 4);
  await until(() => conn.received().length >= expected, 30_000, 'all echoes');
  expect(conn.received().length).toBe(expected);
  conn.socket.destroy();
  expect(child.alive()).toBe(true);
});
