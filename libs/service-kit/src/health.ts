import type { Request, Response, Router } from 'express';
import express from 'express';
import type { Registry } from 'prom-client';

export type ReadinessCheck = () => boolean | string | Promise<boolean | string>;

/**
 * Liveness and readiness. `/healthz` answers 200 while the process runs and is not shutting down;
 * `/readyz` answers 200 only when every readiness check passes (a check returns true, or false / a reason).
 */
export class HealthState {
  private readonly checks = new Map<string, ReadinessCheck>();
  private draining = false;

  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Marks the service as draining: readiness fails so load balancers stop sending new work. */
  setDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    let ready = !this.draining;
    if (this.draining) checks['shutdown'] = 'draining';
    for (const [name, check] of this.checks) {
      try {
        const r = await check();
        if (r === true) checks[name] = 'ok';
        else {
          ready = false;
          checks[name] = typeof r === 'string' ? r : 'not ready';
        }
      } catch (err) {
        ready = false;
        checks[name] = `error: ${(err as Error).message}`;
      }
    }
    return { ready, checks };
  }
}

/** Express router with `/healthz`, `/readyz` and `/metrics`. */
export function opsRouter(health: HealthState, registry: Registry): Router {
  const router = express.Router();
  router.get('/healthz', (_req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req: Request, res: Response) => {
    const r = await health.readiness();
    res
      .status(r.ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
  });
  router.get('/metrics', async (_req: Request, res: Response) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  return router;
}
