// Bundles the page for the browser: src/browser/main.ts (+ hls.js, dash.js, the timecode decoder) → one ES
// module, plus the HTML and CSS, into dist/libs/media/player. Run by `nx run @livelab/media-player:bundle`.
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../../../dist/libs/media/player');
mkdirSync(join(out, 'player'), { recursive: true });
await build({
  entryPoints: [join(here, 'src/browser/main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  outfile: join(out, 'player/player.js'),
  logLevel: 'warning',
  legalComments: 'linked',
});
cpSync(join(here, 'src/page/index.html'), join(out, 'index.html'));
cpSync(join(here, 'src/page/style.css'), join(out, 'player/style.css'));
console.log(`player bundle written to ${out}`);
