// whoami's flags, with traefik/whoami's names and environment fallbacks. Go's flag package accepts both -flag
// and --flag, so both work here too. A bad value is one clear line (ConfigError).
import { accessSync, constants } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '@livelab/service-kit';

export interface WhoamiFlags {
  port: number;
  name?: string;
  cert?: string;
  key?: string;
  cacert?: string;
  verbose: boolean;
  allowEnv: boolean;
  dataMaxBytes: number;
  wsMaxPayloadBytes: number;
  allowedOrigins: string;
  help: boolean;
}

export const WHOAMI_USAGE = `Usage: whoami [flags]
  --port <n>             port to listen on (WHOAMI_PORT_NUMBER, default 80)
  --name <name>          name shown in answers (WHOAMI_NAME)
  --cert <file>          TLS certificate (with --key: serve HTTPS, TLS 1.2+)
  --key <file>           TLS private key
  --cacert <file>        CA for client certificates: enforces mutual TLS
  --verbose              access log in traefik's format
  --allow-env            allow ?env=true to show the environment (WHOAMI_ALLOW_ENV; off: it holds secrets)
  --data-max <size>      largest /data body, e.g. 1GB (WHOAMI_DATA_MAX, default 1GB)
  --ws-max-payload <size> largest WebSocket message on /echo, e.g. 1MB (WHOAMI_WS_MAX_PAYLOAD, default 1MB)
  --allowed-origins <o>  CORS origins for /api (WHOAMI_ALLOWED_ORIGINS; default none, as traefik/whoami)
  --help                 this text`;

function parseSize(text: string, what: string): number {
  const m = /^(\d+)\s*(b|kb|mb|gb|tb)?$/i.exec(text.trim());
  if (!m) throw new ConfigError(`invalid ${what}="${text}": expected a size like 1048576, 512MB or 1GB`);
  const mult = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Number(m[1]) * mult;
}

function bool(text: string | undefined, what: string): boolean {
  if (text === undefined || text === '') return false;
  if (/^(1|t|true|yes)$/i.test(text)) return true;
  if (/^(0|f|false|no)$/i.test(text)) return false;
  throw new ConfigError(`invalid ${what}="${text}": expected true or false`);
}

export function parseWhoamiFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): WhoamiFlags {
  const args = argv.map((a) => (/^-[a-z][a-z-]+(=|$)/.test(a) ? `-${a}` : a));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        name: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        cacert: { type: 'string' },
        verbose: { type: 'boolean' },
        'allow-env': { type: 'boolean' },
        'data-max': { type: 'string' },
        'ws-max-payload': { type: 'string' },
        'allowed-origins': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const portText = (values['port'] as string | undefined) ?? (env['WHOAMI_PORT_NUMBER'] || '80');
  if (!/^\d+$/.test(portText) || Number(portText) > 65535)
    throw new ConfigError(`invalid port "${portText}": expected a port number 0-65535`);
  const cert = values['cert'] as string | undefined;
  const key = values['key'] as string | undefined;
  const cacert = values['cacert'] as string | undefined;
  if (!!cert !== !!key) throw new ConfigError('--cert and --key go together: give both to serve HTTPS');
  if (cacert && !cert) throw new ConfigError('--cacert needs --cert and --key (mutual TLS is HTTPS)');
  for (const [flag, file] of [['--cert', cert], ['--key', key], ['--cacert', cacert]] as const) {
    if (!file) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch {
      throw new ConfigError(`${flag} ${file}: file not found or not readable`);
    }
  }
  return {
    port: Number(portText),
    name: (values['name'] as string | undefined) ?? (env['WHOAMI_NAME'] || undefined),
    cert,
    key,
    cacert,
    verbose: values['verbose'] === true,
    allowEnv: values['allow-env'] === true || bool(env['WHOAMI_ALLOW_ENV'], 'WHOAMI_ALLOW_ENV'),
    dataMaxBytes: parseSize((values['data-max'] as string | undefined) ?? (env['WHOAMI_DATA_MAX'] || '1GB'), values['data-max'] ? '--data-max' : 'WHOAMI_DATA_MAX'),
    wsMaxPayloadBytes: parseSize(
      (values['ws-max-payload'] as string | undefined) ?? (env['WHOAMI_WS_MAX_PAYLOAD'] || '1MB'),
      values['ws-max-payload'] ? '--ws-max-payload' : 'WHOAMI_WS_MAX_PAYLOAD',
    ),
    allowedOrigins: (values['allowed-origins'] as string | undefined) ?? (env['WHOAMI_ALLOWED_ORIGINS'] || ''),
    help: values['help'] === true,
  };
}
