import { lostSegmentEnd, lostSegmentWaitMs, skipLostDashSegments, type LostSegmentPlayer } from './dash-lost-segment';

const lost = (startTime: number, duration: number, type = 'MediaSegment', code = 27) => ({ error: { code, message: 'x is not available', data: { request: { type, startTime, duration } } } });

describe('dash.js and a segment lost for good', () => {
  it('reads the lost media segment from the ERROR event, and nothing else', () => {
    expect(lostSegmentEnd(lost(12, 1))).toBe(13);
    expect(lostSegmentEnd(lost(12, 1, 'InitializationSegment'))).toBeUndefined();
    expect(lostSegmentEnd(lost(12, 1, 'MediaSegment', 25))).toBeUndefined(); // a manifest error
    expect(lostSegmentEnd(lost(Number.NaN, 1))).toBeUndefined();
    expect(lostSegmentEnd({})).toBeUndefined();
    expect(lostSegmentEnd(undefined)).toBeUndefined();
  });

  it('waits until the live target has passed the lost segment (plus a margin), at once when it already has', () => {
    expect(lostSegmentWaitMs(13, 12.5)).toBe(600);
    expect(lostSegmentWaitMs(13, 13.2)).toBe(0);
    expect(lostSegmentWaitMs(13, Number.NaN)).toBe(0);
  });

  it('seeks to the live target once it is past the segment, unless playback got past it meanwhile', () => {
    jest.useFakeTimers();
    try {
      let listener: (e: unknown) => void = () => undefined;
      let now = 12.2;
      const seeks: number[] = [];
      const player: LostSegmentPlayer = {
        on: (_t, l) => (listener = l),
        isDynamic: () => true,
        getDvrWindow: () => ({ end: 13 }),
        getTargetLiveDelay: () => 0.5,
        time: () => now,
        seekToOriginalLive: () => seeks.push(now),
      };
      skipLostDashSegments(player);
      listener(lost(12, 1)); // target 12.5: wait 0.6 s
      jest.advanceTimersByTime(599);
      expect(seeks).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(seeks).toEqual([12.2]);
      listener(lost(14, 1)); // stuck before 15 …
      now = 15.5; // … but playback moved on by itself
      jest.advanceTimersByTime(5000);
      expect(seeks).toEqual([12.2]);
      listener(lost(12, 1, 'InitializationSegment'));
      jest.advanceTimersByTime(5000);
      expect(seeks).toEqual([12.2]);
    } finally {
      jest.useRealTimers();
    }
  });
});
