// A raw RTMP client for hostile-input tests: a real TCP socket, a valid handshake, then whatever bytes a test wants
// to send — well-formed chunks built by hand (so a test can declare lengths it never sends, use any chunk stream,
// any message type) or plain garbage.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RawMessage {
  cid?: number;
  type: number;
  streamId?: number;
  timestamp?: number;
  payload: Buffer;
  /** Declared length (default: the payload's); a larger value leaves the message unfinished. */
  length?: number;
  chunkSize?: number;
}

/** One message as chunks: a type 0 header, then type 3 continuations every chunkSize bytes. */
export function chunkMessage(m: RawMessage): Buffer {
  const cid = m.cid ?? 3;
  const chunkSize = m.chunkSize ?? 128;
  const basic = (fmt: number) =>
    cid < 64 ? Buffer.from([(fmt << 6) | cid]) : cid < 320 ? Buffer.from([fmt << 6, cid - 64]) : Buffer.from([(fmt << 6) | 1, (cid - 64) & 0xff, (cid - 64) >> 8]);
  const ts = m.timestamp ?? 0;
  const ext = ts >= 0xffffff;
  const head = Buffer.alloc(11);
  head.writeUIntBE(ext ? 0xffffff : ts, 0, 3);
  head.writeUIntBE(m.length ?? m.payload.length, 3, 3);
  head[6] = m.type;
  head.writeUInt32LE(m.streamId ?? 0, 7);
  const extBuf = () => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(ts >>> 0);
    return ext ? [b] : [];
  };
  const parts: Buffer[] = [basic(0), head, ...extBuf()];
  for (let off = 0; off < m.payload.length; off += chunkSize) {
    if (off > 0) parts.push(basic(3), ...extBuf());
    parts.push(m.payload.subarray(off, off + chunkSize));
  }
  return Buffer.concat(parts);
}

/** AMF0 encoding for building commands in tests. */
export const amf0 = {
  num: (n: number) => {
    const b = Buffer.alloc(9);
    b[0] = 0;
    b.writeDoubleBE(n, 1);
    return b;
  },
  bool: (v: boolean) => Buffer.from([1, v ? 1 : 0]),
  str: (s: string) => {
    const d = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(3);
    h[0] = 2;
    h.writeUInt16BE(d.length, 1);
    return Buffer.concat([h, d]);
  },
  null: () => Buffer.from([5]),
  obj: (o: Record<string, Buffer>) => {
    const parts: Buffer[] = [Buffer.from([3])];
    for (const [k, v] of Object.entries(o)) {
      const kb = Buffer.from(k, 'utf8');
      const kl = Buffer.alloc(2);
      kl.writeUInt16BE(kb.length);
      parts.push(kl, kb, v);
    }
    parts.push(Buffer.from([0, 0, 9]));
    return Buffer.concat(parts);
  },
};

export const cmd = (...values: Buffer[]) => Buffer.concat(values);
export const connectCmd = (app = 'live', tcUrl: string | null = 'rtmp://127.0.0.1/live') =>
  cmd(amf0.str('connect'), amf0.num(1), amf0.obj({ app: amf0.str(app), ...(tcUrl === null ? {} : { tcUrl: amf0.str(tcUrl) }) }));

export class RawRtmp {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  received = 0;
  private isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('data', (d) => (this.received += d.length));
    this.closed = new Promise((r) => socket.once('close', () => {
      this.isClosed = true;
      r();
    }));
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  static open(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawRtmp> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, localAddress });
      s.once('connect', () => resolve(new RawRtmp(s)));
      s.once('error', reject);
    });
  }

  /** A plain handshake: C0 C1, wait for S0 S1 S2 (3073 bytes), C2. Rejects if the server hangs up first. */
  async handshake(): Promise<void> {
    const c1 = Buffer.concat([Buffer.alloc(8), randomBytes(1528)]);
    this.socket.write(Buffer.concat([Buffer.from([3]), c1]));
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.received >= 3073) {
          this.socket.off('data', check);
          resolve();
        }
      };
      this.socket.on('data', check);
      this.closed.then(() => reject(new Error('closed during the handshake')));
    });
    this.socket.write(c1);
  }

  send(b: Buffer): void {
    if (this.isOpen) this.socket.write(b);
  }

  /** Resolves true if the server closed the connection within ms. */
  async closedWithin(ms: number): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
