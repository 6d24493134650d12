import { mayRun, parseRunMode } from './run-mode';

const at = (h: number, m = 0) => new Date(2026, 0, 1, h, m);

describe('run modes', () => {
  it('always and never', () => {
    expect(mayRun(parseRunMode('always'), at(3))).toBe(true);
    expect(mayRun(parseRunMode('never'), at(3))).toBe(false);
  });
  it('a daily window, also across midnight', () => {
    const day = parseRunMode('window', '08:00-18:30');
    expect([mayRun(day, at(7, 59)), mayRun(day, at(8)), mayRun(day, at(18, 29)), mayRun(day, at(18, 30))]).toEqual([false, true, true, false]);
    const night = parseRunMode('window', '22:00-06:00');
    expect([mayRun(night, at(23)), mayRun(night, at(5, 59)), mayRun(night, at(6)), mayRun(night, at(12))]).toEqual([true, true, false, false]);
  });
  it('refuses bad input with one line', () => {
    expect(() => parseRunMode('sometimes')).toThrow('must be always, never or window');
    expect(() => parseRunMode('window')).toThrow('needs a window');
    expect(() => parseRunMode('window', '8-18')).toThrow('must look like 08:00-18:00');
  });
});
