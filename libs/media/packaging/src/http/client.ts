// Who a raw request comes from, as express's `trust proxy: 'loopback'` reads it (the rest of the app is express):
// X-Forwarded-For / -Proto count only when the peer is a loopback proxy.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

const isLoopback = (a: string) => a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.');

const first = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);

/** The client's address: the peer's, or behind loopback proxies the nearest untrusted X-Forwarded-For entry. */
export function clientAddress(req: IncomingMessage): string {
  let addr = req.socket.remoteAddress ?? '';
  const xff = first(req.headers['x-forwarded-for']);
  if (!xff || !isLoopback(addr)) return addr;
  const hops = xff.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    addr = hops[i].trim();
    if (!isLoopback(addr)) break;
  }
  return addr;
}

/** Address and user agent: one viewer. */
export const clientKey = (req: IncomingMessage) => `${clientAddress(req)}|${req.headers['user-agent'] ?? ''}`;

/** scheme://host the request was made to (for absolute URLs in manifests when no public base URL is set). */
export function requestBaseUrl(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? '';
  const forwarded = isLoopback(peer) ? first(req.headers['x-forwarded-proto'])?.split(',')[0].trim() : undefined;
  const proto = forwarded || ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
  return `${proto}://${req.headers.host ?? ''}`;
}
