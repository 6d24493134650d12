// Stream names as node-media-server 4.4.3 holds them. It ends any connection whose stream name has a character
// outside [a-zA-Z0-9_-] (rtmp_session.js SAFE_NAME_PATTERN), and an ABR ladder's rung publishes are named
// <stream>~<rung> (@livelab/media-contract ladder-names.ts). The guard hands it the rung separator as NMS_RUNG_MARK
// (uppercase: no stream name has any, so the mapping is one to one), and the ingest maps names back before anyone
// else sees them.
import { RUNG_SEPARATOR } from '@livelab/media-contract';

export const NMS_RUNG_MARK = '_RUNG_';

/** The name node-media-server is given for a publish or play name (its query, after '?', untouched). */
export function toNmsName(name: string): string {
  const q = name.indexOf('?');
  const path = q < 0 ? name : name.slice(0, q);
  return path.split(RUNG_SEPARATOR).join(NMS_RUNG_MARK) + (q < 0 ? '' : name.slice(q));
}

/** The publish name a node-media-server stream name stands for. */
export const fromNmsName = (name: string): string => name.split(NMS_RUNG_MARK).join(RUNG_SEPARATOR);
