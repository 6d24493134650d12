import fc from 'fast-check';
import { isStreamName, parsePublishName, rungPublishName } from '@livelab/media-contract';
import { fromNmsName, toNmsName } from './nms-names';

// node-media-server 4.4.3's rule for stream names (rtmp_session.js SAFE_NAME_PATTERN), restated to test against.
const NMS_SAFE = /^[a-zA-Z0-9_-]+$/;

describe('publish names as node-media-server holds them', () => {
  it('maps a rung name to one node-media-server accepts and back; the query is untouched', () => {
    expect(toNmsName('ladder-1~0?key=abc~d')).toBe('ladder-1_RUNG_0?key=abc~d');
    expect(fromNmsName('ladder-1_RUNG_audio')).toBe('ladder-1~audio');
    expect(toNmsName('plain-stream')).toBe('plain-stream');
  });

  it('property: one to one for every valid publish name (no stream name maps onto another)', () => {
    const stream = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/).filter(isStreamName);
    const name = fc.oneof(
      stream,
      fc.tuple(stream, fc.integer({ min: 0, max: 15 })).map(([s, k]) => rungPublishName(s, { kind: 'video', index: k })),
      stream.map((s) => rungPublishName(s, { kind: 'audio' })),
    );
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(parsePublishName(a)).toBeDefined();
        expect(NMS_SAFE.test(toNmsName(a))).toBe(true);
        expect(fromNmsName(toNmsName(a))).toBe(a);
        if (a !== b) expect(toNmsName(a)).not.toBe(toNmsName(b));
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});
