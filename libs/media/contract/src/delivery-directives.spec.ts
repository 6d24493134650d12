// The delivery-directive query is read without URLSearchParams for the form players send; for every query it must
// read what URLSearchParams reads (property-tested: seeded and bounded, queries built from the pieces that matter).
import fc from 'fast-check';
import { deliveryDirectivesQuery, parseDeliveryDirectives, rawDeliveryDirectives } from './delivery-directives';

function viaUrlSearchParams(query: string) {
  const q = new URLSearchParams(query);
  const one = (name: string) => {
    const all = q.getAll(name);
    return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
  };
  return { msn: one('_HLS_msn'), part: one('_HLS_part'), skip: one('_HLS_skip') };
}

const value = fc.oneof(fc.nat({ max: 10 ** 13 }).map(String), fc.constantFrom('', '-1', '1.5', 'x', '%35', '1+2', '00012', '99999', '1e3', 'YES', 'v2', 'yes', 'NO'));
const pair = fc.oneof(
  value.map((v) => `_HLS_msn=${v}`),
  value.map((v) => `_HLS_part=${v}`),
  value.map((v) => `_HLS_skip=${v}`),
  fc.constantFrom('_HLS_skip=YES', 'x=1', '_HLS_msn', '_hls_msn=1', '_HLS_msn%3D1', '_HLS_skip', '', '&'),
);

describe('delivery directives', () => {
  it('are read as URLSearchParams reads them, for any query', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 4 }), fc.boolean(), (pairs, glue) => {
        const query = pairs.join(glue ? '&' : '');
        expect(rawDeliveryDirectives(query)).toEqual(viaUrlSearchParams(query));
      }),
      { seed: 16, numRuns: 800 },
    );
  });

  it('round-trip through the query players send, in hls.js order', () => {
    fc.assert(
      fc.property(fc.option(fc.nat({ max: 10 ** 11 }), { nil: undefined }), fc.option(fc.nat({ max: 9999 }), { nil: undefined }), fc.constantFrom(undefined, 'YES' as const, 'v2' as const), (msn, part, skip) => {
        const d = { msn, part: msn === undefined ? undefined : part, skip };
        const query = deliveryDirectivesQuery(d);
        expect(parseDeliveryDirectives(query)).toEqual(Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)));
      }),
      { seed: 16, numRuns: 300 },
    );
    expect(deliveryDirectivesQuery({ msn: 12, part: 3, skip: 'YES' })).toBe('_HLS_msn=12&_HLS_part=3&_HLS_skip=YES');
  });

  it('refuse what a player must not send, with the reason', () => {
    expect(parseDeliveryDirectives('_HLS_part=1')).toEqual({ error: '_HLS_part needs _HLS_msn' });
    expect(parseDeliveryDirectives('_HLS_msn=-1')).toEqual({ error: '_HLS_msn must be a non-negative integer' });
    expect(parseDeliveryDirectives('_HLS_msn=1&_HLS_msn=2')).toEqual({ error: '_HLS_msn must be a non-negative integer' });
    expect(parseDeliveryDirectives('_HLS_msn=1&_HLS_part=x')).toEqual({ error: '_HLS_part must be a non-negative integer' });
    expect(parseDeliveryDirectives('_HLS_skip=yes')).toEqual({ error: '_HLS_skip must be YES or v2 (once)' });
    expect(parseDeliveryDirectives('_HLS_skip=YES&_HLS_skip=YES')).toEqual({ error: '_HLS_skip must be YES or v2 (once)' });
    expect(parseDeliveryDirectives('_HLS_skip=v2')).toEqual({ skip: 'v2' });
    expect(parseDeliveryDirectives('cdn=1')).toEqual({});
  });
});
