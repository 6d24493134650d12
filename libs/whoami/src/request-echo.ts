// The text and JSON that traefik/whoami answers with, built from Go's view of the request (go-request.ts).
import type { Socket } from 'node:net';
import { goRemoteAddr } from './go-compat';
import type { GoRequest } from './go-request';

export interface Identity {
  name?: string;
  hostname: string;
  ips: string[];
  /** Downward-API identity in Kubernetes (NODE_NAME, POD_NAME, POD_NAMESPACE, POD_IP). */
  node?: string;
  pod?: string;
  namespace?: string;
  podIp?: string;
}

/** Headers Go's Request.Write handles itself (reqWriteExcludeHeader). */
const EXCLUDED = new Set(['Host', 'User-Agent', 'Content-Length', 'Transfer-Encoding', 'Trailer']);

const hasToken = (v: string, token: string) => v.split(',').some((t) => t.trim().toLowerCase() === token);

/** The request as Go's (*http.Request).Write prints it (latin1 bytes: what arrived is what is printed). */
export function formatRequest(r: GoRequest, body: Buffer): Buffer {
  const headBytes = formatRequestHead(r, body.length);
  if (r.contentLength === -1) {
    const parts: Buffer[] = [headBytes];
    if (body.length) parts.push(Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n'));
    parts.push(Buffer.from('0\r\n\r\n'));
    return Buffer.concat(parts);
  }
  return body.length ? Buffer.concat([headBytes, body]) : headBytes;
}

/** The head Request.Write prints (request line, Host, User-Agent, Connection, length, sorted headers, blank line). */
export function formatRequestHead(r: GoRequest, bodyLength: number): Buffer {
  // cleanHost: the Host up to a space or a slash.
  const host = r.host.replace(/[ /].*$/s, '');
  let head = `${r.method || 'GET'} ${r.requestURI} HTTP/1.1\r\nHost: ${host}\r\n`;
  const ua = r.header.get('User-Agent');
  const userAgent = ua ? ua[0] : 'Go-http-client/1.1';
  if (userAgent !== '') head += `User-Agent: ${userAgent}\r\n`;
  if (r.close && !hasToken(r.header.get1('Connection'), 'close')) head += 'Connection: close\r\n';
  // transferWriter.shouldSendContentLength: outgoingLength() is 0 without a body, -1 chunked, else the length.
  const length = r.contentLength === -1 ? -1 : bodyLength;
  if (length === -1) head += 'Transfer-Encoding: chunked\r\n';
  else if (length > 0 || r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH') head += `Content-Length: ${length}\r\n`;
  head += r.header.text(EXCLUDED);
  head += '\r\n';
  return Buffer.from(head, 'latin1');
}

/** The identity lines of `/`, one string per Fprintln (each is one Write in Go). */
const fixedLines = new WeakMap<Identity, string[]>();
const remoteLines = new WeakMap<Socket, string>();
export function identityLines(id: Identity, socket: Socket): string[] {
  let lines = fixedLines.get(id);
  if (!lines) {
    lines = [];
    if (id.name) lines.push(`Name: ${id.name}\n`);
    lines.push(`Hostname: ${id.hostname}\n`);
    for (const ip of id.ips) lines.push(`IP: ${ip}\n`);
    if (id.node) lines.push(`Node: ${id.node}\n`);
    if (id.pod) lines.push(`Pod: ${id.namespace ? `${id.namespace}/` : ''}${id.pod}\n`);
    if (id.podIp) lines.push(`PodIP: ${id.podIp}\n`);
    fixedLines.set(id, lines);
  }
  let remote = remoteLines.get(socket);
  if (!remote) {
    remote = `RemoteAddr: ${goRemoteAddr(socket.remoteAddress, socket.remotePort)}\n`;
    remoteLines.set(socket, remote); // one per connection (keep-alive asks again and again)
  }
  return [...lines, remote];
}

/** `?env=true` lines: os.Environ() order, one Fprintln each. */
export const envLines = (env: NodeJS.ProcessEnv) => Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}\n`);

/** The whole text answer of `/` (identity, the request, the environment if asked), as one buffer. */
export function formatWhoamiText(id: Identity, r: GoRequest, socket: Socket, body: Buffer, env?: NodeJS.ProcessEnv): Buffer {
  const parts = [Buffer.from(identityLines(id, socket).join('')), formatRequest(r, body)];
  if (env) parts.push(Buffer.from(envLines(env).join('')));
  return Buffer.concat(parts);
}

/** Go's encoding/json string escaping (HTML-safe: <, >, & as \u003c…; \b and \f as \u0008 and \u000c). */
export function goJson(value: unknown): string {
  // U+FFFD stands for a byte that was not UTF-8, which Go writes as the escape \ufffd.
  return JSON.stringify(value).replace(/\\(.)|[<>&\u2028\u2029\ufffd]/g, (m, escaped?: string) => {
    if (escaped === undefined) return `\\u${m.charCodeAt(0).toString(16).padStart(4, '0')}`;
    return escaped === 'b' ? '\\u0008' : escaped === 'f' ? '\\u000c' : m;
  });
}

const sortedObject = <T>(entries: Iterable<[string, T]>) =>
  Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
/** Header values and names arrive as latin1; Go encodes their bytes as UTF-8 (invalid bytes → U+FFFD). */
const utf8 = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

/** `/api`: traefik's JSON field names and order, empty fields left out; node/pod fields when known. */
export function formatWhoamiJson(id: Identity, r: GoRequest, socket: Socket, env?: NodeJS.ProcessEnv): string {
  const headers = sortedObject([...r.header].map(([k, v]) => [utf8(k), v.map(utf8)] as [string, string[]]));
  const data: Record<string, unknown> = {
    hostname: id.hostname || undefined,
    ip: id.ips.length ? id.ips : undefined,
    headers: r.header.size ? headers : undefined,
    url: utf8(r.requestURI) || undefined,
    host: utf8(r.host) || undefined,
    method: r.method || undefined,
    name: id.name || undefined,
    remoteAddr: goRemoteAddr(socket.remoteAddress, socket.remotePort),
    environ: env && Object.keys(env).length ? sortedObject(Object.entries(env)) : undefined,
    node: id.node || undefined,
    pod: id.pod || undefined,
    namespace: id.namespace || undefined,
    podIP: id.podIp || undefined,
  };
  return `${goJson(data)}\n`;
}
