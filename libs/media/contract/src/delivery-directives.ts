// HLS delivery directives (RFC 8216bis §6.2.5): the query a player adds to a media playlist's URL. `_HLS_msn` (and in
// low latency `_HLS_part`) ask for a blocking reload — the playlist once it lists that segment or part; `_HLS_skip`
// asks for a Playlist Delta Update — the playlist with its older segments replaced by EXT-X-SKIP (offered by the
// playlist's CAN-SKIP-UNTIL). The packager reads them with parseDeliveryDirectives; the viewer simulator and tests
// build them with deliveryDirectivesQuery, in the order hls.js writes them (msn, part, skip).
export const HLS_MSN_PARAM = '_HLS_msn';
export const HLS_PART_PARAM = '_HLS_part';
export const HLS_SKIP_PARAM = '_HLS_skip';

/**
 * `YES`: skip segments; `v2`: skip segments and EXT-X-DATERANGE tags (offered with CAN-SKIP-DATERANGES — we write no
 * date ranges, so a v2 request gets the same delta).
 */
export type HlsSkip = 'YES' | 'v2';

export interface DeliveryDirectives {
  msn?: number;
  part?: number;
  skip?: HlsSkip;
}

/** The query (without `?`) for `d`; empty when it asks for nothing. */
export function deliveryDirectivesQuery(d: DeliveryDirectives): string {
  const q: string[] = [];
  if (d.msn !== undefined) q.push(`${HLS_MSN_PARAM}=${d.msn}`);
  if (d.part !== undefined) q.push(`${HLS_PART_PARAM}=${d.part}`);
  if (d.skip) q.push(`${HLS_SKIP_PARAM}=${d.skip}`);
  return q.join('&');
}

/**
 * The query players send (hls.js, Safari, the viewer simulator), read without URLSearchParams (issue 16: it was a few
 * µs of every LL-HLS blocking request). Anything else goes through URLSearchParams; for this form both read the same.
 */
const PLAIN_QUERY = /^(?:_HLS_msn=(\d{1,12})(?:&_HLS_part=(\d{1,4}))?(?:&_HLS_skip=(YES|v2))?|_HLS_skip=(YES|v2))$/;

/** The raw values of the three directives (a string, several when repeated, or undefined when absent). */
export function rawDeliveryDirectives(query: string): Record<'msn' | 'part' | 'skip', string | string[] | undefined> {
  const m = PLAIN_QUERY.exec(query);
  if (m) return { msn: m[1], part: m[2], skip: m[3] ?? m[4] };
  const q = new URLSearchParams(query);
  const one = (name: string) => {
    const all = q.getAll(name);
    return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
  };
  return { msn: one(HLS_MSN_PARAM), part: one(HLS_PART_PARAM), skip: one(HLS_SKIP_PARAM) };
}

/**
 * The directives of a media playlist request's query (without `?`), or why they are refused (the packager answers
 * 400 with it). Other query parameters are left alone (a player or CDN may add its own).
 */
export function parseDeliveryDirectives(query: string): DeliveryDirectives | { error: string } {
  const raw = rawDeliveryDirectives(query);
  if (raw.part !== undefined && raw.msn === undefined) return { error: `${HLS_PART_PARAM} needs ${HLS_MSN_PARAM}` };
  if (raw.msn !== undefined && (typeof raw.msn !== 'string' || !/^\d{1,12}$/.test(raw.msn))) return { error: `${HLS_MSN_PARAM} must be a non-negative integer` };
  if (raw.part !== undefined && (typeof raw.part !== 'string' || !/^\d{1,4}$/.test(raw.part))) return { error: `${HLS_PART_PARAM} must be a non-negative integer` };
  if (raw.skip !== undefined && raw.skip !== 'YES' && raw.skip !== 'v2') return { error: `${HLS_SKIP_PARAM} must be YES or v2 (once)` };
  const d: DeliveryDirectives = {};
  if (raw.msn !== undefined) d.msn = Number(raw.msn);
  if (raw.part !== undefined) d.part = Number(raw.part);
  if (raw.skip !== undefined) d.skip = raw.skip;
  return d;
}
