// The packager's HTTP: media routes (/live/*) answered on the raw http.Server before express (media-routes.ts);
// express for the rest — probes and metrics, the clock (UTCTiming), the stream catalogue API (with CORS), the
// player page, and JSON 404s. Probes and metrics also have their own listener on their own thread (service-kit's
// ProbeThread). Listening and draining are the Packager's (packager.ts).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
import { opsRouter, type HealthState, type Registry } from '@livelab/service-kit';
import { CLOCK_PATH, FAULTS_PATH, LIVE_PATH, STREAMS_API_PATH, type StreamList, type StreamSummary } from '@livelab/media-contract';
import { cors } from './cors';
import { STREAM_LIST_CACHE_CONTROL } from './media-files';
import type { MediaRoutes } from './media-routes';

export interface HttpAppOptions {
  health: HealthState;
  registry: Registry;
  /** The playable streams, as /api/streams lists them. */
  listStreams: () => StreamSummary[];
  media: MediaRoutes;
  /** Extra routes mounted at / after the API (the player page). */
  pageRouter?: express.Router;
  /** /faults/<rules>/live/… answered with fault effects (FAULTS_ENABLED); otherwise a 404 naming the setting. */
  faultsEnabled?: boolean;
}

function createExpressApp(opts: HttpAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);
  app.use(opsRouter(opts.health, opts.registry));

  app.use([LIVE_PATH, '/api', CLOCK_PATH, FAULTS_PATH], cors);

  // Only reached when fault injection is off (createHttpApp sends /faults/ to the media routes when it is on).
  app.use(FAULTS_PATH, (_req, res) => {
    res.status(404).json({ error: 'not found: fault injection is off on this packager (set FAULTS_ENABLED=true to enable /faults/<rules>/live/…)' });
  });

  app.get(CLOCK_PATH, (_req, res) => {
    res.set('Cache-Control', 'no-store').type('text/plain').send(new Date().toISOString());
  });

  app.get(STREAMS_API_PATH, (_req, res) => {
    const body: StreamList = { streams: opts.listStreams() };
    res.set('Cache-Control', STREAM_LIST_CACHE_CONTROL).json(body);
  });


  if (opts.pageRouter) app.use(opts.pageRouter);
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  return app;
}

/** The public port's request handler: /live/* on the fast path, everything else through express. */
export function createHttpApp(opts: HttpAppOptions): RequestListener {
  const app = createExpressApp(opts);
  const prefix = `${LIVE_PATH}/`;
  const faults = opts.faultsEnabled ? `${FAULTS_PATH}/` : undefined;
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith(prefix)) opts.media.handle(req, res);
    else if (faults && req.url?.startsWith(faults)) opts.media.handleFaulted(req, res);
    else app(req, res);
  };
}
