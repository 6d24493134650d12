import type { ErrorCode } from '@livelab/work-protocol';

/** A refusal the HTTP layer turns into `status {error: code, reason}` (plus `Retry-After` when set). */
export class ProtocolError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 429,
    readonly code: ErrorCode,
    reason: string,
    readonly retryAfterS?: number,
  ) {
    super(reason);
  }
}

export const unauthorized = (reason = 'unknown account key') => new ProtocolError(401, 'unauthorized', reason);
export const unknownHost = (hostId: number | undefined) =>
  new ProtocolError(401, 'unknown_host', `host ${hostId ?? '(none)'} is unknown to this account or its host authenticator is wrong: attach again`);
