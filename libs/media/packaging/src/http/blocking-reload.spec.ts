// The blocking-reload query is read without URLSearchParams for the form players send; for every query it must read
// what URLSearchParams reads (property-tested: seeded and bounded, queries built from the pieces that matter).
import fc from 'fast-check';
import { hlsParams } from './blocking-reload';

function viaUrlSearchParams(query: string) {
  const q = new URLSearchParams(query);
  const one = (name: string) => {
    const all = q.getAll(name);
    return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
  };
  return { msnQ: one('_HLS_msn'), partQ: one('_HLS_part') };
}

const value = fc.oneof(fc.nat({ max: 10 ** 13 }).map(String), fc.constantFrom('', '-1', '1.5', 'x', '%35', '1+2', '00012', '99999', '1e3'));
const pair = fc.oneof(
  value.map((v) => `_HLS_msn=${v}`),
  value.map((v) => `_HLS_part=${v}`),
  fc.constantFrom('_HLS_skip=YES', 'x=1', '_HLS_msn', '_hls_msn=1', '_HLS_msn%3D1', '', '&'),
);

describe('hlsParams', () => {
  it('reads _HLS_msn and _HLS_part as URLSearchParams does, for any query', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 4 }), (pairs) => {
        const query = pairs.join('&');
        expect(hlsParams(query)).toEqual(viaUrlSearchParams(query));
      }),
      { seed: 16, numRuns: 500 },
    );
  });

  it('reads the plain form players send', () => {
    expect(hlsParams('_HLS_msn=123&_HLS_part=4')).toEqual({ msnQ: '123', partQ: '4' });
    expect(hlsParams('_HLS_msn=123')).toEqual({ msnQ: '123', partQ: undefined });
  });
});
