import fc from 'fast-check';
import { isStreamName, STREAM_NAME_PATTERN } from './stream-name';

describe('the stream-name rule', () => {
  it.each(['bars-720p30', 'seed-768p60', 'e2e-360p30', 'a', '0', 'a.b_c-d', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(isStreamName(name)).toBe(true);
  });

  it.each([
    '',
    '.',
    '..',
    '.hidden',
    '-a',
    '_a',
    'a/b',
    '../a',
    'a\\b',
    '%2e%2e',
    'a%2fb',
    'Bars',
    'a b',
    'a\n',
    'a?key=x',
    'x'.repeat(65),
    'ü',
  ])('rejects %j', (name) => {
    expect(isStreamName(name)).toBe(false);
    expect(STREAM_NAME_PATTERN.test(name)).toBe(false);
  });

  it('a valid name is one path element and needs no URL encoding', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (s) => {
        if (!isStreamName(s)) return;
        expect(encodeURIComponent(s)).toBe(s);
        expect(s).not.toMatch(/^\.\.?$|\//);
      }),
    );
  });
});
