// The packager app's start-up: a bad configuration value is one clear line and exit 2, no stack trace.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

jest.setTimeout(60_000);
const root = resolve(__dirname, '../../..');
const run = (env: Record<string, string>) =>
  spawnSync('npx', ['tsx', 'apps/packager/src/main.ts'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });

describe('packager configuration', () => {
  it.each([
    [{ HTTP_PORT: 'http' }, /^packager: invalid HTTP_PORT="http": expected a port number 0-65535$/],
    [{ RTMP_PORT: '99999' }, /^packager: invalid RTMP_PORT="99999": expected a port number 0-65535$/],
    [{ PUBLISH_KEY: 'short' }, /^packager: invalid PUBLISH_KEY="short": must be at least 8 characters$/],
    [{ LOG_LEVEL: 'loud' }, /^packager: invalid LOG_LEVEL="loud": expected one of fatal, error/],
    [{ PUBLIC_BASE_URL: 'not a url' }, /^packager: invalid PUBLIC_BASE_URL="not a url": expected an absolute URL/],
    [{ RTMP_MAX_CONNECTIONS_PER_ADDRESS: '0' }, /^packager: invalid RTMP_MAX_CONNECTIONS_PER_ADDRESS="0": must be >= 1$/],
    [{ RTMP_HANDSHAKE_TIMEOUT_MS: 'soon' }, /^packager: invalid RTMP_HANDSHAKE_TIMEOUT_MS="soon": expected an integer$/],
    [{ RTMP_MAX_MEDIA_BYTES: '99999999' }, /^packager: invalid RTMP_MAX_MEDIA_BYTES="99999999": must be <= 16777215$/],
    [{ HTTP_PORT: '8090', PROBE_PORT: '8090' }, /^packager: invalid PROBE_PORT=8090: must differ from HTTP_PORT$/],
    [{ MAX_VIEWERS: 'lots' }, /^packager: invalid MAX_VIEWERS="lots": expected an integer$/],
    [{ DVR_WINDOW_S: '5' }, /^packager: invalid DVR_WINDOW_S="5": must be >= 6$/],
  ])('%j stops the start with one clear line', (env, message) => {
    const r = run(env);
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.trim() && !/npm warn/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
