import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** A configuration error: one line that names the variable and says what is wrong. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Parse environment variables with a zod object schema whose keys are the variable names.
 * Empty strings count as unset so `FOO=` falls back to the default.
 * Throws a ConfigError naming the first bad variable: `invalid PORT="abc": expected a port number 0-65535`.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === undefined || value.trim() === '' ? undefined : value.trim();
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = String(issue.path[0] ?? '');
  const raw = input[key];
  const shown = raw === undefined ? 'unset' : `"${raw}"`;
  throw new ConfigError(`invalid ${key}=${shown}: ${issue.message}`);
}

/** Common field types for environment variables (strings in, typed values out). */
export const env = {
  port: (fallback: number) =>
    z
      .string()
      .regex(/^\d+$/, 'expected a port number 0-65535')
      .transform(Number)
      .refine((n) => n >= 0 && n <= 65535, 'expected a port number 0-65535')
      .prefault(String(fallback)),
  int: (fallback: number, opts: { min?: number; max?: number } = {}) =>
    z
      .string()
      .regex(/^-?\d+$/, 'expected an integer')
      .transform(Number)
      .refine((n) => opts.min === undefined || n >= opts.min, `must be >= ${opts.min}`)
      .refine((n) => opts.max === undefined || n <= opts.max, `must be <= ${opts.max}`)
      .prefault(String(fallback)),
  number: (fallback: number, opts: { min?: number; max?: number } = {}) =>
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/, 'expected a number')
      .transform(Number)
      .refine((n) => opts.min === undefined || n >= opts.min, `must be >= ${opts.min}`)
      .refine((n) => opts.max === undefined || n <= opts.max, `must be <= ${opts.max}`)
      .prefault(String(fallback)),
  bool: (fallback: boolean) =>
    z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' }))
      .transform((s) => s === 'true' || s === '1' || s === 'yes')
      .prefault(String(fallback)),
  string: (fallback: string) => z.string().default(fallback),
  optionalString: () => z.string().optional(),
  enum: <T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
    z.enum(values, { message: `expected one of ${values.join(', ')}` }).default(fallback as never),
  logLevel: () =>
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'expected one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
};

/**
 * Run `fn` and, on a ConfigError, print the one clear line to stderr and exit 2 (no stack trace).
 * Use in apps' main: `const cfg = configOrExit(() => loadConfig(schema))`.
 */
export function configOrExit<T>(fn: () => T, service = 'service'): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * `NAME` or the content of the file `NAME_FILE` names (a mounted Kubernetes Secret; surrounding whitespace trimmed),
 * from an already loaded config. Throws a ConfigError when both are set, the file cannot be read, or the value is
 * shorter than `minLength`; returns undefined when neither is set.
 */
export function secretOrFile(config: Record<string, unknown>, name: string, minLength = 1): string | undefined {
  const direct = config[name] as string | undefined;
  const file = config[`${name}_FILE`] as string | undefined;
  if (!file) return direct;
  if (direct) throw new ConfigError(`set either ${name} or ${name}_FILE, not both`);
  let value: string;
  try {
    value = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`invalid ${name}_FILE="${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (value.length < minLength) throw new ConfigError(`invalid ${name}_FILE="${file}": the value in it must be at least ${minLength} characters`);
  return value;
}

/**
 * A secret from `NAME` or `NAME_FILE` (a mounted Secret file; trailing newline trimmed). Throws one clear line
 * (a ConfigError, for configOrExit) when both or neither are set: there is never a default. Unlike `secretOrFile`,
 * which reads from a loaded config and lets the caller decide when a secret is missing.
 */
export function readSecret(name: string, env: Env = process.env): string {
  const direct = env[name]?.trim();
  const file = env[`${name}_FILE`]?.trim();
  if (direct && file) throw new ConfigError(`set either ${name} or ${name}_FILE, not both`);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${name}_FILE=${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const value = text.trim();
    if (!value) throw new ConfigError(`${name}_FILE=${file} is empty`);
    return value;
  }
  if (direct) return direct;
  throw new ConfigError(`${name} (or ${name}_FILE) is required and has no default`);
}
