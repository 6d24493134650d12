import express, { type NextFunction, type Request, type Response } from 'express';
import { opsRouter, sameSecret, type HealthState, type Registry } from '@livelab/service-kit';
import { z } from 'zod';
import { parseRunMode } from './run-mode';
import type { WorkClient } from './work-client';

const RunModeBody = z.strictObject({ mode: z.enum(['always', 'never', 'window']), window: z.string().max(20).optional() });

function passwordOk(header: string | undefined, password: string): boolean {
  if (!header) return false;
  let presented = '';
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme === 'Bearer') presented = value;
  else if (scheme === 'Basic') presented = Buffer.from(value, 'base64').toString().split(':').slice(1).join(':');
  return sameSecret(presented, password);
}

/**
 * The local status/control API (BOINC's GUI RPC analogue). /healthz, /readyz and /metrics are open; the /v1
 * routes need the control password as `Authorization: Bearer <password>` (or Basic with any user name).
 */
export function createControlApp(opts: { client: WorkClient; password: string; health: HealthState; registry: Registry }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(opsRouter(opts.health, opts.registry));
  app.use('/v1', (req: Request, res: Response, next: NextFunction) => {
    if (passwordOk(req.headers.authorization, opts.password)) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer realm="work-client"').json({ error: 'unauthorized', reason: 'control password required' });
  });
  app.get('/v1/state', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(opts.client.status());
  });
  app.put('/v1/run-mode', express.json({ limit: 4096 }), (req, res) => {
    const body = RunModeBody.safeParse(req.body);
    if (!body.success) {
      res.status(400).json({ error: 'bad_request', reason: body.error.issues[0]?.message ?? 'invalid' });
      return;
    }
    try {
      opts.client.setRunMode(parseRunMode(body.data.mode, body.data.window));
    } catch (err) {
      res.status(400).json({ error: 'bad_request', reason: (err as Error).message });
      return;
    }
    res.json(opts.client.status().run_mode);
  });
  app.use('/v1', (req, res) => {
    res.status(404).json({ error: 'not_found', reason: `no ${req.method} /v1${req.path}` });
  });
  app.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    res.status(status).json({ error: status === 413 ? 'payload_too_large' : status === 500 ? 'internal' : 'bad_request', reason: err.message });
  });
  return app;
}
