import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config';

const schema = z.object({
  PORT: env.port(8080),
  WORKERS: env.int(2, { min: 1, max: 64 }),
  VERBOSE: env.bool(false),
  MODE: env.enum(['a', 'b'] as const, 'a'),
  NAME: env.optionalString(),
});

describe('loadConfig', () => {
  it('applies defaults for unset and empty variables', () => {
    expect(loadConfig(schema, { PORT: '' })).toEqual({ PORT: 8080, WORKERS: 2, VERBOSE: false, MODE: 'a' });
  });

  it('parses typed values', () => {
    expect(loadConfig(schema, { PORT: '0', WORKERS: '8', VERBOSE: 'TRUE', MODE: 'b', NAME: 'x' })).toEqual({
      PORT: 0,
      WORKERS: 8,
      VERBOSE: true,
      MODE: 'b',
      NAME: 'x',
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'invalid PORT="abc": expected a port number 0-65535'],
    [{ PORT: '70000' }, 'invalid PORT="70000": expected a port number 0-65535'],
    [{ WORKERS: '0' }, 'invalid WORKERS="0": must be >= 1'],
    [{ VERBOSE: 'maybe' }, 'invalid VERBOSE="maybe": expected true or false'],
    [{ MODE: 'c' }, 'invalid MODE="c": expected one of a, b'],
  ])('rejects %j with one clear line', (input, message) => {
    expect(() => loadConfig(schema, input)).toThrow(new ConfigError(message));
  });
});
