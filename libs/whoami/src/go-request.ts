// The request as Go's server sees it (url.ParseRequestURI, textproto headers, readRequest's fix-ups), because
// whoami prints and routes Go's view of it, not the bytes that arrived.
import type { IncomingMessage } from 'node:http';
import { canonicalHeaderKey } from './go-compat';
import { GoHeader } from './go-response';

export interface GoRequest {
  method: string;
  proto11: boolean;
  /** URL.Path (unescaped): what ServeMux routes on. */
  path: string;
  rawQuery: string;
  /** URL.RequestURI(): the target as Request.Write prints it. */
  requestURI: string;
  /** The raw target, as received (RequestURI field). */
  target: string;
  host: string;
  header: GoHeader;
  /** Request.Close (shouldClose). */
  close: boolean;
  /** -1 for chunked. */
  contentLength: number;
}

const HEX = '0123456789ABCDEF';
const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** url.shouldEscape(c, encodePath) */
function shouldEscapePath(c: number): boolean {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) return false;
  switch (c) {
    case 45: case 95: case 46: case 126: // - _ . ~
      return false;
    case 36: case 38: case 43: case 44: case 47: case 58: case 59: case 61: case 64: // $ & + , / : ; = @
      return false;
    default:
      return true;
  }
}
/** url.validEncoded(s, encodePath) */
function validEncodedPath(s: Buffer): boolean {
  for (const c of s) {
    if ('!$&\'()*+,;=:@[]%'.includes(String.fromCharCode(c))) continue;
    if (shouldEscapePath(c)) return false;
  }
  return true;
}
/** url.unescape(s, encodePath); null when a % is not followed by two hex digits. */
function unescapePath(s: Buffer): Buffer | null {
  if (!s.includes(37)) return s;
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== 37) {
      out.push(s[i]);
      continue;
    }
    if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) return null;
    out.push(parseInt(String.fromCharCode(s[i + 1], s[i + 2]), 16));
    i += 2;
  }
  return Buffer.from(out);
}
/** url.escape(s, encodePath) */
function escapePath(s: Buffer): string {
  let out = '';
  for (const c of s) out += shouldEscapePath(c) ? `%${HEX[c >> 4]}${HEX[c & 15]}` : String.fromCharCode(c);
  return out;
}

/** URL.EscapedPath() for a path received as `raw` bytes (latin1 string). */
function escapedPath(raw: Buffer, path: Buffer): string {
  if (escapePath(path) === raw.toString('latin1')) return raw.toString('latin1');
  return validEncodedPath(raw) ? raw.toString('latin1') : escapePath(path);
}

export interface GoTarget {
  path: string;
  rawQuery: string;
  requestURI: string;
  host: string;
}

/** url.ParseRequestURI as the server applies it; null where Go answers 400. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~/]*$/;

export function parseGoTarget(target: string): GoTarget | null {
  // The common case: a path of unreserved characters, as is, with or without a query.
  const q0 = target.indexOf('?');
  const plainPath = q0 < 0 ? target : target.slice(0, q0);
  if (PLAIN_PATH.test(plainPath))
    return { path: plainPath, rawQuery: q0 < 0 ? '' : target.slice(q0 + 1), requestURI: target, host: '' };
  if (target === '*') return { path: '*', rawQuery: '', requestURI: '*', host: '' };
  let rest = target;
  let rawQuery = '';
  let forceQuery = false;
  const q = rest.indexOf('?');
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    forceQuery = rawQuery === '';
    rest = rest.slice(0, q);
  }
  let host = '';
  if (!rest.startsWith('/')) {
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/.exec(rest);
    if (!m) return null;
    rest = m[2];
    if (!rest.startsWith('//')) return null; // opaque or relative: not in a request line from a real client
    const slash = rest.indexOf('/', 2);
    host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    if (host.includes('[') && !/^\[[^\]]*\](:\d*)?$/.test(host)) return null;
    if (/[\s<>"{}|\\^`]/.test(host)) return null;
  }
  const raw = Buffer.from(rest, 'latin1');
  const path = unescapePath(raw);
  if (!path) return null;
  let uri = rest === '' ? '/' : escapedPath(raw, path);
  if (uri === '') uri = '/';
  if (forceQuery || rawQuery !== '') uri += `?${rawQuery}`;
  return { path: path.toString('latin1'), rawQuery, requestURI: uri, host };
}

function hasToken(values: string[] | undefined, token: string): boolean {
  return (values ?? []).some((v) => v.split(',').some((t) => t.trim().toLowerCase() === token));
}

/** Go's request from Node's; null when Go's server would refuse it with a plain 400. */
export function goRequest(req: IncomingMessage): GoRequest | null {
  const target = parseGoTarget(req.url ?? '/');
  if (!target) return null;
  const header = new GoHeader();
  const raw = req.rawHeaders;
  let hostHeader: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = canonicalHeaderKey(raw[i]);
    if (key === 'Host') {
      if (hostHeader === undefined) hostHeader = raw[i + 1];
      continue;
    }
    const list = header.get(key);
    if (list) list.push(raw[i + 1]);
    else header.set(key, [raw[i + 1]]);
  }
  const pragma = header.get('Pragma');
  if (pragma && pragma[0] === 'no-cache' && !header.has('Cache-Control')) header.set('Cache-Control', ['no-cache']);
  const chunked = header.has('Transfer-Encoding');
  if (chunked) {
    header.delete('Transfer-Encoding');
    header.delete('Content-Length');
  }
  const major = req.httpVersionMajor;
  const minor = req.httpVersionMinor;
  const conn = header.get('Connection');
  const close = major < 1 || (major === 1 && minor === 0 ? hasToken(conn, 'close') || !hasToken(conn, 'keep-alive') : hasToken(conn, 'close'));
  const cl = Number(header.get1('Content-Length') || 0);
  return {
    method: req.method ?? 'GET',
    proto11: major > 1 || (major === 1 && minor >= 1),
    path: target.path,
    rawQuery: target.rawQuery,
    requestURI: target.requestURI,
    target: req.url ?? '/',
    host: target.host || hostHeader || '',
    header,
    close,
    contentLength: chunked ? -1 : Number.isFinite(cl) ? cl : 0,
  };
}

/** url.QueryUnescape; null when invalid. */
function queryUnescape(s: string): string | null {
  const b = unescapePath(Buffer.from(s.replace(/\+/g, ' '), 'latin1'));
  return b ? b.toString('utf8') : null;
}

/** URL.Query(): Go's ParseQuery (pairs with ';' or a bad escape are dropped). */
const NO_QUERY: ReadonlyMap<string, string[]> = new Map();
export function goQuery(rawQuery: string): ReadonlyMap<string, string[]> {
  if (rawQuery === '') return NO_QUERY;
  const m = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const k = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const v = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (k === null || v === null) continue;
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  }
  return m;
}
/** Values.Get */
export const queryGet = (q: ReadonlyMap<string, string[]>, key: string) => q.get(key)?.[0] ?? '';

/** ServeMux's cleanPath. */
export function cleanPath(p: string): string {
  if (p[0] === '/' && !/\/\/|\/\.\.?(\/|$)/.test(p)) return p; // already clean (the common case)
  if (p === '') return '/';
  if (p[0] !== '/') p = `/${p}`;
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  let np = `/${parts.join('/')}`;
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}
