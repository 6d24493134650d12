// One keep-alive HTTP/1.1 connection, one request at a time, as a player's loader uses it. Hand-written on
// node:net rather than undici or fetch: the load generator has one core for thousands of viewers (~40k requests/s
// for 2000 LL-HLS viewers), and this parser does only what a media GET needs — status, the headers it asks for,
// Content-Length or chunked bodies, passed through as they arrive without copies — with bounds on every header part.
import { connect, type Socket } from 'node:net';

/** Bounds on what a server may make us hold. */
export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_CHUNK_LINE = 64;
const EMPTY = Buffer.alloc(0);

export interface HttpResult {
  status: number;
  /** Lower-case header names; only the last value of a repeated header. */
  headers: Map<string, string>;
  /** The body, when the request asked to keep it. */
  body?: Buffer;
  bytes: number;
  /** ms timestamps (Date.now()). */
  sentAt: number;
  headAt: number;
  doneAt: number;
}

export interface RequestOptions {
  /** Keep the body (playlists, MPDs); media bodies are only counted and passed to onData. */
  keepBody?: boolean;
  /** Every piece of the body as it arrives (a view into the socket's buffer: copy what you keep). */
  onData?: (piece: Buffer) => void;
  /** Refuse bodies larger than this (keepBody only). */
  maxBody?: number;
}

export class HttpError extends Error {}

type Phase = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailer';

interface Pending {
  opts: RequestOptions;
  resolve: (r: HttpResult) => void;
  reject: (e: Error) => void;
  result: HttpResult;
  kept: Buffer[];
}

/**
 * A response parser fed with socket bytes; calls `done` at the end of each response. Exported for the fuzz test.
 */
export class ResponseParser {
  private phase: Phase = 'head';
  private head: Buffer = EMPTY;
  private remaining = 0;
  private line = '';
  private headOnly = false;
  status = 0;
  headers = new Map<string, string>();

  constructor(
    private readonly onHead: (status: number, headers: Map<string, string>) => void,
    private readonly onBody: (piece: Buffer) => void,
    private readonly onDone: () => void,
  ) {}

  /** The next response answers a HEAD request (no body whatever it says). */
  expectHeadOnly(v: boolean): void {
    this.headOnly = v;
  }

  /** Throws HttpError on anything malformed or over a bound. */
  push(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      switch (this.phase) {
        case 'head': {
          // The head so far and this piece; the terminator may straddle pieces (the head is bounded, so the copy is).
          const held = this.head.length;
          const buf = held ? Buffer.concat([this.head, data.subarray(at)]) : data.subarray(at);
          const i = buf.indexOf('\r\n\r\n', Math.max(0, held - 3), 'latin1');
          if (i < 0 || i + 4 > MAX_HEAD_BYTES) {
            if (buf.length > MAX_HEAD_BYTES) throw new HttpError('response head too large');
            this.head = Buffer.from(buf);
            return;
          }
          at += i + 4 - held;
          this.head = EMPTY;
          this.parseHead(buf.toString('latin1', 0, i + 4));
          break;
        }
        case 'length': {
          const n = Math.min(this.remaining, data.length - at);
          this.onBody(data.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.finish();
          break;
        }
        case 'chunk-size':
        case 'chunk-crlf':
        case 'trailer': {
          const nl = data.indexOf(10, at);
          const piece = data.toString('latin1', at, nl < 0 ? data.length : nl + 1);
          at = nl < 0 ? data.length : nl + 1;
          this.line += piece;
          if (this.line.length > MAX_CHUNK_LINE) throw new HttpError('chunk line too long');
          if (nl < 0) break;
          const line = this.line.replace(/\r?\n$/, '');
          this.line = '';
          if (this.phase === 'chunk-crlf') {
            if (line !== '') throw new HttpError('chunk not followed by CRLF');
            this.phase = 'chunk-size';
          } else if (this.phase === 'trailer') {
            if (line === '') this.finish();
          } else {
            const m = /^([0-9a-fA-F]{1,8})(?:;.*)?$/.exec(line);
            if (!m) throw new HttpError('bad chunk size');
            this.remaining = parseInt(m[1], 16);
            this.phase = this.remaining === 0 ? 'trailer' : 'chunk-data';
          }
          break;
        }
        case 'chunk-data': {
          const n = Math.min(this.remaining, data.length - at);
          this.onBody(data.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.phase = 'chunk-crlf';
          break;
        }
      }
    }
  }

  private parseHead(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]);
    if (!m) throw new HttpError('bad status line');
    this.status = Number(m[1]);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i]) continue;
      const c = lines[i].indexOf(':');
      if (c <= 0) throw new HttpError('bad header line');
      headers.set(lines[i].slice(0, c).trim().toLowerCase(), lines[i].slice(c + 1).trim());
    }
    this.headers = headers;
    this.onHead(this.status, headers);
    const te = headers.get('transfer-encoding');
    const cl = headers.get('content-length');
    if (this.headOnly || this.status === 204 || this.status === 304) return this.finish();
    if (te !== undefined) {
      if (te.toLowerCase() !== 'chunked') throw new HttpError(`unsupported transfer-encoding ${te}`);
      this.phase = 'chunk-size';
    } else if (cl !== undefined) {
      if (!/^\d{1,12}$/.test(cl)) throw new HttpError('bad content-length');
      this.remaining = Number(cl);
      if (this.remaining === 0) return this.finish();
      this.phase = 'length';
    } else {
      throw new HttpError('response without a length (read to close is not supported)');
    }
  }

  private finish(): void {
    this.phase = 'head';
    this.headOnly = false;
    this.onDone();
  }
}

export class HttpConnection {
  private socket?: Socket;
  private connecting?: Promise<Socket>;
  private pending?: Pending;
  private parser?: ResponseParser;
  /** Requests answered on this connection, and reconnects. */
  requests = 0;
  reconnects = 0;
  private opened = false;

  /** `extraHeaders`: whole header lines, each ending in CRLF; `localAddress`: the source address (127.0.0.x spreads ports). */
  constructor(
    readonly host: string,
    readonly port: number,
    private readonly extraHeaders = '',
    private readonly localAddress?: string,
  ) {}

  /** GET (or HEAD) `path`; rejects on a network error or a malformed answer (the connection is then closed). */
  async request(path: string, opts: RequestOptions = {}, method: 'GET' | 'HEAD' = 'GET'): Promise<HttpResult> {
    if (this.pending) throw new Error('one request at a time on a connection');
    const socket = await this.open();
    return new Promise<HttpResult>((resolve, reject) => {
      const sentAt = Date.now();
      this.pending = { opts, resolve, reject, kept: [], result: { status: 0, headers: new Map(), bytes: 0, sentAt, headAt: 0, doneAt: 0 } };
      (this.parser as ResponseParser).expectHeadOnly(method === 'HEAD');
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n${this.extraHeaders}\r\n`);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port, noDelay: true, localAddress: this.localAddress });
      const parser = new ResponseParser(
        (status, headers) => {
          const p = this.pending;
          if (!p) return;
          p.result.status = status;
          p.result.headers = headers;
          p.result.headAt = Date.now();
        },
        (piece) => {
          const p = this.pending;
          if (!p) return;
          p.result.bytes += piece.length;
          if (p.opts.keepBody) {
            if (p.result.bytes > (p.opts.maxBody ?? 1 << 20)) throw new HttpError('body too large');
            p.kept.push(Buffer.from(piece));
          }
          p.opts.onData?.(piece);
        },
        () => {
          const p = this.pending;
          if (!p) return;
          this.pending = undefined;
          this.requests++;
          p.result.doneAt = Date.now();
          if (p.opts.keepBody) p.result.body = Buffer.concat(p.kept);
          if (p.result.headers.get('connection')?.toLowerCase() === 'close') this.close();
          p.resolve(p.result);
        },
      );
      const fail = (err: Error) => {
        if (this.socket === s) this.socket = undefined;
        s.destroy();
        const p = this.pending;
        this.pending = undefined;
        p?.reject(err);
      };
      s.on('data', (d: Buffer) => {
        try {
          if (!this.pending) throw new HttpError('data without a request');
          parser.push(d);
        } catch (e) {
          fail(e as Error);
        }
      });
      s.on('error', (e) => {
        this.connecting = undefined;
        reject(e);
        fail(e);
      });
      s.on('close', () => fail(new HttpError('connection closed')));
      s.once('connect', () => {
        this.connecting = undefined;
        if (this.opened) this.reconnects++;
        this.opened = true;
        this.socket = s;
        this.parser = parser;
        resolve(s);
      });
    });
    return this.connecting;
  }
}
