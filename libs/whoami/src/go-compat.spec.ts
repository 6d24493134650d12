import { canonicalHeaderKey, goHeaders, goRemoteAddr, parseGoBool, parseGoDuration } from './go-compat';
import { dataByteAt, dataChunkAt } from './data-pattern';
import { decodeGoInt } from './go-json';

describe('Go compatibility helpers', () => {
  it.each([
    ['x-forwarded-for', 'X-Forwarded-For'],
    ['USER-AGENT', 'User-Agent'],
    ['accept', 'Accept'],
    ['x-b3-traceid', 'X-B3-Traceid'],
    ['bad header', 'bad header'],
  ])('canonicalHeaderKey(%s) = %s', (k, v) => expect(canonicalHeaderKey(k)).toBe(v));

  it('groups repeated headers in arrival order', () => {
    expect([...goHeaders(['x-a', '1', 'X-A', '2', 'accept', '*/*'])]).toEqual([
      ['X-A', ['1', '2']],
      ['Accept', ['*/*']],
    ]);
  });

  it.each([
    ['100ms', 100],
    ['1.5s', 1500],
    ['1h2m', 3_720_000],
    ['250us', 0.25],
    ['0', 0],
    ['-1s', -1000],
    ['10', null],
    ['abc', null],
    ['', null],
    ['1x', null],
  ])('parseGoDuration(%p) = %p', (s, ms) => expect(parseGoDuration(s)).toBe(ms));

  it('parses booleans like strconv.ParseBool', () => {
    expect(['1', 't', 'TRUE', 'true', 'True'].map(parseGoBool)).toEqual([true, true, true, true, true]);
    expect(['0', 'f', 'false'].map(parseGoBool)).toEqual([false, false, false]);
    expect(['yes', 'on', undefined].map(parseGoBool)).toEqual([undefined, undefined, undefined]);
  });

  it('prints RemoteAddr like Go', () => {
    expect(goRemoteAddr('::ffff:10.0.0.7', 51234)).toBe('10.0.0.7:51234');
    expect(goRemoteAddr('::1', 80)).toBe('[::1]:80');
  });

  it('makes the traefik /data pattern', () => {
    const body = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => dataByteAt(i, n))).toString();
    expect(body(2)).toBe('||');
    expect(body(5)).toBe('|ABC|');
    expect(body(30)).toBe('|ABCDEFGHIJKLMNOPQRSTUVWXYZ-A|');
  });

  it('slices of the pattern match it byte for byte, across block boundaries', () => {
    const size = 200_000;
    const whole = Buffer.from(Array.from({ length: size }, (_, i) => dataByteAt(i, size)));
    for (const [pos, n] of [[0, 512], [512, 32768], [65_000, 60_000], [size - 10, 10], [1, 1]])
      expect(dataChunkAt(pos, n, size).equals(whole.subarray(pos, pos + n))).toBe(true);
  });
});

describe("Go's json.Decoder into an int (POST /health)", () => {
  it.each([
    ['200', { value: 200 }],
    [' \n 418 trailing', { value: 418 }],
    ['', { error: 'EOF' }],
    ['-', { error: 'unexpected EOF' }],
    ['abc', { error: "invalid character 'a' looking for beginning of value" }],
    ['1.x', { error: "invalid character 'x' after decimal point in numeric literal" }],
    ['1e+', { error: 'unexpected EOF' }],
    ['"200"', { error: 'json: cannot unmarshal string into Go value of type int' }],
    ['[1,]', { error: "invalid character ']' looking for beginning of value" }],
    ['{"a" 1}', { error: "invalid character '1' after object key" }],
    ['{"a":1}', { error: 'json: cannot unmarshal object into Go value of type int' }],
    ['[1 2]', { error: "invalid character '2' after array element" }],
    ['tru', { error: 'unexpected EOF' }],
    ['trx', { error: "invalid character 'x' in literal true (expecting 'u')" }],
    ['2.5', { error: 'json: cannot unmarshal number 2.5 into Go value of type int' }],
    ['null', { value: 0 }],
  ])('%j → %j', (body, expected) => expect(decodeGoInt(Buffer.from(body))).toEqual(expected));
});
