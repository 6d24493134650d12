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
  function endpoint<S extends z.ZodType>(name: string, schema: S, needsHost: boolean, handle: (body: z.infer<S>) => unknown) {
    return (req: Request, res: Response) => {
      const refuse = (status: number, error: string, reason: string) => {
        rpcs?.inc({ endpoint: name, status });
        // refused credentials and rate limits at info (who is knocking), schema errors at debug
        logger[status === 400 ? 'debug' : 'info']({ endpoint: name, status, error, reason, remote: req.socket.remoteAddress }, 'request refused');
        res.status(status).json({ error, reason });
      };
      try {
        const body = req.body as Record<string, unknown> | null;
        if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
          if (typeof body['authenticator'] !== 'string') throw unauthorized('authenticator is required');
          if (needsHost && typeof body['host_authenticator'] !== 'string') throw new ProtocolError(401, 'unknown_host', 'host_authenticator is required: attach first');
        }
        const parsed = schema.safeParse(body);
        if (!parsed.success) return refuse(400, 'bad_request', describeZodError(parsed.error));
        const reply = handle(parsed.data);
        rpcs?.inc({ endpoint: name, status: 200 });
        res.json(reply);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        if (err.retryAfterS !== undefined) res.set('Retry-After', String(err.retryAfterS));
        refuse(err.status, err.code, err.message);
      }
    };
  }

  app.post(`${API_PREFIX}/attach`, json, endpoint('attach', AttachRequestSchema, false, (b) => project.attach(b)));
  app.post(`${API_PREFIX}/scheduler`, json, endpoint('scheduler', SchedulerRequestSchema, true, (b) => project.schedule(b)));
  app.get(`${API_PREFIX}/summary`, (_req, res) => {
    res.set('Cache-Control', 'no-store').json(project.summary());
  });
  app.get('/', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('html').send(renderSummaryPage(project.summary()));
  });
  app.use(API_PREFIX, (req, res) => {
    res.status(404).json({ error: 'not_found', reason: `no ${req.method} ${API_PREFIX}${req.path}` });
  });

  app.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') {
      res.status(413).json({ error: 'payload_too_large', reason: `request body over ${opts.bodyLimitBytes ?? 256 * 1024} bytes` });
    } else if (err.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'bad_request', reason: `body is not valid JSON: ${err.message}` });
    } else if (err.status && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: 'bad_request', reason: err.message });
    } else {
      logger.error({ err }, 'request failed');
      res.status(500).json({ error: 'internal', reason: 'internal error' });
    }
  });
  return app;
}
