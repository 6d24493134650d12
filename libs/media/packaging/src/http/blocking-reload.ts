// HLS blocking playlist reload (RFC 8216bis §6.2.5.2): a media playlist request with _HLS_msn (and, in low latency,
// _HLS_part) is held until the playlist lists that segment or part, within limits on how far ahead a player may ask.
// This file checks the request and says what to wait for; the waiting is the stream's fan-out (fan-out.ts).
import type { Mode } from '@livelab/media-contract';
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

const one = (q: URLSearchParams, name: string): string | string[] | undefined => {
  const all = q.getAll(name);
  return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
};

/**
 * The query players send (hls.js, Safari, the viewer simulator): `_HLS_msn=<digits>[&_HLS_part=<digits>]`, read
 * without URLSearchParams (issue 16: it was a few µs of every LL-HLS blocking request). Anything else goes through
 * URLSearchParams; for this form both give the same values.
 */
const PLAIN_QUERY = /^_HLS_msn=(\d{1,12})(?:&_HLS_part=(\d{1,4}))?$/;

export function hlsParams(query: string): { msnQ: string | string[] | undefined; partQ: string | string[] | undefined } {
  const m = PLAIN_QUERY.exec(query);
  if (m) return { msnQ: m[1], partQ: m[2] };
  const q = new URLSearchParams(query);
  return { msnQ: one(q, '_HLS_msn'), partQ: one(q, '_HLS_part') };
}

/**
 * Checks a media playlist request's _HLS_msn/_HLS_part (`query`: the URL's query, without `?`): a refusal, undefined
 * when the playlist is to be sent now, or what to wait for (up to three target durations). A stream shape's grouped
 * view (cmaf/grouped-track.ts) is a snapshot: `current` makes it anew for each check, and `keyPrefix` keeps its waits
 * apart from the stored numbering's.
 */
export function blockingReload(query: string, t: Track, mode: Mode, current: () => Track = () => t, keyPrefix = ''): Refusal | BlockingWait | undefined {
  const fail = (status: number, error: string): Refusal => ({ status, error });
  const { msnQ, partQ } = hlsParams(query);
  if (partQ !== undefined && msnQ === undefined) return fail(400, '_HLS_part needs _HLS_msn');
  if (msnQ === undefined) return undefined;
  if (typeof msnQ !== 'string' || !/^\d{1,12}$/.test(msnQ)) return fail(400, '_HLS_msn must be a non-negative integer');
  if (partQ !== undefined && (typeof partQ !== 'string' || !/^\d{1,4}$/.test(partQ))) return fail(400, '_HLS_part must be a non-negative integer');
  const msn = Number(msnQ);
  const part = mode === 'll' && partQ !== undefined ? Number(partQ) : undefined;
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
