// Public API of @livelab/media-player (node side): the router that serves the page and its bundle.
// The browser code lives in src/browser and is bundled by build.mjs.
export { playerRouter, findPlayerAssets } from './player-router';
export { HLS_CONFIG, DASH_SETTINGS } from './browser/player-settings';
