import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, env, loadConfig, readSecret, secretOrFile } from './config';

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

describe('secrets from NAME or NAME_FILE: readSecret, secretOrFile', () => {
  it('readSecret reads a secret from env or a file and has no default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    writeFileSync(join(dir, 'key'), 'from-file\n');
    expect(readSecret('K', { K: 'direct' })).toBe('direct');
    expect(readSecret('K', { K_FILE: join(dir, 'key') })).toBe('from-file');
    expect(() => readSecret('K', {})).toThrow('K (or K_FILE) is required and has no default');
    expect(() => readSecret('K', {})).toThrow(ConfigError);
    expect(() => readSecret('K', { K: 'a', K_FILE: 'b' })).toThrow('not both');
    expect(() => readSecret('K', { K_FILE: join(dir, 'missing') })).toThrow('ENOENT');
  });

  const dir = mkdtempSync(join(tmpdir(), 'secret-or-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file NAME_FILE names, trimmed', () => {
    writeFileSync(join(dir, 'key'), 'from-the-secret-file\n');
    expect(secretOrFile({ PUBLISH_KEY_FILE: join(dir, 'key') }, 'PUBLISH_KEY', 8)).toBe('from-the-secret-file');
  });
  it('returns NAME when no file is given, undefined when neither', () => {
    expect(secretOrFile({ PUBLISH_KEY: 'direct-value' }, 'PUBLISH_KEY')).toBe('direct-value');
    expect(secretOrFile({}, 'PUBLISH_KEY')).toBeUndefined();
  });
  it('refuses both, an unreadable file and a too short value, naming the variable', () => {
    writeFileSync(join(dir, 'short'), 'abc\n');
    expect(() => secretOrFile({ PUBLISH_KEY: 'x', PUBLISH_KEY_FILE: join(dir, 'key') }, 'PUBLISH_KEY')).toThrow('set either PUBLISH_KEY or PUBLISH_KEY_FILE, not both');
    expect(() => secretOrFile({ PUBLISH_KEY_FILE: join(dir, 'nope') }, 'PUBLISH_KEY')).toThrow(/invalid PUBLISH_KEY_FILE=".*nope": ENOENT/);
    expect(() => secretOrFile({ PUBLISH_KEY_FILE: join(dir, 'short') }, 'PUBLISH_KEY', 8)).toThrow(ConfigError);
  });
});
