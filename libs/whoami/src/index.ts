// Public API of @livelab/whoami-core: a traefik/whoami-compatible echo service.
export { createWhoamiServer, parseGoRange, ENV_REFUSED, type WhoamiConfig, type WhoamiServer } from './whoami-server';
export { parseWhoamiFlags, WHOAMI_USAGE, type WhoamiFlags } from './cli';
export { identityFromEnv, interfaceIps } from './identity';
export { formatRequest, formatWhoamiText, formatWhoamiJson, identityLines, goJson, type Identity } from './request-echo';
export { goRequest, goQuery, parseGoTarget, cleanPath, type GoRequest } from './go-request';
export { GoResponse, GoHeader, goConnInfo, detectContentType, GO_STATUS_TEXT } from './go-response';
export { decodeGoInt } from './go-json';
export { canonicalHeaderKey, parseGoDuration, parseGoBool, goRemoteAddr, goLogTime } from './go-compat';
export { dataByteAt, dataChunkAt } from './data-pattern';
export { runWhoami } from './run';
export { attachWebSocketEcho, closeWebSockets, gorillaRefusal, DEFAULT_WS_MAX_PAYLOAD } from './websocket-echo';
