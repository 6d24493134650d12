// HLS blocking playlist reload (RFC 8216bis §6.2.5.2): a media playlist request with _HLS_msn (and, in low latency,
// _HLS_part) is held until the playlist lists that segment or part, within limits on how far ahead a player may ask.
// This file checks the request and says what to wait for; the waiting is the stream's fan-out (fan-out.ts).
import type { DeliveryDirectives, Mode } from '@livelab/media-contract';
import type { Track } from '../cmaf/cmaf-store';
import { lastListedPart } from '../manifests/hls-playlists';

/** How many parts beyond the playlist's last a player may ask for (RFC 8216bis: the Advance Part Limit). */
export const ADVANCE_PART_LIMIT = 3;

/** Why a request is answered with an error instead of media. */
export interface Refusal {
  status: number;
  error: string;
}

/** What a blocking request waits for: `key` names it (requests with the same key wait together). */
export interface BlockingWait {
  key: string;
  ready: () => boolean;
}

/**
 * What a media playlist request's directives (parsed from its query by @livelab/media-contract's
 * parseDeliveryDirectives) ask for: a refusal, undefined when the playlist is to be sent now, or what to wait for
 * (up to three target durations). A stream shape's grouped view (cmaf/grouped-track.ts) is a snapshot: `current`
 * makes it anew for each check, and `keyPrefix` keeps its waits apart from the stored numbering's.
 */
export function blockingReload(d: DeliveryDirectives, t: Track, mode: Mode, current: () => Track = () => t, keyPrefix = ''): Refusal | BlockingWait | undefined {
  const fail = (status: number, error: string): Refusal => ({ status, error });
  if (d.msn === undefined) return undefined;
  const msn = d.msn;
  const part = mode === 'll' ? d.part : undefined;
  const last = lastListedPart(t);
  const lastMsn = mode === 'll' ? last.msn : (t.lastComplete()?.number ?? -1);
  if (msn > lastMsn + 2) return fail(400, `_HLS_msn=${msn} is too far in the future (the playlist ends at ${lastMsn})`);
  if (part !== undefined && msn === last.msn && part > last.part + ADVANCE_PART_LIMIT) {
    return fail(400, `_HLS_part=${part} is too far in the future (the playlist ends at part ${last.part} of ${last.msn})`);
  }
  if (part === undefined) return { key: `${keyPrefix}msn:${t.id}:${msn}`, ready: () => (current().lastComplete()?.number ?? -1) >= msn };
  return {
    key: `${keyPrefix}part:${t.id}:${msn}:${part}`,
    ready: () => {
      const l = lastListedPart(current());
      return l.msn > msn || (l.msn === msn && l.part >= part);
    },
  };
}

export const isRefusal = (x: Refusal | BlockingWait): x is Refusal => 'status' in x;
