// Public API of @livelab/whoami-core: a traefik/whoami-compatible echo service.
export { createWhoamiServer, createWhoamiApp, type WhoamiConfig, type WhoamiServer } from './whoami-server';
export { parseWhoamiFlags, WHOAMI_USAGE, type WhoamiFlags } from './cli';
export { identityFromEnv, interfaceIps } from './identity';
export { formatRequest, formatWhoamiText, formatWhoamiJson, type Identity } from './request-echo';
export { canonicalHeaderKey, parseGoDuration, parseGoBool, goRemoteAddr, goLogTime } from './go-compat';
export { dataStream, dataByteAt, dataLength, DATA_UNITS } from './data-pattern';
export { runWhoami } from './run';
export { attachWebSocketEcho, closeWebSockets, upgradePath, DEFAULT_WS_MAX_PAYLOAD } from './websocket-echo';
