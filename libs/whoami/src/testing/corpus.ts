// The differential corpus: requests sent as exact bytes to traefik/whoami v1.11.0 (captured into golden.json by
// tools/whoami-reference/capture.ts) and replayed against ours by test/reference.test.ts.
import type { Step } from './raw-http';

export interface Group {
  /** A reference process: its flags and its whole environment (the capture runs it under `env -i`). */
  name: string;
  args: string[];
  env: Array<[string, string]>;
  cases: Case[];
}

/** Why our answer differs on purpose; the replay test checks exactly this difference. */
export type Deliberate =
  /** ?env=true is refused (403) unless --allow-env; with it, the answer is the reference's. */
  | 'env-refused-by-default'
  /** Node:/Pod:/PodIP: lines (text) and node/pod/namespace/podIP fields (JSON) from the downward API. */
  | 'downward-identity'
  /** /health refuses codes outside 200–599 (the reference stores them, then misbehaves). */
  | 'health-range'
  /** Node's HTTP parser refuses bytes over 0x7f in the request target: we answer Go's own 400 for what it cannot parse. */
  | 'non-ascii-target'
  /** Go 1.19 writes the body after byte 512 on a HEAD answer without a length (ReadFrom skips the HEAD check): we send none. */
  | 'no-body-on-head';

export interface Case {
  name: string;
  steps: Step[];
  deliberate?: Deliberate;
}

const CRLF = '\r\n';
/** A request: method, target, header lines (exact text), optional body, protocol. */
export function req(method: string, target: string, headers: string[] = ['Host: whoami.test'], body = '', proto = 'HTTP/1.1'): string {
  return `${method} ${target} ${proto}${CRLF}${headers.map((h) => h + CRLF).join('')}${CRLF}${body}`;
}
const H = 'Host: whoami.test';
const close = [H, 'Connection: close'];
const get = (target: string, headers = close): Step => ({ send: req('GET', target, headers) });
const one = (name: string, step: Step, deliberate?: Deliberate): Case => ({ name, steps: [step], deliberate });
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const wsUpgrade = (extra: string[] = [], target = '/echo') =>
  req('GET', target, [H, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${WS_KEY}`, 'Sec-WebSocket-Version: 13', ...extra]);
/** A masked client frame (fixed mask key, so the bytes are the same every run). */
function clientFrame(opcode: number, payload: string): string {
  const key = [1, 2, 3, 4];
  const p = Buffer.from(payload, 'latin1');
  return String.fromCharCode(0x80 | opcode, 0x80 | p.length, ...key, ...[...p].map((b, i) => b ^ key[i & 3]));
}
const health = (code: string): Step => ({ send: req('POST', '/health', [H, `Content-Length: ${Buffer.byteLength(code)}`], code) });

const main: Case[] = [
  // The echo: methods, protocols, connection handling.
  one('get-root-close', get('/', [H, 'User-Agent: curl/8.0.1', 'Accept: */*', 'Connection: close'])),
  { name: 'get-root-keepalive-twice', steps: [get('/', [H, 'User-Agent: a']), get('/again', [H, 'User-Agent: b'])] },
  one('http10-root', { send: req('GET', '/', [H], '', 'HTTP/1.0') }),
  { name: 'http10-keepalive', steps: [{ send: req('GET', '/', [H, 'Connection: keep-alive'], '', 'HTTP/1.0') }, { send: req('GET', '/two', [H, 'Connection: keep-alive'], '', 'HTTP/1.0') }] },
  one('http10-no-host', { send: req('GET', '/nohost', [], '', 'HTTP/1.0') }),
  one('http11-no-host', { send: req('GET', '/', ['Connection: close']) }),
  one('http11-connection-keep-alive-explicit', get('/', [H, 'Connection: keep-alive'])),
  one('head-root', { send: req('HEAD', '/', close), head: true }),
  one('post-sized-body', { send: req('POST', '/post', [H, 'Content-Type: text/plain', 'Content-Length: 11', 'Connection: close'], 'hello world') }),
  { name: 'post-body-512-keepalive', steps: [{ send: req('POST', '/big', [H, 'Content-Length: 1000'], 'x'.repeat(1000)) }, get('/after')] },
  one('post-body-512-close', { send: req('POST', '/big', [H, 'Content-Length: 1000', 'Connection: close'], 'y'.repeat(1000)) }),
  one('post-body-511', { send: req('POST', '/small', [H, 'Content-Length: 511', 'Connection: close'], 'z'.repeat(511)) }),
  // A chunked body of 7000 bytes: its end stays unread after a direct read, and is discarded with the answer's head.
  { name: 'post-chunked-7000-keepalive', steps: [{ send: req('POST', '/c', [H, 'Transfer-Encoding: chunked'], `1b58\r\n${'c'.repeat(7000)}\r\n0\r\n\r\n`) }, get('/after')] },
  // 3000 bytes: the rest comes with a buffer fill that brings the end along.
  { name: 'post-chunked-3000-keepalive', steps: [{ send: req('POST', '/c', [H, 'Transfer-Encoding: chunked'], `bb8\r\n${'d'.repeat(3000)}\r\n0\r\n\r\n`) }, get('/after')] },
  one('post-chunked-7000-close', { send: req('POST', '/c', [H, 'Transfer-Encoding: chunked', 'Connection: close'], `1b58\r\n${'e'.repeat(7000)}\r\n0\r\n\r\n`) }),
  one('post-chunked-body', { send: req('POST', '/chunked', [H, 'Transfer-Encoding: chunked', 'Connection: close'], '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n') }),
  one('post-empty-body', { send: req('POST', '/empty', [H, 'Content-Length: 0', 'Connection: close']) }),
  one('post-no-length', { send: req('POST', '/nolength', close) }),
  one('put-body', { send: req('PUT', '/put', [H, 'Content-Length: 3', 'Connection: close'], 'abc') }),
  one('delete', { send: req('DELETE', '/thing/1', close) }),
  one('patch-body', { send: req('PATCH', '/p', [H, 'Content-Length: 2', 'Connection: close'], '{}') }),
  one('options', { send: req('OPTIONS', '/', close) }),
  one('options-star', { send: req('OPTIONS', '*', close) }),
  one('custom-method', { send: req('PURGE', '/cache', close) }),
  one('expect-100-continue', { send: req('POST', '/continue', [H, 'Expect: 100-continue', 'Content-Length: 4', 'Connection: close'], 'body') }),
  // Headers: casing, repeats, empty values, the ones Go's request writer treats specially.
  one('header-casing', get('/', [H, 'x-lower: 1', 'X-UPPER: 2', 'x-MiXeD-cAsE: 3', 'Connection: close'])),
  one('header-repeated', get('/', [H, 'Accept: text/html', 'X-Multi: 1', 'accept: application/json', 'x-multi: 2', 'X-MULTI: 3', 'Connection: close'])),
  one('header-empty-value', get('/', [H, 'X-Empty:', 'X-Space: ', 'Connection: close'])),
  one('header-padded-value', get('/', [H, 'X-Pad:    padded   ', 'Connection: close'])),
  one('header-underscore-name', get('/', [H, 'x_under_score: u', 'Connection: close'])),
  one('header-sorted-order', get('/', [H, 'Zeta: z', 'Alpha: a', 'Mid: m', 'Connection: close'])),
  one('user-agent-empty', get('/', [H, 'User-Agent:', 'Connection: close'])),
  one('user-agent-missing', get('/', close)),
  one('user-agent-repeated', get('/', [H, 'User-Agent: first', 'User-Agent: second', 'Connection: close'])),
  one('pragma-no-cache', get('/', [H, 'Pragma: no-cache', 'Connection: close'])),
  one('pragma-with-cache-control', get('/', [H, 'Pragma: no-cache', 'Cache-Control: max-age=0', 'Connection: close'])),
  one('connection-tokens', get('/', [H, 'Connection: close, X-Foo', 'X-Foo: bar'])),
  one('http10-connection-first-header-counts', { send: req('GET', '/', [H, 'Connection: x', 'Connection: keep-alive'], '', 'HTTP/1.0') }),
  one('host-with-port', get('/', ['Host: whoami.test:8080', 'Connection: close'])),
  one('content-type-binary-body', { send: req('POST', '/bin', [H, 'Content-Length: 4', 'Connection: close'], '\x00\x01\x02\x03') }),
  one('large-headers-chunked', get('/big', [H, `X-Big: ${'x'.repeat(2500)}`, 'Connection: close'])),
  // Targets and query strings.
  one('query-string', get('/q?a=1&a=2&b=%20x&c')),
  one('query-empty', get('/path?')),
  one('path-percent-encoded', get('/%7euser/%41%2Fb')),
  one('path-raw-utf8', get('/caf\xc3\xa9'), 'non-ascii-target'),
  one('path-invalid-escape', get('/%zz')),
  one('path-invalid-escape-head', { send: req('HEAD', '/%zz', close), head: true }),
  one('star-target-get', get('*')),
  one('header-latin1-value', get('/', [H, 'X-Latin: caf\xe9', 'Connection: close'])),
  one('api-latin1-header', get('/api', [H, 'X-Latin: caf\xe9', 'X-Utf8: caf\xc3\xa9', 'Connection: close'])),
  one('header-multiple-host', get('/', [H, 'Host: second.test', 'Connection: close'])),
  one('absolute-form', get('http://other.test/abs?x=1')),
  one('double-slash-path', get('//double')),
  one('dot-segments', get('/a/../b')),
  one('unknown-deep-path', get('/foo/bar/baz.html')),
  one('routes-are-exact', get('/api/')),
  // ?wait=
  one('wait-100ms', get('/?wait=100ms')),
  one('wait-invalid', get('/?wait=soon')),
  one('wait-negative', get('/?wait=-1s')),
  one('wait-compound', get('/?wait=0.05s')),
  // /api
  one('api', get('/api', [H, 'User-Agent: curl/8.0.1', 'Accept: */*', 'Connection: close'])),
  one('api-query-escaping', get('/api?x=<a&b>', [H, 'X-Html: <b>&amp;</b>', 'Connection: close'])),
  one('api-post-body', { send: req('POST', '/api', [H, 'Content-Length: 2', 'Connection: close'], '{}') }),
  one('api-head', { send: req('HEAD', '/api', close), head: true }),
  one('api-http10', { send: req('GET', '/api', [H], '', 'HTTP/1.0') }),
  // /bench
  one('bench', get('/bench')),
  { name: 'bench-keepalive', steps: [get('/bench', [H]), get('/bench', [H])] },
  one('bench-head', { send: req('HEAD', '/bench', close), head: true }),
  one('bench-http10', { send: req('GET', '/bench', [H], '', 'HTTP/1.0') }),
  // /data: sizes, units, attachments, ranges.
  one('data-default', get('/data')),
  one('data-size-0', get('/data?size=0')),
  one('data-size-1', get('/data?size=1')),
  one('data-size-2', get('/data?size=2')),
  one('data-size-30', get('/data?size=30')),
  one('data-size-negative', get('/data?size=-5')),
  one('data-size-invalid', get('/data?size=abc')),
  one('data-size-511', get('/data?size=511')),
  one('data-size-512', get('/data?size=512')),
  one('data-size-2048', get('/data?size=2048')),
  one('data-size-plus-sign', get('/data?size=+7')),
  one('data-size-overflow', get('/data?size=99999999999999999999')),
  one('data-head-chunked', { send: req('HEAD', '/data?size=3000', close), head: true }, 'no-body-on-head'),
  one('data-attachment-size-0', get('/data?size=0&attachment=true')),
  one('data-attachment-size-1', get('/data?size=1&attachment=true')),
  one('data-range-invalid', get('/data?size=100&attachment=true', [H, 'Range: bytes=5-1', 'Connection: close'])),
  one('data-range-not-bytes', get('/data?size=100&attachment=true', [H, 'Range: items=0-1', 'Connection: close'])),
  one('data-size-3000-chunked', get('/data?size=3000')),
  one('data-unit-kb', get('/data?size=3&unit=KB')),
  one('data-unit-lowercase-kb', get('/data?size=1&unit=kb')),
  one('data-unit-unknown', get('/data?size=10&unit=PB')),
  one('data-http10', { send: req('GET', '/data?size=3000', [H], '', 'HTTP/1.0') }),
  one('data-head', { send: req('HEAD', '/data?size=10', close), head: true }),
  one('data-attachment', get('/data?size=100&attachment=true')),
  one('data-attachment-1', get('/data?size=20&attachment=1')),
  one('data-attachment-invalid', get('/data?size=20&attachment=yes')),
  one('data-range', get('/data?size=100&attachment=true', [H, 'Range: bytes=0-4', 'Connection: close'])),
  one('data-range-suffix', get('/data?size=100&attachment=true', [H, 'Range: bytes=-3', 'Connection: close'])),
  one('data-range-open', get('/data?size=100&attachment=true', [H, 'Range: bytes=95-', 'Connection: close'])),
  one('data-range-unsatisfiable', get('/data?size=100&attachment=true', [H, 'Range: bytes=200-', 'Connection: close'])),
  one('data-range-without-attachment', get('/data?size=10', [H, 'Range: bytes=0-1', 'Connection: close'])),
  one('data-attachment-head', { send: req('HEAD', '/data?size=100&attachment=true', close), head: true }),
  // /health: state changes and bad bodies (one connection, in order).
  {
    name: 'health-state',
    steps: [get('/health', [H]), { send: req('HEAD', '/health', [H]), head: true }, health('503'), get('/health', [H]), { send: req('HEAD', '/health', [H]), head: true }, health('200'), get('/health', [H])],
  },
  one('health-bad-body-word', health('abc')),
  one('health-bad-body-empty', health('')),
  one('health-bad-body-string', health('"200"')),
  one('health-bad-body-float', health('2.5')),
  one('health-bad-body-bool', health('true')),
  one('health-bad-body-array', health('[200]')),
  one('health-bad-body-unterminated', health('-')),
  one('health-bad-body-object', health('{"code": 200}')),
  one('health-bad-body-big', health('99999999999999999999')),
  one('health-bad-body-exponent', health('2e2')),
  one('health-bad-body-literal', health('nul')),
  { name: 'health-null', steps: [health('null'), get('/health', [H])], deliberate: 'health-range' },
  { name: 'health-trailing-garbage', steps: [health('503 please'), get('/health', [H]), health('200')] },
  { name: 'health-whitespace', steps: [health(' \n 418 '), get('/health', [H]), health('200')] },
  { name: 'health-1xx', steps: [health('150'), get('/health', [H]), health('200')], deliberate: 'health-range' },
  one('health-put', { send: req('PUT', '/health', [H, 'Content-Length: 3', 'Connection: close'], '500') }),
  // /echo: WebSocket.
  { name: 'echo-websocket', steps: [{ send: wsUpgrade() }, { send: clientFrame(1, 'hello'), until: 7 }, { send: clientFrame(2, '\x00\xff'), until: 4 }] },
  one('echo-plain-get', get('/echo')),
  { name: 'echo-subprotocol', steps: [{ send: wsUpgrade(['Sec-WebSocket-Protocol: chat, superchat']) }, { send: clientFrame(1, 'hi'), until: 4 }] },
  { name: 'echo-keepalive-after-refusal', steps: [{ send: req('GET', '/echo', [H, 'Upgrade: websocket', 'Connection: Upgrade']) }, get('/after', [H])] },
  one('echo-missing-key', get('/echo', [H, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13'])),
  one('echo-bad-version', get('/echo', [H, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${WS_KEY}`, 'Sec-WebSocket-Version: 8'])),
  one('echo-post', { send: req('POST', '/echo', [H, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${WS_KEY}`, 'Sec-WebSocket-Version: 13', 'Content-Length: 0']) }),
  one('upgrade-elsewhere', { send: wsUpgrade([], '/other') }),
  one('upgrade-target-unclean', { send: wsUpgrade([], '//[') }),
  one('upgrade-target-not-a-url', { send: wsUpgrade([], 'http://[bad/echo') }),
  one('upgrade-dot-segments-to-echo', { send: wsUpgrade([], '/x/../echo') }),
  // Malformed requests.
  one('garbage-request-line', { send: 'GARBAGE\r\n\r\n' }),
  one('header-without-colon', { send: `GET / HTTP/1.1\r\n${H}\r\nnocolon\r\n\r\n` }),
  one('invalid-target', get('http://[bad/echo')),
];

export const corpus: Group[] = [
  { name: 'default', args: [], env: [], cases: main },
  {
    name: 'named',
    args: ['--name', 'iamfoo'],
    env: [],
    cases: [one('named-root', get('/')), one('named-api', get('/api'))],
  },
  {
    name: 'env',
    args: [],
    env: [
      ['FOO', 'bar'],
      ['EMPTY', ''],
      ['WITH_EQUALS', 'a=b=c'],
      ['HTML', '<b>&</b>'],
    ],
    cases: [
      one('env-root', get('/?env=true'), 'env-refused-by-default'),
      one('env-root-1', get('/?env=1'), 'env-refused-by-default'),
      one('env-false', get('/?env=false')),
      one('env-api', get('/api?env=true'), 'env-refused-by-default'),
    ],
  },
  {
    name: 'downward',
    args: [],
    env: [
      ['NODE_NAME', 'node-2'],
      ['POD_NAME', 'whoami-x1'],
      ['POD_NAMESPACE', 'livelab'],
      ['POD_IP', '10.42.0.9'],
    ],
    cases: [one('downward-root', get('/'), 'downward-identity'), one('downward-api', get('/api'), 'downward-identity')],
  },
];
