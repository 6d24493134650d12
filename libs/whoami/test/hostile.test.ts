// Issue 11: nothing a client sends crashes whoami, holds unbounded memory, or forges a /health answer.
// Each crash found from outside is one regression test, against whoami running in a child process.
import { closeCode, frame, openRaw, rawRequest, sleep, until, upgradeRequest } from './ws-raw';
import { echoWorks, httpCall, startChild, type Child } from './child';

jest.setTimeout(60_000);

// A fresh child per test: one attack's crash cannot make the next test fail.
let child: Child;
beforeEach(async () => {
  child = await startChild();
});
afterEach(async () => {
  await child?.stop();
});

/** After each attack: still alive, and another client is served. */
async function expectStillServing() {
  await sleep(50);
  expect(child.alive()).toBe(true);
  expect(await echoWorks(child.port)).toBe(true);
}

describe('upgrade requests whose target is not a URL', () => {
  // Answered as traefik/whoami answers them (corpus cases upgrade-target-*): Go's ServeMux redirects //[ to its
  // clean path; url.ParseRequestURI refuses http://[bad/echo with Go's plain 400.
  it.each([
    ['//[', /^HTTP\/1\.1 301 Moved Permanently\r\n[^]*\r\nLocation: \/%5B\r\n/],
    ['http://[bad/echo', /^HTTP\/1\.1 400 Bad Request\r\nContent-Type: text\/plain; charset=utf-8\r\nConnection: close\r\n\r\n$/],
  ])('GET %s with Upgrade: websocket → an HTTP answer, process up', async (target, answer) => {
    const { head } = await rawRequest(child.port, upgradeRequest(target));
    expect(head).toMatch(answer);
    await expectStillServing();
  });
});

describe('WebSocket protocol errors on /echo close that connection only', () => {
  it.each([
    ['an unmasked client frame', frame({ opcode: 1, mask: false, payload: Buffer.from('hi') }), 1002],
    ['a reserved opcode', frame({ opcode: 3, payload: Buffer.from('x') }), 1002],
    ['RSV1 without an extension', frame({ opcode: 1, rsv: 4, payload: Buffer.from('x') }), 1002],
    ['invalid UTF-8 in a text frame', frame({ opcode: 1, payload: Buffer.from([0xc3, 0x28]) }), 1007],
    ['a frame header declaring 17 MiB', frame({ opcode: 2, declaredLength: 17 * 1024 * 1024 }), 1009],
    ['a frame header declaring 2 MiB (over the 1 MiB default)', frame({ opcode: 2, declaredLength: 2 * 1024 * 1024 }), 1009],
  ])('%s', async (_what, bytes, code) => {
    const conn = await openRaw(child.port);
    conn.socket.write(bytes);
    await Promise.race([conn.closed, sleep(5000)]);
    expect(closeCode(conn.received())).toBe(code);
    await expectStillServing();
  });

  it('a message of exactly 1 MiB is still echoed', async () => {
    const conn = await openRaw(child.port);
    const payload = Buffer.alloc(1024 * 1024, 7);
    conn.socket.write(frame({ opcode: 2, payload }));
    await until(() => conn.received().length >= payload.length + 10, 10_000, 'the echo');
    expect(conn.received().subarray(10).equals(payload)).toBe(true);
    conn.socket.destroy();
  });
});

describe('/health', () => {
  it.each([['150'], ['100'], ['199'], ['99'], ['600'], ['1000']])('POST %s is refused with 400 and GET keeps the old status', async (code) => {
    const post = await httpCall(child.port, 'POST', '/health', code);
    expect(post.status).toBe(400);
    const get = await httpCall(child.port, 'GET', '/health');
    expect(get.status).toBe(200);
    expect(child.alive()).toBe(true);
  });
});

describe('shutdown', () => {
  it('exits 0 within the grace while a WebSocket client ignores the close', async () => {
    const c = await startChild();
    const conn = await openRaw(c.port);
    conn.socket.on('data', () => undefined); // reads, never answers the close frame
    const { code, ms } = await c.stop();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(8000);
    conn.socket.destroy();
  });
});
