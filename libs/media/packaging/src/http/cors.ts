// CORS for the media, API and clock routes: players on other origins may read them (and the Date header, for clock
// sync); preflights are answered here. One rule, two shapes: header lists for the raw media fast path, and an
// express middleware for the rest.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/** On every answer (flat name, value list: ServerResponse.writeHead takes it as is). */
export const CORS_HEADERS: readonly string[] = ['Access-Control-Allow-Origin', '*', 'Access-Control-Expose-Headers', 'Content-Length, Date'];

/** A preflight's answer headers. */
export function preflightHeaders(requestHeaders: string | undefined): string[] {
  return [
    ...CORS_HEADERS,
    'Access-Control-Allow-Methods',
    'GET, HEAD, OPTIONS',
    'Access-Control-Allow-Headers',
    requestHeaders ?? 'Range',
    'Access-Control-Max-Age',
    '600',
  ];
}

/** Answers an OPTIONS preflight on a raw response. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  const h = req.headers['access-control-request-headers'];
  res.writeHead(204, preflightHeaders(Array.isArray(h) ? h.join(', ') : h)).end();
}

export function cors(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'OPTIONS') {
    const h = preflightHeaders(req.get('access-control-request-headers'));
    for (let i = 0; i < h.length; i += 2) res.set(h[i], h[i + 1]);
    res.status(204).end();
    return;
  }
  for (let i = 0; i < CORS_HEADERS.length; i += 2) res.set(CORS_HEADERS[i], CORS_HEADERS[i + 1]);
  next();
}
