// The packager's HTTP app: probes and metrics, the clock (UTCTiming), the stream catalogue API, the media routes
// (with CORS), the player page, and JSON 404s. Listening and draining are the Packager's (packager.ts).
import express from 'express';
import { opsRouter, type HealthState, type Registry } from '@livelab/service-kit';
import { CLOCK_PATH, LIVE_PATH, STREAMS_API_PATH, type StreamList, type StreamSummary } from '@livelab/media-contract';
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
}

export function createHttpApp(opts: HttpAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);
  app.use(opsRouter(opts.health, opts.registry));

  app.use([LIVE_PATH, '/api', CLOCK_PATH], cors);

  app.get(CLOCK_PATH, (_req, res) => {
    res.set('Cache-Control', 'no-store').type('text/plain').send(new Date().toISOString());
  });

  app.get(STREAMS_API_PATH, (_req, res) => {
    const body: StreamList = { streams: opts.listStreams() };
    res.set('Cache-Control', STREAM_LIST_CACHE_CONTROL).json(body);
  });

  app.get(`${LIVE_PATH}/:stream/:file`, (req, res) => void opts.media.serve(req, res));
  app.all(`${LIVE_PATH}/{*rest}`, (_req, res) => {
    res.status(404).json({ error: 'not found: media URLs are /live/<stream>/<file>' });
  });

  if (opts.pageRouter) app.use(opts.pageRouter);
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  return app;
}
