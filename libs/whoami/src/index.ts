// Public API of @livelab/whoami-core: traefik/whoami-compatible request echo: text and JSON formatting, /data, /health state.
export {};
