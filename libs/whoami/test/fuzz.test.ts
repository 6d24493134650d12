// Issue 11: seeded, bounded property tests of what faces the network — random and mutated upgrade requests,
// WebSocket frames, and plain requests on every route — against whoami in a child process. After every case: the
// process is up and another client's echo works; at the end, its peak RSS is under the stated bound.
import fc from 'fast-check';
import { frame, openRaw, rawRequest, sleep, upgradeRequest } from './ws-raw';
import { echoWorks, startChild, type Child } from './child';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
/** Stated bound on the child's peak RSS over a whole property run (the pod's limit is 128 Mi). */
const PEAK_RSS_BOUND = 110 * MiB;
/** Each property stops after this long (fast-check's interruptAfterTimeLimit), whatever numRuns says. */
const TIME_LIMIT_MS = 30_000;

let child: Child;
beforeAll(async () => {
  child = await startChild(['--ws-max-payload', '256KB']);
});
afterAll(async () => {
  await child?.stop();
});

async function expectServing() {
  expect(child.alive()).toBe(true);
  expect(await echoWorks(child.port)).toBe(true);
}

/** Send bytes on a fresh connection, give the server a moment, hang up. */
async function sendAndHangUp(port: number, bytes: Buffer, settleMs = 30) {
  const { conn } = await Promise.race([rawRequest(port, bytes), sleep(400).then(() => ({ conn: undefined }))]);
  await sleep(settleMs);
  conn?.socket.destroy();
}

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);
const targetChars = fc.constantFrom(...'/[]:?#@%&=.-_~!$()*+,;aZ09 \t\u00ff\u0000'.split(''));
const target = fc.oneof(
  fc.constantFrom('/echo', '//[', 'http://[bad/echo', '*', '/echo?x=1', 'http://h/echo', '/echo#f', ''),
  fc.array(targetChars, { maxLength: 40 }).map((cs) => cs.join('')),
  fc.array(targetChars, { maxLength: 20 }).map((cs) => `/echo${cs.join('')}`),
);
const header = fc.oneof(
  fc.tuple(fc.constantFrom('Upgrade', 'upgrade', 'Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Extensions', 'Sec-WebSocket-Protocol', 'Origin', 'Host', 'Content-Length', 'Transfer-Encoding'), fc.oneof(fc.constantFrom('websocket', 'Upgrade', '13', '8', 'permessage-deflate', 'chunked', '-1', '99999999999', 'dGhlIHNhbXBsZSBub25jZQ=='), fc.string({ maxLength: 30 }))),
  fc.tuple(token, fc.string({ maxLength: 30 })),
);

describe('the HTTP upgrade path', () => {
  it('survives random and mutated upgrade requests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.oneof(fc.constantFrom('GET', 'POST', 'HEAD', 'CONNECT'), token),
          target,
          version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/1.2', 'HTTP/2.0', 'HTTP/1.1 '),
          valid: fc.boolean(),
          headers: fc.array(header, { maxLength: 6 }),
          flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 3 }),
          tail: fc.uint8Array({ maxLength: 64 }),
        }),
        async ({ method, target, version, valid, headers, flips, tail }) => {
          let text = valid ? upgradeRequest(target) : `${method} ${target} ${version}\r\nHost: t\r\n`;
          if (valid) text = text.replace(/^GET (.*) HTTP\/1\.1/, `${method} $1 ${version}`);
          text = text.replace(/\r\n\r\n$/, '\r\n') + headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
          const bytes = Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from(tail)]);
          for (const [at, bit] of flips) bytes[at % bytes.length] ^= 1 << bit;
          await sendAndHangUp(child.port, bytes);
          await expectServing();
        },
      ),
      { seed: 1101, numRuns: 200, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    expect(child.memory().peak).toBeLessThan(PEAK_RSS_BOUND);
  });
});

describe('plain HTTP requests (Go request parsing, routing, /data, /health)', () => {
  it('survives random targets, headers and bodies on every route', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.oneof(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'DELETE'), token),
          route: fc.constantFrom('/', '/api', '/data', '/health', '/echo', '/bench', '', '/x/../', '//'),
          target,
          query: fc.oneof(
            fc.constant(''),
            fc.constantFrom('?size=5', '?size=3000&attachment=true', '?size=-1&unit=TB', '?size=99999999999&unit=TB', '?wait=1ms', '?env=true', '?a=%zz;b', '?size=1&unit=kb&attachment=1'),
            fc.array(targetChars, { maxLength: 20 }).map((cs) => `?${cs.join('')}`),
          ),
          version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0'),
          headers: fc.array(
            fc.oneof(header, fc.tuple(fc.constantFrom('Range', 'Connection', 'Pragma', 'Expect'), fc.constantFrom('bytes=0-4', 'bytes=-3', 'bytes=5-1,0-1', 'bytes=a-b', 'close', 'keep-alive', 'no-cache', '100-continue'))),
            { maxLength: 6 },
          ),
          body: fc.oneof(fc.constant(''), fc.constantFrom('503', 'null', '[1,{"a":', '"\\u12', '150'), fc.string({ maxLength: 40 })),
        }),
        async ({ method, route, target, query, version, headers, body }) => {
          const path = route === '' ? target : `${route}${query}`;
          const lines = [`${method} ${path || '/'} ${version}`, 'Host: fuzz', ...headers.map(([k, v]) => `${k}: ${v}`)];
          if (body && !headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k))) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
          await sendAndHangUp(child.port, Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1'), 15);
          await expectServing();
        },
      ),
      { seed: 1103, numRuns: 250, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    // Leave /health as it was for the other properties.
    await sendAndHangUp(child.port, Buffer.from('POST /health HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n200'));
    expect(child.memory().peak).toBeLessThan(PEAK_RSS_BOUND);
  });
});

const frameSpec = fc.record({
  fin: fc.boolean(),
  rsv: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7 })),
  opcode: fc.oneof(fc.constantFrom(0, 1, 2, 8, 9, 10), fc.integer({ min: 0, max: 15 })),
  mask: fc.oneof(fc.constant(true), fc.boolean()),
  payload: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(new Uint8Array([0xc3, 0x28])), fc.uint8Array({ minLength: 70_000, maxLength: 70_010 })),
  lie: fc.option(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(2 ** 53 - 1)), { nil: undefined }),
});

describe('WebSocket frames on /echo', () => {
  it('survives random, mutated and lying frames; other clients keep their echo', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(frameSpec, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
        fc.uint8Array({ maxLength: 32 }),
        async (specs, flips, junk) => {
          const conn = await openRaw(child.port);
          const bytes = Buffer.concat([
            ...specs.map((s) => frame({ fin: s.fin, rsv: s.rsv, opcode: s.opcode, mask: s.mask, payload: Buffer.from(s.payload), declaredLength: s.lie })),
            Buffer.from(junk),
          ]);
          for (const [at, bit] of flips) bytes[at % bytes.length] ^= 1 << bit;
          conn.socket.write(bytes);
          await Promise.race([conn.closed, sleep(40)]);
          conn.socket.destroy();
          await expectServing();
        },
      ),
      { seed: 1102, numRuns: 250, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
    expect(child.memory().peak).toBeLessThan(PEAK_RSS_BOUND);
  });

  it('the --ws-max-payload flag sets the limit: 256 KB echoes, one byte more closes with 1009', async () => {
    const conn = await openRaw(child.port);
    conn.socket.write(frame({ opcode: 2, payload: Buffer.alloc(256 * 1024, 1) }));
    conn.socket.write(frame({ opcode: 2, payload: Buffer.alloc(256 * 1024 + 1, 2) }));
    await Promise.race([conn.closed, sleep(5000)]);
    const got = conn.received();
    expect(got.length).toBe(10 + 256 * 1024 + 4); // the echo, then the close frame's header and code
    expect(got.readUInt16BE(got.length - 2)).toBe(1009);
    await expectServing();
  });
});
