// Small pieces of Go's net/http behaviour that traefik/whoami's output inherits, reimplemented.

/** Go's textproto.CanonicalMIMEHeaderKey: "x-forwarded-for" → "X-Forwarded-For"; invalid keys unchanged. */
const canonicalCache = new Map<string, string>();
export function canonicalHeaderKey(key: string): string {
  const cached = canonicalCache.get(key);
  if (cached !== undefined) return cached;
  const canonical = canonicalize(key);
  if (canonicalCache.size < 4096) canonicalCache.set(key, canonical); // header names repeat: a bounded cache
  return canonical;
}
function canonicalize(key: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) return key;
  let upper = true;
  let out = '';
  for (const ch of key) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === '-';
  }
  return out;
}

/** Headers as Go's http.Header: canonical keys, values in arrival order, from Node's rawHeaders. */
export function goHeaders(rawHeaders: string[]): Map<string, string[]> {
  const h = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = canonicalHeaderKey(rawHeaders[i]);
    const list = h.get(key);
    if (list) list.push(rawHeaders[i + 1]);
    else h.set(key, [rawHeaders[i + 1]]);
  }
  return h;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Go's time.ParseDuration, in milliseconds: "100ms", "1.5s", "1h2m", "-3s"; null when invalid
 * (whoami then ignores ?wait=).
 */
export function parseGoDuration(s: string): number | null {
  if (s === '0') return 0;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return null;
  let total = 0;
  for (const part of s.replace(/^[-+]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNITS[part[2]];
  }
  return m[1] === '-' ? -total : total;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string | undefined): boolean | undefined {
  if (s === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** RemoteAddr as Go prints it: "1.2.3.4:5678", "[::1]:5678" (IPv4-mapped IPv6 shown as IPv4). */
export function goRemoteAddr(address: string | undefined, port: number | undefined): string {
  const ip = (address ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return ip.includes(':') ? `[${ip}]:${port ?? 0}` : `${ip}:${port ?? 0}`;
}

/** Go's default access-log time format for whoami --verbose: 02/Jan/2006:15:04:05 -0700 */
export function goLogTime(d = new Date()): string {
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = `${off >= 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
  return `${p(d.getDate())}/${mon}/${d.getFullYear()}:${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone}`;
}
