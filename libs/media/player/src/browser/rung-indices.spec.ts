import { rungIndices, switchDirection } from './rung-indices';

describe('rungIndices', () => {
  it('uses the indices the names give when all are there and distinct', () => {
    expect(rungIndices([{ named: 2, bitrate: 200 }, { named: 0, bitrate: 1500 }, { named: 1, bitrate: 600 }])).toEqual([2, 0, 1]);
  });
  it('falls back to the bitrate rank (0 = highest) otherwise', () => {
    expect(rungIndices([{ bitrate: 200 }, { named: 0, bitrate: 1500 }, { named: 1, bitrate: 600 }])).toEqual([2, 0, 1]);
    expect(rungIndices([{ named: 1, bitrate: 200 }, { named: 1, bitrate: 1500 }])).toEqual([1, 0]);
    expect(rungIndices([])).toEqual([]);
  });
});

describe('switchDirection', () => {
  it('reads the bitrates, then the index', () => {
    expect(switchDirection(undefined, 1)).toBe('first');
    expect(switchDirection(0, 2, 1500, 200)).toBe('down');
    expect(switchDirection(2, 0, 200, 1500)).toBe('up');
    expect(switchDirection(2, 1)).toBe('up');
    expect(switchDirection(1, 2)).toBe('down');
  });
});
