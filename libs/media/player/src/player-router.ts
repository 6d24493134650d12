// Serves the player page and its browser bundle (hls.js + dash.js + our page code, built by esbuild at build
// time: `npx nx run @livelab/media-player:bundle` → dist/libs/media/player).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { type Router } from 'express';

/** Where the built page lives: an explicit dir, $PLAYER_ASSETS_DIR, next to a bundled app, or the repo's dist/. */
export function findPlayerAssets(explicit?: string): string | undefined {
  const candidates = [
    explicit,
    process.env['PLAYER_ASSETS_DIR'],
    resolve(__dirname, '../../libs/media/player'), // dist/apps/packager/main.js → dist/libs/media/player
    resolve(__dirname, '../../../../dist/libs/media/player'), // running from libs/media/player/src
    resolve(process.cwd(), 'dist/libs/media/player'),
  ].filter((d): d is string => !!d);
  return candidates.find((d) => existsSync(join(d, 'index.html')));
}

export function playerRouter(opts: { assetsDir?: string } = {}): Router {
  const router = express.Router();
  const dir = findPlayerAssets(opts.assetsDir);
  if (!dir) {
    router.get('/', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send('The player page is not built: run `npx nx run @livelab/media-player:bundle` (or `npm start`).\n');
    });
    return router;
  }
  router.get('/', (_req, res) => {
    res.set('Cache-Control', 'no-cache').sendFile(join(dir, 'index.html'));
  });
  router.use(
    '/player',
    express.static(join(dir, 'player'), { index: false, fallthrough: false, setHeaders: (res) => res.set('Cache-Control', 'no-cache') }),
  );
  return router;
}
