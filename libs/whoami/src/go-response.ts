// Go net/http's response writer (Go 1.19, as traefik/whoami v1.11.0 is served by it), reimplemented on a Node
// ServerResponse so our answers are byte for byte the reference's: status line (HTTP/1.0 for 1.0 requests, Go's
// reason phrases), the handler's headers sorted, then Date, Content-Length, a sniffed Content-Type, Connection and
// Transfer-Encoding, in that order; Content-Length when the whole body fit in Go's 2048-byte buffer, chunked
// (with Go's chunk boundaries) when it did not, close-delimited for HTTP/1.0. See server.go chunkWriter.writeHeader.
//
// Node writes the head itself; we give writeHead the framing headers Node needs (so its keep-alive and body
// framing decisions are Go's) and then replace the head text it prepared (`_header`, unchanged since Node 0.x)
// with Go's exact bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { canonicalHeaderKey } from './go-compat';

/** http.StatusText of Go 1.19. */
export const GO_STATUS_TEXT: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  208: 'Already Reported',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  414: 'Request URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Entity',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  510: 'Not Extended',
  511: 'Network Authentication Required',
};

export const statusLine = (proto11: boolean, code: number) => `HTTP/1.${proto11 ? 1 : 0} ${code} ${GO_STATUS_TEXT[code] ?? `status code ${code}`}\r\n`;

let dateSecond = 0;
let dateText = '';
/** Go's http.TimeFormat of now (cached per second, as Node caches its own). */
export function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(s * 1000).toUTCString();
  }
  return dateText;
}

/** http.DetectContentType for what whoami writes (text or binary; no answer of ours starts with a magic number). */
export function detectContentType(p: Buffer): string {
  const n = Math.min(p.length, 512);
  for (let i = 0; i < n; i++) {
    const b = p[i];
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return 'application/octet-stream';
  }
  return 'text/plain; charset=utf-8';
}

/** A header value that needs no newline replacement or trimming. */
const CLEAN_VALUE = /^(?:[^\s\r\n](?:[^\r\n]*[^\s\r\n])?)?$/;

/** Go's http.Header: canonical keys, several values each. */
export class GoHeader extends Map<string, string[]> {
  override set(key: string, value: string[] | string): this {
    return super.set(canonicalHeaderKey(key), Array.isArray(value) ? value : [value]);
  }
  get1(key: string): string {
    return super.get(canonicalHeaderKey(key))?.[0] ?? '';
  }
  del(key: string): void {
    super.delete(canonicalHeaderKey(key));
  }
  /** Header.WriteSubset: sorted keys, one line per value, newlines → spaces, values trimmed. */
  text(exclude?: Set<string>): string {
    let out = '';
    for (const key of [...this.keys()].sort()) {
      if (exclude?.has(key)) continue;
      for (const v of this.get(key) ?? []) out += `${key}: ${CLEAN_VALUE.test(v) ? v : v.replace(/[\r\n]/g, ' ').replace(/^[ \t]+|[ \t]+$/g, '')}\r\n`;
    }
    return out;
  }
}

/** What Go's server knows of the request that decides the answer's framing. */
export interface GoConnInfo {
  method: string;
  proto11: boolean;
  /** Request.wantsClose(): Connection: close, or HTTP/1.0 without keep-alive. */
  wantsClose: boolean;
  /** Request.wantsHttp10KeepAlive(). */
  wants10KeepAlive: boolean;
}

const bodyAllowedForStatus = (code: number) => !((code >= 100 && code <= 199) || code === 204 || code === 304);
const BUFFER = 2048; // bufferBeforeChunkingSize
const SNIFF = 512;

type NodeResponse = ServerResponse & { _header: string | null };

export class GoResponse {
  readonly header = new GoHeader();
  status = 0;
  /** Go's contentLength (-1 unknown): from a Content-Length the handler set, or the buffered body at the end. */
  private contentLength = -1;
  private buf: Buffer[] = [];
  private buffered = 0;
  private wroteHeader = false;
  /** After the head is written: whether Go closes the connection after this answer (closeAfterReply). */
  closeAfterReply = false;
  /** Bytes of the request body the handler has not read yet (Go discards them, or closes from 256 KiB on). */
  unreadBody: () => number = () => 0;
  private handlerDone = false;
  private chunking = false;

  constructor(
    readonly info: GoConnInfo,
    readonly res: ServerResponse,
  ) {}

  /** ResponseWriter.WriteHeader: the first call wins. */
  writeHeader(code: number): void {
    if (this.status) return;
    this.status = code;
    const cl = this.header.get1('Content-Length');
    if (cl !== '') {
      if (/^\d+$/.test(cl)) this.contentLength = Number(cl);
      else this.header.del('Content-Length');
    }
    // Go snapshots the header map here; our handlers never touch it after WriteHeader, so the map itself is it.
  }

  /** ResponseWriter.Write, through Go's 2048-byte buffer (a write larger than the free space of an empty buffer goes straight through). */
  write(data: Buffer | string): boolean {
    if (!this.status) this.writeHeader(200);
    let p = typeof data === 'string' ? Buffer.from(data) : data;
    let ok = true;
    while (p.length > BUFFER - this.buffered) {
      if (this.buffered === 0) return this.chunk(p);
      const k = BUFFER - this.buffered;
      this.buf.push(p.subarray(0, k));
      this.buffered += k;
      p = p.subarray(k);
      ok = this.flush();
    }
    if (p.length) {
      this.buf.push(p);
      this.buffered += p.length;
    }
    return ok;
  }

  /** bufio.Writer.Flush: what is buffered goes to the chunk writer. */
  flush(): boolean {
    if (this.buffered === 0) return true;
    const p = this.buf.length === 1 ? this.buf[0] : Buffer.concat(this.buf, this.buffered);
    this.buf = [];
    this.buffered = 0;
    return this.chunk(p);
  }

  /**
   * io.Copy from a reader into the response, as (*response).ReadFrom does it: the first 512 bytes through the
   * buffer (for sniffing), then, once the head is out, reads of `readSize` bytes each written as they come.
   */
  async copyFrom(read: (max: number) => Buffer | null, readSize = 32 * 1024): Promise<void> {
    let sniffed = 0;
    if (!this.wroteHeader) {
      while (sniffed < SNIFF) {
        const p = read(SNIFF - sniffed);
        if (!p) return;
        sniffed += p.length;
        this.write(p);
      }
      this.flush();
      this.ensureHead(Buffer.alloc(0));
    }
    for (;;) {
      const p = read(readSize);
      if (!p) return;
      if (!this.write(p)) await this.drained();
      if (this.res.destroyed) return;
    }
  }

  /** Whether the head went out (chunkWriter.wroteHeader). */
  get headWritten(): boolean {
    return this.wroteHeader;
  }

  /** Resolves when the socket takes more, or when the client went away (then the copy stops). */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** The handler returned: finishRequest. */
  end(): void {
    if (!this.status) this.writeHeader(200);
    this.handlerDone = true;
    if (!this.wroteHeader && this.buffered) {
      // The whole body fit the buffer: one Content-Length answer, head and body in one write.
      const p = this.buf.length === 1 ? this.buf[0] : Buffer.concat(this.buf, this.buffered);
      this.buf = [];
      this.buffered = 0;
      this.writeHead(p);
      if (this.info.method === 'HEAD') this.res.end();
      else this.res.end(p);
      return;
    }
    this.flush();
    this.ensureHead(Buffer.alloc(0));
    this.res.end();
  }

  private ensureHead(p: Buffer): void {
    if (!this.wroteHeader) this.writeHead(p);
  }

  /** chunkWriter.Write */
  private chunk(p: Buffer): boolean {
    this.ensureHead(p);
    if (this.info.method === 'HEAD' || p.length === 0) return true;
    return this.res.write(p);
  }

  /** chunkWriter.writeHeader(p): decide the framing from the first bytes of the body, write Go's head. */
  private writeHead(p: Buffer): void {
    this.wroteHeader = true;
    const { info } = this;
    const isHEAD = info.method === 'HEAD';
    const header = this.header;
    const code = this.status;
    const te = header.get1('Transfer-Encoding');
    const hasTE = te !== '';
    let setContentLength = '';
    let setContentType = '';
    let setConnection = '';
    let setTE = '';
    let closeAfterReply = this.closeAfterReply;
    if (this.handlerDone && !hasTE && bodyAllowedForStatus(code) && header.get1('Content-Length') === '' && (!isHEAD || p.length > 0)) {
      this.contentLength = p.length;
      setContentLength = String(p.length);
    }
    const hasCL = this.contentLength !== -1;
    if (info.wants10KeepAlive && (isHEAD || hasCL || !bodyAllowedForStatus(code))) {
      if (!header.has('Connection')) setConnection = 'keep-alive';
    } else if (!info.proto11 || info.wantsClose) closeAfterReply = true;
    if (header.get1('Connection') === 'close') closeAfterReply = true;
    if (bodyAllowedForStatus(code)) {
      if (!header.has('Content-Type') && !header.get1('Content-Encoding') && !hasTE && p.length > 0) setContentType = detectContentType(p);
    } else {
      for (const k of ['Content-Type', 'Content-Length', 'Transfer-Encoding']) header.delete(k);
    }
    if (isHEAD || !bodyAllowedForStatus(code) || code === 204) header.delete('Transfer-Encoding');
    else if (hasCL) header.delete('Transfer-Encoding');
    else if (info.proto11) {
      this.chunking = true;
      setTE = 'chunked';
      header.delete('Transfer-Encoding');
    } else {
      closeAfterReply = true;
      header.delete('Transfer-Encoding');
    }
    if (this.chunking) header.delete('Content-Length');
    if (!closeAfterReply && this.unreadBody() >= 256 * 1024) {
      // maxPostHandlerReadBytes: too much to discard, the connection closes instead (requestTooLarge).
      closeAfterReply = true;
      header.delete('Connection');
      setConnection = 'close';
    }
    this.closeAfterReply = closeAfterReply;
    if (closeAfterReply && !/(^|[ ,])close($|[ ,])/i.test(header.get1('Connection'))) {
      header.delete('Connection');
      if (info.proto11) setConnection = 'close';
    }
    let head = statusLine(info.proto11, code) + header.text();
    if (!header.has('Date')) head += `Date: ${httpDate()}\r\n`;
    if (setContentLength) head += `Content-Length: ${setContentLength}\r\n`;
    if (setContentType) head += `Content-Type: ${setContentType}\r\n`;
    if (setConnection) head += `Connection: ${setConnection}\r\n`;
    if (setTE) head += `Transfer-Encoding: ${setTE}\r\n`;
    head += '\r\n';
    // Node's framing must be the same: length, chunked or close-delimited; keep-alive or not.
    const framing: Record<string, string> = {};
    if (this.chunking) framing['Transfer-Encoding'] = 'chunked';
    else if (hasCL) framing['Content-Length'] = String(isHEAD ? this.contentLength : this.contentLength);
    if (closeAfterReply || (!hasCL && !this.chunking && !isHEAD && bodyAllowedForStatus(code))) framing['Connection'] = 'close';
    else this.res.removeHeader('Connection');
    const res = this.res as NodeResponse;
    res.sendDate = false;
    res.writeHead(code, framing);
    res._header = head;
  }
}

/** A whole answer written at once (the common case): same bytes as writing `body` in one Write and returning. */
export function goRespond(w: GoResponse, code: number, body?: Buffer | string): void {
  w.writeHeader(code);
  if (body !== undefined && body.length) w.write(body);
  w.end();
}

/** http.Error: text/plain, nosniff, the message and a newline. */
export function goError(w: GoResponse, message: string, code: number): void {
  w.header.set('Content-Type', 'text/plain; charset=utf-8');
  w.header.set('X-Content-Type-Options', 'nosniff');
  goRespond(w, code, `${message}\n`);
}

/** The answer Go's server writes itself for a request it cannot parse (server.go: "400 Bad Request", closes). */
export function goBadRequest(res: ServerResponse, status = '400 Bad Request', detail = ''): void {
  const text = detail ? `${status}: ${detail}` : status;
  const r = res as NodeResponse;
  if (res.req?.method === 'HEAD') {
    // Go writes these bytes straight to the connection, body included even for HEAD; Node would drop the body.
    res.socket?.end(`HTTP/1.1 ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${text}`);
    return;
  }
  r.sendDate = false;
  r.writeHead(Number(status.slice(0, 3)), { 'Content-Length': String(Buffer.byteLength(text)), Connection: 'close' });
  r._header = `HTTP/1.1 ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n`;
  r.end(text);
}

/** The same, on a socket Node's parser gave up on. */
export const GO_BAD_REQUEST_RAW = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';

/**
 * `close` is Request.Close (every Connection value counts); Go's wantsClose and wantsHttp10KeepAlive look at the
 * first Connection header only (Header.get).
 */
export function goConnInfo(req: IncomingMessage, close: boolean, firstConnection: string): GoConnInfo {
  const proto11 = req.httpVersionMajor > 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1);
  const wants10KeepAlive = req.httpVersionMajor === 1 && req.httpVersionMinor === 0 && /(^|[ ,])keep-alive($|[ ,])/i.test(firstConnection);
  return { method: req.method ?? 'GET', proto11, wantsClose: close || /(^|[ ,])close($|[ ,])/i.test(firstConnection), wants10KeepAlive };
}
