import fc from 'fast-check';
import { LADDER_AUDIO_TRACK, MAX_RUNGS, parsePublishName, rungPublishName, rungTrack, type Rung } from './ladder-names';

describe('ladder publish names', () => {
  it('reads plain streams and rungs', () => {
    expect(parsePublishName('bars-720p30')).toEqual({ stream: 'bars-720p30' });
    expect(parsePublishName('ladder-1080p30~0')).toEqual({ stream: 'ladder-1080p30', rung: { kind: 'video', index: 0 } });
    expect(parsePublishName('ladder-1080p30~15')).toEqual({ stream: 'ladder-1080p30', rung: { kind: 'video', index: 15 } });
    expect(parsePublishName('ladder-1080p30~audio')).toEqual({ stream: 'ladder-1080p30', rung: { kind: 'audio' } });
  });

  it.each(['', '~0', 'a~', 'a~16', 'a~01', 'a~-1', 'a~0~1', 'a~Audio', 'A~0', '..~0', 'a~1.5', 'a~ 1'])('rejects %j', (name) => {
    expect(parsePublishName(name)).toBeUndefined();
  });

  it('round-trips every rung, and rung tracks never collide', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
        fc.oneof(fc.integer({ min: 0, max: MAX_RUNGS - 1 }).map((index): Rung => ({ kind: 'video', index })), fc.constant<Rung>({ kind: 'audio' })),
        (stream, rung) => {
          expect(parsePublishName(rungPublishName(stream, rung))).toEqual({ stream, rung });
        },
      ),
      { seed: 7, numRuns: 200 },
    );
    const tracks = new Set([...Array.from({ length: MAX_RUNGS }, (_, index) => rungTrack({ kind: 'video', index })), LADDER_AUDIO_TRACK]);
    expect(tracks.size).toBe(MAX_RUNGS + 1);
  });
});
