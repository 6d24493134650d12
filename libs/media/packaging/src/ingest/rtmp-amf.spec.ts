import fc from 'fast-check';
import { AmfError, amfObject, decodeAmf0, encodeAmf0, type AmfValue } from './rtmp-amf';

const SEED = 1101;

const value: fc.Arbitrary<AmfValue> = fc.letrec<{ v: AmfValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constant(null),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), tie('v'), { maxKeys: 5 }).map((d) => Object.assign(amfObject(), d)),
  ),
})).v;

describe('decodeAmf0', () => {
  it('reads back what encodeAmf0 writes (UTF-8 lengths, nested objects)', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 6 }), (values) => {
        expect(decodeAmf0(encodeAmf0(values))).toEqual(values);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('throws only AmfError on any bytes, and never reads past them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeAmf0(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(AmfError);
        }
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('throws only AmfError on mutated real commands', () => {
    const connect = encodeAmf0(['connect', 1, Object.assign(amfObject(), { app: 'live', tcUrl: 'rtmp://h/live', flashVer: 'FMLE/3.0', objectEncoding: 0 })]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(connect.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(connect.length), (edits, cut) => {
        const b = Buffer.from(connect);
        for (const [i, v] of edits) b[i] = v;
        try {
          decodeAmf0(b.subarray(0, cut));
        } catch (e) {
          expect(e).toBeInstanceOf(AmfError);
        }
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it.each([
    ['an unknown marker', Buffer.from([0x02, 0, 1, 0x61, 0x0d]), /unsupported AMF0 type marker 0x0d/],
    ['a truncated string', Buffer.from([0x02, 0, 9, 0x61]), /truncated/],
    ['a strict array claiming 2^32-1 elements', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x05]), /strict array of 4294967295 elements/],
    ['an object without its end marker', Buffer.from([0x03, 0, 1, 0x61, 0x05, 0, 0, 0x05]), /object-end marker/],
    ['a reference', Buffer.from([0x07, 0, 1]), /0x07/],
    ['nesting 100 deep', Buffer.concat([...Array(100).fill(Buffer.from([0x03, 0, 1, 0x61])), Buffer.from([0x05])]), /nesting deeper than 16/],
  ])('refuses %s', (_n, bytes, message) => {
    expect(() => decodeAmf0(bytes)).toThrow(message);
  });

  it('keeps __proto__ a plain key', () => {
    const [o] = decodeAmf0(Buffer.from([0x03, 0, 9, ...Buffer.from('__proto__'), 0x03, 0, 1, 0x61, 0x05, 0, 0, 9, 0, 0, 9]));
    expect(Object.getPrototypeOf(o)).toBeNull();
    expect(Object.keys(o as object)).toEqual(['__proto__']);
  });

  it('reads AMF3 values behind the AVM+ marker (integers, strings with references, dynamic objects)', () => {
    // 0x11 → AMF3 object, dynamic, no sealed members, class "": { a: 5, b: "x", c: "x" } — the last "x" is a
    // reference to string 2 of the table (keys count: "a", "b", "x").
    const bytes = Buffer.from([0x11, 0x0a, 0x0b, 0x01, 0x03, 0x61, 0x04, 0x05, 0x03, 0x62, 0x06, 0x03, 0x78, 0x03, 0x63, 0x06, 0x04, 0x01]);
    expect(decodeAmf0(bytes)).toEqual([Object.assign(amfObject(), { a: 5, b: 'x', c: 'x' })]);
  });
});
