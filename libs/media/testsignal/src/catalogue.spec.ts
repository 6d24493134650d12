import { DEFAULT_CATALOGUE, parseCatalogue, selectStreams } from './catalogue';

describe('stream catalogue', () => {
  it('has the four default streams', () => {
    expect(DEFAULT_CATALOGUE.map((s) => `${s.name} ${s.width}x${s.height}@${s.fps}`)).toEqual([
      'bars-720p30 1280x720@30',
      'motion-1080p30 1920x1080@30',
      'seed-768p60 1024x768@60',
      'low-360p30 640x360@30',
    ]);
  });

  it('parses a JSON catalogue with defaults for bitrates', () => {
    expect(parseCatalogue('[{"name":"a","pattern":"testsrc2","width":320,"height":240,"fps":25}]')).toEqual([
      { name: 'a', pattern: 'testsrc2', width: 320, height: 240, fps: 25, videoBitrateKbps: 3000, audioBitrateKbps: 128 },
    ]);
  });

  it.each([
    ['nope', /^stream catalogue is not valid JSON/],
    ['[]', /^stream catalogue: stream catalogue is empty$/],
    ['[{"name":"Bad Name","pattern":"testsrc2","width":320,"height":240,"fps":25}]', /^stream catalogue \[0.name\]: name must be/],
    ['[{"name":"a","pattern":"testsrc2","width":321,"height":240,"fps":25}]', /\[0.width\]: width must be even/],
    ['[{"name":"a","pattern":"plasma","width":320,"height":240,"fps":25}]', /\[0.pattern\]: pattern must be smptehdbars or testsrc2/],
    ['[{"name":"a","pattern":"testsrc2","width":320,"height":240,"fps":25},{"name":"a","pattern":"testsrc2","width":320,"height":240,"fps":25}]', /duplicate name "a"/],
  ])('rejects %s with one clear line', (json, message) => {
    expect(() => parseCatalogue(json)).toThrow(message);
  });

  it('selects streams by name and names unknown ones', () => {
    expect(selectStreams(DEFAULT_CATALOGUE, 'low-360p30, bars-720p30').map((s) => s.name)).toEqual(['bars-720p30', 'low-360p30']);
    expect(selectStreams(DEFAULT_CATALOGUE, '')).toHaveLength(4);
    expect(() => selectStreams(DEFAULT_CATALOGUE, 'nope')).toThrow(/^unknown stream nope \(known: bars-720p30,/);
  });
});
