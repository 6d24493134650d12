// A WebSocket client over a raw TCP socket: it can send anything (unmasked, reserved bits, lying lengths),
// which a real client library refuses to do.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface FrameSpec {
  fin?: boolean;
  rsv?: number; // 0–7 → RSV1..3 bits
  opcode: number;
  mask?: boolean;
  payload?: Buffer;
  /** Length written in the header (default the payload's). */
  declaredLength?: number;
}

export function frame({ fin = true, rsv = 0, opcode, mask = true, payload = Buffer.alloc(0), declaredLength }: FrameSpec): Buffer {
  const len = declaredLength ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(len));
    head.push(m | 127, ...b);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), key, body]);
}

export const upgradeRequest = (target = '/echo', extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

export interface RawConn {
  socket: Socket;
  /** Bytes received after the handshake response. */
  received(): Buffer;
  closed: Promise<void>;
}

/** Send `request` on a fresh connection; resolve with the response head once it arrives (or the socket closes). */
export function rawRequest(port: number, request: string | Buffer): Promise<{ head: string; conn: RawConn }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let head: string | undefined;
    let resolveClosed: () => void = () => undefined;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    const conn: RawConn = { socket, received: () => buf, closed };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (head === undefined) {
        const end = buf.indexOf('\r\n\r\n');
        if (end >= 0) {
          head = buf.subarray(0, end + 4).toString('latin1');
          buf = buf.subarray(end + 4);
          resolve({ head, conn });
        }
      }
    });
    socket.on('close', () => {
      resolveClosed();
      if (head === undefined) resolve({ head: buf.toString('latin1'), conn });
    });
    socket.write(request);
  });
}

/** Open a WebSocket on /echo over a raw socket. */
export async function openRaw(port: number): Promise<RawConn> {
  const { head, conn } = await rawRequest(port, upgradeRequest());
  if (!head.startsWith('HTTP/1.1 101 ')) throw new Error(`no upgrade: ${head}`);
  return conn;
}

/** The close frame's status code in `data` (server frames are unmasked), or undefined. */
export function closeCode(data: Buffer): number | undefined {
  let i = 0;
  while (i + 2 <= data.length) {
    const opcode = data[i] & 0x0f;
    let len = data[i + 1] & 0x7f;
    let p = i + 2;
    if (len === 126) {
      len = data.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      len = Number(data.readBigUInt64BE(p));
      p += 8;
    }
    if (opcode === 8) return len >= 2 ? data.readUInt16BE(p) : 1005;
    i = p + len;
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolve when `cond` is true, or reject after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
