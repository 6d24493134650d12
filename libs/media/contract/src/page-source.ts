// The page's own query parameters, and `?src=`: open any stream's manifest (not only the packager's), so the page's
// stats and ABR tools (rendition menu, switch log, throttle) work on any HLS or DASH stream the browser can fetch.
import { MEDIA_FILE_PATTERN } from './media-files';
import type { Format, Mode } from './modes';

/**
 * Query parameters of the page: /?stream=<name>&format=hls|dash&mode=ll|standard, or /?src=<manifest URL>; `delay`;
 * `faults`: fault rules the page plays its stream through (docs/faults.md; the packager's streams only).
 */
export const PAGE_PARAMS = { stream: 'stream', format: 'format', mode: 'mode', src: 'src', delay: 'delay', faults: 'faults' } as const;

/** `?delay=<seconds>`: play this far behind the live edge instead of the mode's tuned target (more buffer for ABR). */
export const LIVE_DELAY_RANGE_S = { min: 0.5, max: 30 } as const;

/** The `delay` parameter read back: seconds within LIVE_DELAY_RANGE_S, else undefined (ignored). */
export function parseLiveDelay(raw: string | null): number | undefined {
  if (raw === null || !/^\d{1,2}(\.\d{1,3})?$/.test(raw)) return undefined;
  const s = Number(raw);
  return s >= LIVE_DELAY_RANGE_S.min && s <= LIVE_DELAY_RANGE_S.max ? s : undefined;
}

/** A `src` longer than this is refused (it goes into the address bar and the player's requests). */
export const MAX_SOURCE_URL_LENGTH = 2048;

export type PageSource = { ok: true; url: string; format: Format } | { ok: false; reason: string };

/**
 * Read a `?src=` value: an absolute http(s) URL, or a path resolved against the page's own address (`base`).
 * The format is `format` when given, else read from the path's extension (.m3u8 → HLS, .mpd → DASH).
 * Anything else (javascript:, data:, blob:, file:, an unparseable URL, unknown extension) is refused with a reason.
 */
export function parsePageSource(raw: string, base: string, format?: string | null): PageSource {
  if (!raw) return { ok: false, reason: 'empty src' };
  if (raw.length > MAX_SOURCE_URL_LENGTH) return { ok: false, reason: `src longer than ${MAX_SOURCE_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return { ok: false, reason: 'src is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `only http(s) URLs can be opened, not ${url.protocol}` };
  if (url.username || url.password) return { ok: false, reason: 'src must not carry credentials' };
  if (format === 'hls' || format === 'dash') return { ok: true, url: url.href, format };
  const path = url.pathname.toLowerCase();
  if (path.endsWith('.m3u8')) return { ok: true, url: url.href, format: 'hls' };
  if (path.endsWith('.mpd')) return { ok: true, url: url.href, format: 'dash' };
  return { ok: false, reason: 'cannot tell HLS from DASH: the path should end in .m3u8 or .mpd (or add &format=hls|dash)' };
}

/** The page's address for a packager stream or for a manifest URL. */
export function pageQuery(
  p: ({ stream: string; format: Format; mode: Mode; faults?: string } | { src: string; format: Format; mode?: Mode }) & { delay?: number },
): string {
  const q = new URLSearchParams();
  if ('src' in p) {
    q.set(PAGE_PARAMS.src, p.src);
    q.set(PAGE_PARAMS.format, p.format);
    if (p.mode) q.set(PAGE_PARAMS.mode, p.mode);
  } else {
    q.set(PAGE_PARAMS.stream, p.stream);
    q.set(PAGE_PARAMS.format, p.format);
    q.set(PAGE_PARAMS.mode, p.mode);
    if (p.faults) q.set(PAGE_PARAMS.faults, p.faults);
  }
  if (p.delay !== undefined) q.set(PAGE_PARAMS.delay, String(p.delay));
  return `?${q.toString()}`;
}

/**
 * The rung index a rendition's media URL names, when it follows our file names (media_<k>.m3u8 for HLS): the
 * packager's and the test fixture's ladders do. undefined for any other name.
 */
export function rungOfMediaPlaylistUrl(url: string): number | undefined {
  let name: string;
  try {
    name = new URL(url, 'http://x/').pathname.split('/').pop() ?? '';
  } catch {
    return undefined;
  }
  const m = MEDIA_FILE_PATTERN.exec(name);
  return m && m[2] !== undefined ? Number(m[2]) : undefined;
}
