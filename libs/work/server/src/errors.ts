import { ProtocolError } from '@livelab/work-protocol';

export { ProtocolError };

export const unauthorized = (reason = 'unknown account key') => new ProtocolError('unauthorized', reason);
export const unknownHost = (hostId: number | undefined) =>
  new ProtocolError('unknown_host', `host ${hostId ?? '(none)'} is unknown to this account or its host authenticator is wrong: attach again`);
