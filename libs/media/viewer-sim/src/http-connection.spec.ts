import fc from 'fast-check';
import { HttpError, MAX_HEAD_BYTES, ResponseParser } from './http-connection';
import { BoxScanner } from './viewers';

function parse(pieces: Buffer[]) {
  const out: Array<{ status: number; body: Buffer }> = [];
  let body: Buffer[] = [];
  let status = 0;
  const p = new ResponseParser(
    (s) => (status = s),
    (b) => body.push(Buffer.from(b)),
    () => {
      out.push({ status, body: Buffer.concat(body) });
      body = [];
    },
  );
  for (const piece of pieces) p.push(piece);
  return out;
}

/** Cut `buf` at the given (sorted, deduplicated) offsets. */
const cut = (buf: Buffer, at: number[]) => {
  const points = [...new Set(at.map((a) => a % (buf.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    if (p > prev) pieces.push(buf.subarray(prev, p));
    prev = p;
  }
  return pieces;
};

describe('ResponseParser', () => {
  const bodyA = Buffer.from('#EXTM3U\n#EXT-X-VERSION:6\n');
  const bodyB = Buffer.from('0123456789abcdef'.repeat(20));
  const chunked = (b: Buffer) => `${b.subarray(0, 7).length.toString(16)}\r\n${b.subarray(0, 7)}\r\n${(b.length - 7).toString(16)};ext=1\r\n${b.subarray(7)}\r\n0\r\n\r\n`;
  const wire = Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Length: ${bodyA.length}\r\nContent-Type: x\r\n\r\n${bodyA}` +
      `HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nRetry-After: 1\r\n\r\n${chunked(bodyB)}`,
  );

  it('reads Content-Length and chunked responses back to back, however the bytes are split (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (at) => {
        const got = parse(cut(wire, at));
        expect(got.map((r) => r.status)).toEqual([200, 503]);
        expect(got[0].body.equals(bodyA)).toBe(true);
        expect(got[1].body.equals(bodyB)).toBe(true);
      }),
      { seed: 16, numRuns: 300 },
    );
  });

  it('fails malformed or oversized answers with HttpError, never anything else (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, at) => {
        const buf = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n'), Buffer.from(bytes)]);
        try {
          parse(cut(buf, at));
        } catch (e) {
          expect(e).toBeInstanceOf(HttpError);
        }
      }),
      { seed: 17, numRuns: 300 },
    );
    expect(() => parse([Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`)])).toThrow('response head too large');
    expect(() => parse([Buffer.from('HTTP/1.1 200 OK\r\n\r\n')])).toThrow('without a length');
  });
});

describe('BoxScanner', () => {
  const box = (type: string, size: number) => {
    const b = Buffer.alloc(size);
    b.writeUInt32BE(size, 0);
    b.write(type, 4, 'latin1');
    return b;
  };
  it('counts one chunk per mdat end, however the bytes are split (fuzz)', () => {
    const stream = Buffer.concat([box('styp', 24), box('moof', 100), box('mdat', 5000), box('moof', 90), box('mdat', 8), box('moof', 100), box('mdat', 3000)]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), (at) => {
        let chunks = 0;
        const s = new BoxScanner(() => chunks++);
        for (const p of cut(stream, at)) s.push(p);
        expect(chunks).toBe(3);
      }),
      { seed: 18, numRuns: 200 },
    );
  });
});
