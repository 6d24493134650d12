import baseConfig, { browserCode } from '../../../eslint.config.mjs';

export default [
  ...baseConfig,
  // The page's browser code lives in a platform:node project (@livelab/media-player also serves the page with an
  // express router), so the tag does not cover src/browser: the same bans, per folder.
  browserCode(['src/browser/**/*.ts'], ['@livelab/media-contract', '@livelab/media-testsignal']),
];
