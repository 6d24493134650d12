// whoami against real HTTP(S) and WebSocket clients: endpoint behaviour and the exact text layout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import WebSocket from 'ws';
import { ConfigError, silentLogger } from '@livelab/service-kit';
import { createWhoamiServer, parseWhoamiFlags, type WhoamiConfig, type WhoamiServer } from '../src';

jest.setTimeout(60_000);

const identity = { name: 'iamfoo', hostname: 'host-a', ips: ['127.0.0.1', '::1', '10.1.2.3'] };
const base = (over: Partial<WhoamiConfig> = {}): WhoamiConfig => ({
  identity,
  allowEnv: false,
  dataMaxBytes: 64 * 1024 * 1024,
  verbose: false,
  allowedOrigins: '*',
  logger: silentLogger(),
  env: { SECRET_TOKEN: 's3cret', PATH: '/usr/bin' },
  ...over,
});

const servers: WhoamiServer[] = [];
async function start(over: Partial<WhoamiConfig> = {}) {
  const w = createWhoamiServer(base(over));
  servers.push(w);
  await new Promise<void>((r) => w.server.listen(0, '127.0.0.1', () => r()));
  return { ...w, port: (w.server.address() as AddressInfo).port };
}
afterAll(async () => {
  for (const w of servers) {
    w.websockets.close();
    w.server.closeAllConnections?.();
    await new Promise((r) => w.server.close(r));
  }
});

/** Send raw bytes and read the whole response (exact header casing/order as the client wrote them). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}
const bodyOf = (response: string) => response.slice(response.indexOf('\r\n\r\n') + 4);

describe('/ — the request echo', () => {
  it('prints name, hostname, every IP, RemoteAddr, then the request as Go writes it', async () => {
    const { port } = await start();
    const res = await raw(
      port,
      'POST /some/path?x=1&y=2 HTTP/1.1\r\nhost: example.test\r\nx-zeta: last\r\nAccept: */*\r\nx-alpha: 1\r\nX-Alpha: 2\r\n' +
        'User-Agent: curl/8.0\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
    );
    expect(res).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(res).toMatch(/\r\nContent-Type: text\/plain; charset=utf-8\r\n/i);
    const local = /RemoteAddr: 127\.0\.0\.1:(\d+)\n/.exec(bodyOf(res));
    expect(local).not.toBeNull();
    expect(bodyOf(res)).toBe(
      'Name: iamfoo\nHostname: host-a\nIP: 127.0.0.1\nIP: ::1\nIP: 10.1.2.3\n' +
        `RemoteAddr: 127.0.0.1:${local?.[1]}\n` +
        'POST /some/path?x=1&y=2 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: curl/8.0\r\nContent-Length: 5\r\n' +
        'Accept: */*\r\nConnection: close\r\nX-Alpha: 1\r\nX-Alpha: 2\r\nX-Zeta: last\r\n\r\nhello',
    );
  });

  it('writes Go’s default User-Agent when none was sent, and no Content-Length for a bodiless GET', async () => {
    const { port } = await start({ identity: { ...identity, name: undefined } });
    const body = bodyOf(await raw(port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'));
    expect(body).toMatch(/^Hostname: host-a\n/);
    expect(body).toContain('GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: Go-http-client/1.1\r\nConnection: close\r\n\r\n');
    expect(body).not.toContain('Content-Length');
  });

  it('echoes a chunked body as chunked', async () => {
    const { port } = await start();
    const body = bodyOf(
      await raw(port, 'PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'),
    );
    // The response itself is chunked by Node; find the echoed request within it.
    expect(body).toContain('Transfer-Encoding: chunked\r\n');
    expect(body).toContain('5\r\nabcde\r\n0\r\n\r\n');
  });

  it('shows node and pod identity from the downward API when set', async () => {
    const { server } = await start({ identity: { ...identity, node: 'node-2', pod: 'whoami-x1', namespace: 'livelab', podIp: '10.42.0.9' } });
    const res = await request(server).get('/').expect(200);
    expect(res.text).toContain('Node: node-2\nPod: livelab/whoami-x1\nPodIP: 10.42.0.9\nRemoteAddr: ');
    const api = await request(server).get('/api').expect(200);
    expect(api.body).toMatchObject({ node: 'node-2', pod: 'whoami-x1', namespace: 'livelab', podIP: '10.42.0.9' });
  });

  it('?wait= waits (Go duration syntax) and ignores an invalid value', async () => {
    const { server } = await start();
    let t = Date.now();
    await request(server).get('/?wait=300ms').expect(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    t = Date.now();
    await request(server).get('/?wait=soon').expect(200);
    expect(Date.now() - t).toBeLessThan(250);
  });

  it('refuses ?env=true by default, with the reason, and never leaks the environment', async () => {
    const { server } = await start();
    const res = await request(server).get('/?env=true').expect(403);
    expect(res.text).toMatch(/--allow-env/);
    expect(res.text).not.toContain('s3cret');
    const api = await request(server).get('/api?env=true').expect(403);
    expect(JSON.stringify(api.body)).not.toContain('s3cret');
  });

  it('appends KEY=VALUE lines with ?env=true when allowed', async () => {
    const { server } = await start({ allowEnv: true });
    const res = await request(server).get('/?env=true').expect(200);
    expect(res.text.endsWith('\r\n\r\nSECRET_TOKEN=s3cret\nPATH=/usr/bin\n')).toBe(true);
    const api = await request(server).get('/api?env=1').expect(200);
    expect(api.body.environ).toEqual({ PATH: '/usr/bin', SECRET_TOKEN: 's3cret' });
  });
});

describe('/api', () => {
  it('answers traefik’s JSON with fields in order, canonical headers, empty fields left out, CORS', async () => {
    const { server } = await start({ identity: { ...identity, name: undefined } });
    const res = await request(server).get('/api?q=1').set('x-custom', '<a&b>').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(Object.keys(res.body)).toEqual(['hostname', 'ip', 'headers', 'url', 'host', 'method', 'remoteAddr']);
    expect(res.body.headers['X-Custom']).toEqual(['<a&b>']);
    expect(res.body.url).toBe('/api?q=1');
    expect(res.text).toContain('\\u003ca\\u0026b\\u003e'); // Go escapes <, > and & in JSON
    expect(res.text.endsWith('}\n')).toBe(true);
  });
});

describe('/bench', () => {
  it('answers 1 as text/plain with keep-alive', async () => {
    const { port } = await start();
    const res = await raw(port, 'GET /bench HTTP/1.1\r\nHost: h\r\n\r\nGET /bench HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    const [first, second] = res.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\nConnection: keep-alive\r\nContent-Type: text\/plain\r\nDate: [^\r]+\r\nContent-Length: 1\r\n\r\n1$/);
    expect(second).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\nDate: [^\r]+\r\nContent-Length: 1\r\nConnection: close\r\n\r\n1$/);
  });
});

describe('/data', () => {
  it.each([
    ['size=5', '|ABC|'],
    ['size=1', ''],
    ['', ''],
    ['size=-3', ''],
    ['size=abc', ''],
  ])('?%s → %p', async (q, body) => {
    const { server } = await start();
    const res = await request(server).get(`/data?${q}`).expect(200);
    expect(res.text).toBe(body);
  });

  it('streams sizes with units and the right pattern', async () => {
    const { server } = await start();
    const res = await request(server).get('/data?size=2&unit=MB').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    const buf = res.body as Buffer;
    expect(buf.length).toBe(2 * 1024 * 1024);
    expect(buf[0]).toBe(0x7c);
    expect(buf[buf.length - 1]).toBe(0x7c);
    expect(buf.subarray(1, 28).toString()).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ-');
    expect(String.fromCharCode(buf[1_000_000])).toBe('-ABCDEFGHIJKLMNOPQRSTUVWXYZ'[1_000_000 % 27]);
  });

  it('refuses sizes over the maximum with a clear 400', async () => {
    const { server } = await start({ dataMaxBytes: 1024 * 1024 });
    const res = await request(server).get('/data?size=2&unit=MB').expect(400);
    expect(res.text).toMatch(/over the maximum of 1048576 bytes/);
  });

  it('with attachment=true: Content-Disposition and Range requests', async () => {
    const { server } = await start();
    const full = await request(server).get('/data?size=100&attachment=true').expect(200);
    expect(full.headers['content-disposition']).toBe('Attachment');
    expect(full.headers['accept-ranges']).toBe('bytes');
    // traefik's reader seeks to size-1 at its end: ServeContent serves 99 bytes, '|' at both ends.
    expect(full.text).toMatch(/^\|ABC.*P\|$/);
    expect(full.text).toHaveLength(99);
    const part = await request(server).get('/data?size=100&attachment=true').set('Range', 'bytes=0-4').expect(206);
    expect(part.text).toBe('|ABCD');
    expect(part.headers['content-range']).toBe('bytes 0-4/99');
    const tail = await request(server).get('/data?size=100&attachment=true').set('Range', 'bytes=-3').expect(206);
    expect(tail.text).toBe(full.text.slice(-3));
    await request(server).get('/data?size=100&attachment=true').set('Range', 'bytes=200-').expect(416);
  });
});

describe('/health', () => {
  it('answers the stored status, which POST changes; a bad body is 400', async () => {
    const { server } = await start();
    await request(server).get('/health').expect(200);
    await request(server).post('/health').send('503').expect(200);
    await request(server).get('/health').expect(503);
    await request(server).head('/health').expect(503);
    const bad = await request(server).post('/health').send('"teapot"').expect(400);
    expect(bad.text).toBe('json: cannot unmarshal string into Go value of type int\n');
    await request(server).post('/health').send('42').expect(400);
    await request(server).get('/health').expect(503);
  });

  it('has livelab probes and metrics beside it', async () => {
    const { server } = await start();
    await request(server).get('/healthz').expect(200);
    await request(server).get('/readyz').expect(200);
    await request(server).get('/bench');
    const m = await request(server).get('/metrics').expect(200);
    expect(m.text).toMatch(/livelab_whoami_bench_requests_total\{service="whoami"\} 1/);
  });
});

describe('/echo', () => {
  it('echoes WebSocket text and binary messages', async () => {
    const { port } = await start();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const got: Array<{ data: string; binary: boolean }> = [];
    ws.on('message', (d, binary) => got.push({ data: d.toString(), binary }));
    ws.send('hello');
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const deadline = Date.now() + 5000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    ws.close();
    expect(got).toEqual([
      { data: 'hello', binary: false },
      { data: '\u0001\u0002\u0003', binary: true },
    ]);
  });
});

describe('verbose access log', () => {
  it('writes traefik’s access line', async () => {
    const lines: string[] = [];
    const { server } = await start({ verbose: true, accessLog: (l) => lines.push(l) });
    await request(server).get('/api?x=1').expect(200);
    await request(server).get('/hello?y=2').expect(200);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/"GET \/hello HTTP\/1\.1" - -$/);
    expect(lines[0]).toMatch(/^127\.0\.0\.1:\d+ - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/api HTTP\/1\.1" - -$/);
  });
});

describe('TLS', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'whoami-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.ext');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=client');
    ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '1');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const get = (port: number, opts: Record<string, unknown>) =>
    new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/bench', ...opts }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const read = (f: string) => require('node:fs').readFileSync(join(dir, f));

  it('serves HTTPS with TLS 1.2+ and refuses TLS 1.1', async () => {
    const { port } = await start({ tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') } });
    expect(await get(port, { ca: read('ca.crt') })).toEqual({ status: 200, body: '1' });
    await expect(get(port, { ca: read('ca.crt'), maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).rejects.toThrow();
  });

  it('answers an upgrade request that is not a WebSocket handshake as HTTP, and keeps the TLS connection', async () => {
    const { port } = await start({ tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') } });
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: read('ca.crt') });
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    await new Promise((r) => socket.once('secureConnect', r));
    socket.write('GET /other HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    const deadline = Date.now() + 5000;
    while (!got.includes('GET /other') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    socket.write('GET /bench HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    await new Promise((r) => socket.once('end', r));
    expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*GET \/other HTTP\/1\.1\r\n[^]*HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\n[^]*\r\n\r\n1$/);
    socket.destroy();
  });

  it('with a CA, requires a client certificate signed by it (mutual TLS)', async () => {
    const { port } = await start({ tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') } });
    await expect(get(port, { ca: read('ca.crt') })).rejects.toThrow();
    expect(await get(port, { ca: read('ca.crt'), cert: read('client.crt'), key: read('client.key') })).toEqual({ status: 200, body: '1' });
  });
});

describe('flags', () => {
  it('reads traefik’s flags (single or double dash) with env fallbacks', () => {
    expect(parseWhoamiFlags([], { WHOAMI_PORT_NUMBER: '8080', WHOAMI_NAME: 'x' })).toMatchObject({ port: 8080, name: 'x', allowEnv: false, verbose: false });
    expect(parseWhoamiFlags(['-port', '9000', '--name=y', '--verbose', '--allow-env'], {})).toMatchObject({ port: 9000, name: 'y', verbose: true, allowEnv: true });
    expect(parseWhoamiFlags([], {}).port).toBe(80);
    expect(parseWhoamiFlags(['--data-max', '512MB'], {}).dataMaxBytes).toBe(512 * 1024 * 1024);
    expect(parseWhoamiFlags([], {}).wsMaxPayloadBytes).toBe(1024 * 1024);
    expect(parseWhoamiFlags(['-ws-max-payload', '64KB'], {}).wsMaxPayloadBytes).toBe(64 * 1024);
    expect(parseWhoamiFlags([], { WHOAMI_WS_MAX_PAYLOAD: '2MB' }).wsMaxPayloadBytes).toBe(2 * 1024 * 1024);
  });

  it.each([
    [['--port', 'abc'], /invalid port "abc"/],
    [['--port', '70000'], /invalid port "70000"/],
    [['--cert', '/nope.crt'], /--cert and --key go together/],
    [['--cert', '/nope.crt', '--key', '/nope.key'], /--cert \/nope\.crt: file not found/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--data-max', 'lots'], /invalid --data-max="lots"/],
    [['--ws-max-payload', 'big'], /invalid --ws-max-payload="big"/],
  ])('%j → one clear line', (argv, message) => {
    expect(() => parseWhoamiFlags(argv, {})).toThrow(ConfigError);
    expect(() => parseWhoamiFlags(argv, {})).toThrow(message);
  });

  it('rejects a bad WHOAMI_ALLOW_ENV', () => {
    expect(() => parseWhoamiFlags([], { WHOAMI_ALLOW_ENV: 'maybe' })).toThrow(/invalid WHOAMI_ALLOW_ENV="maybe"/);
  });
});
