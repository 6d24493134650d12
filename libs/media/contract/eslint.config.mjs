import baseConfig, { browserCode } from '../../../eslint.config.mjs';

// platform:browser: the module-boundaries rule bans server packages; Node builtins are banned here.
export default [...baseConfig, browserCode(['**/*.ts'])];
