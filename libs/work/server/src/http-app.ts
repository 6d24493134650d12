import express, { type NextFunction, type Request, type Response } from 'express';
import { AttachRequestSchema, SchedulerRequestSchema, describeZodError, API_PREFIX } from '@livelab/work-protocol';
import { Counter, Gauge, opsRouter, type HealthState, type Logger, type Registry } from '@livelab/service-kit';
import type { z } from 'zod';
import { ProtocolError, unauthorized } from './errors';
import type { WorkProject } from './project';
import { renderSummaryPage } from './summary-page';

export interface WorkServerAppOptions {
  project: WorkProject;
  health: HealthState;
  registry: Registry;
  logger: Logger;
  /** largest request body accepted (bytes); larger → 413 */
  bodyLimitBytes?: number;
}

export function workMetrics(registry: Registry) {
  return {
    rpcs: new Counter({ name: 'work_server_rpcs_total', help: 'API requests by endpoint and status', labelNames: ['endpoint', 'status'], registers: [registry] }),
    reports: new Counter({ name: 'work_server_reports_total', help: 'Reported results by outcome and disposition', labelNames: ['outcome', 'disposition'], registers: [registry] }),
    validated: new Counter({ name: 'work_server_validated_results_total', help: 'Results validated, by state', labelNames: ['state'], registers: [registry] }),
    assimilated: new Counter({ name: 'work_server_assimilated_workunits_total', help: 'Workunits with a stored canonical result', registers: [registry] }),
    timedOut: new Counter({ name: 'work_server_no_reply_results_total', help: 'Results that passed their deadline', registers: [registry] }),
    primes: new Gauge({ name: 'work_server_primes_counted', help: 'Primes in canonical results', registers: [registry] }),
    leader: new Gauge({ name: 'work_server_daemon_lease_held', help: '1 while this replica holds the daemon lease (runs the periodic daemons)', registers: [registry] }),
    leaseAcquired: new Counter({ name: 'work_server_daemon_lease_acquired_total', help: 'Times this replica took the daemon lease (start-up or handover)', registers: [registry] }),
  };
}

/** The /v1 API, the summary page and the ops endpoints. */
export function createWorkServerApp(opts: WorkServerAppOptions): express.Express {
  const { project, logger } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.use(opsRouter(opts.health, opts.registry));
  const rpcs = opts.registry.getSingleMetric('work_server_rpcs_total') as Counter | undefined;

  const json = express.json({ limit: opts.bodyLimitBytes ?? 256 * 1024, strict: true, type: () => true });

  /**
   * Missing credentials are a 401 (before the schema is checked); then the schema (400 naming the field); then the
   * project authenticates and handles the request in one transaction (401/429 from a ProtocolError, nothing changed).
   */
  function endpoint<S extends z.ZodType>(name: string, schema: S, needsHost: boolean, handle: (body: z.infer<S>) => Promise<unknown>) {
    return async (req: Request, res: Response, next: NextFunction) => {
      const refuse = (err: ProtocolError) => {
        rpcs?.inc({ endpoint: name, status: err.status });
        // refused credentials and rate limits at info (who is knocking), schema errors at debug
        logger[err.code === 'bad_request' ? 'debug' : 'info']({ endpoint: name, status: err.status, error: err.code, reason: err.message, remote: req.socket.remoteAddress }, 'request refused');
        if (err.retryAfterS !== undefined) res.set('Retry-After', String(err.retryAfterS));
        res.status(err.status).json(err.toReply());
      };
      try {
        const body = req.body as Record<string, unknown> | null;
        if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
          if (typeof body['authenticator'] !== 'string') throw unauthorized('authenticator is required');
          if (needsHost && typeof body['host_authenticator'] !== 'string') throw new ProtocolError('unknown_host', 'host_authenticator is required: attach first');
        }
        const parsed = schema.safeParse(body);
        if (!parsed.success) throw new ProtocolError('bad_request', describeZodError(parsed.error));
        const reply = await handle(parsed.data);
        rpcs?.inc({ endpoint: name, status: 200 });
        res.json(reply);
      } catch (err) {
        if (err instanceof ProtocolError) refuse(err);
        else next(err);
      }
    };
  }

  app.post(`${API_PREFIX}/attach`, json, endpoint('attach', AttachRequestSchema, false, (b) => project.attach(b)));
  app.post(`${API_PREFIX}/scheduler`, json, endpoint('scheduler', SchedulerRequestSchema, true, (b) => project.schedule(b)));
  app.get(`${API_PREFIX}/summary`, (_req, res, next) => {
    project.summary().then((s) => res.set('Cache-Control', 'no-store').json(s), next);
  });
  app.get('/', (_req, res, next) => {
    project.summary().then((s) => res.set('Cache-Control', 'no-store').type('html').send(renderSummaryPage(s)), next);
  });
  app.use(API_PREFIX, (req, res) => {
    const err = new ProtocolError('not_found', `no ${req.method} ${API_PREFIX}${req.path}`);
    res.status(err.status).json(err.toReply());
  });

  app.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    let refusal: ProtocolError;
    if (err.type === 'entity.too.large') refusal = new ProtocolError('payload_too_large', `request body over ${opts.bodyLimitBytes ?? 256 * 1024} bytes`);
    else if (err.type === 'entity.parse.failed') refusal = new ProtocolError('bad_request', `body is not valid JSON: ${err.message}`);
    else if (err.status && err.status >= 400 && err.status < 500) refusal = new ProtocolError('bad_request', err.message);
    else {
      logger.error({ err }, 'request failed');
      refusal = new ProtocolError('internal', 'internal error');
    }
    res.status(refusal.status).json(refusal.toReply());
  });
  return app;
}
