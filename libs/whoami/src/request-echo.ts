// The text and JSON that traefik/whoami answers with, built from a Node request.
import type { IncomingMessage } from 'node:http';
import { goHeaders, goRemoteAddr } from './go-compat';

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

/** Headers Go's Request.Write handles itself (not in the sorted header block). */
const EXCLUDED = new Set(['Host', 'User-Agent', 'Content-Length', 'Transfer-Encoding', 'Trailer']);

function contentLengthOf(req: IncomingMessage): number | 'chunked' {
  if (/\bchunked\b/i.test(String(req.headers['transfer-encoding'] ?? ''))) return 'chunked';
  const n = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** The request as Go's (*http.Request).Write prints it: request line, Host, User-Agent, length, sorted headers, body. */
export function formatRequest(req: IncomingMessage, body: Buffer): Buffer {
  const headers = goHeaders(req.rawHeaders);
  const method = req.method || 'GET';
  const lines = [`${method} ${req.url ?? '/'} HTTP/1.1`, `Host: ${req.headers.host ?? ''}`];
  const ua = headers.get('User-Agent');
  // Go writes its own default when the client sent none.
  lines.push(`User-Agent: ${ua ? ua[0] : 'Go-http-client/1.1'}`);
  const length = contentLengthOf(req);
  if (length === 'chunked') lines.push('Transfer-Encoding: chunked');
  else if (length > 0 || ['POST', 'PUT', 'PATCH'].includes(method) || (length === 0 && !['GET', 'HEAD'].includes(method)))
    lines.push(`Content-Length: ${length === 0 ? body.length : length}`);
  for (const key of [...headers.keys()].filter((k) => !EXCLUDED.has(k)).sort()) {
    for (const v of headers.get(key) ?? []) lines.push(`${key}: ${v}`);
  }
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  if (length === 'chunked') {
    const chunks = body.length ? [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')] : [];
    return Buffer.concat([head, ...chunks, Buffer.from('0\r\n\r\n')]);
  }
  return Buffer.concat([head, body]);
}

/** The whole text answer of `/`: identity lines, then the request as received. */
export function formatWhoamiText(id: Identity, req: IncomingMessage, body: Buffer, env?: NodeJS.ProcessEnv): Buffer {
  const lines: string[] = [];
  if (id.name) lines.push(`Name: ${id.name}`);
  lines.push(`Hostname: ${id.hostname}`);
  for (const ip of id.ips) lines.push(`IP: ${ip}`);
  if (id.node) lines.push(`Node: ${id.node}`);
  if (id.pod) lines.push(`Pod: ${id.namespace ? `${id.namespace}/` : ''}${id.pod}`);
  if (id.podIp) lines.push(`PodIP: ${id.podIp}`);
  lines.push(`RemoteAddr: ${goRemoteAddr(req.socket.remoteAddress, req.socket.remotePort)}`);
  const parts = [Buffer.from(`${lines.join('\n')}\n`), formatRequest(req, body)];
  if (env) parts.push(Buffer.from(Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}\n`).join('')));
  return Buffer.concat(parts);
}

/** Go's encoding/json escapes <, >, & and U+2028/2029 by default. */
function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** `/api`: traefik's JSON field names and order, empty fields left out; node/pod fields when known. */
export function formatWhoamiJson(id: Identity, req: IncomingMessage, env?: NodeJS.ProcessEnv): string {
  const headers = goHeaders(req.rawHeaders);
  headers.delete('Host');
  const sorted: Record<string, string[]> = {};
  for (const k of [...headers.keys()].sort()) sorted[k] = headers.get(k) as string[];
  const data: Record<string, unknown> = {
    hostname: id.hostname || undefined,
    ip: id.ips.length ? id.ips : undefined,
    headers: Object.keys(sorted).length ? sorted : undefined,
    url: req.url || undefined,
    host: req.headers.host || undefined,
    method: req.method || undefined,
    name: id.name || undefined,
    remoteAddr: goRemoteAddr(req.socket.remoteAddress, req.socket.remotePort),
    environ: env && Object.keys(env).length ? Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))) : undefined,
    node: id.node || undefined,
    pod: id.pod || undefined,
    namespace: id.namespace || undefined,
    podIP: id.podIp || undefined,
  };
  return `${goJson(data)}\n`;
}
