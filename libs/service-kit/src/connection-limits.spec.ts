// limitConnections on a plain http.Server (the probe thread's flood test drives it through a worker): who gives way
// when the server is full, and that a socket in a request never does.
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { closeServer, listen } from './http';
import { limitConnections, type ConnectionStats } from './connection-limits';

const open = (port: number, from: string, send: string): Promise<Socket> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from }, () => {
      s.write(send);
      resolve(s);
    });
    s.on('error', () => undefined);
  });
const closed = (s: Socket) => s.destroyed || s.readableEnded;
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('limitConnections', () => {
  let server: Server;
  let port: number;
  let stats: ConnectionStats;
  let release: () => void;

  beforeEach(async () => {
    const held = new Promise<void>((r) => (release = r));
    // /hold answers only when released: its socket is in a request.
    server = createServer((req, res) => void (req.url === '/hold' ? held.then(() => res.end('held')) : res.end('ok')));
    stats = limitConnections(server, { maxConnections: 6, maxPerAddress: 4 });
    port = await listen(server, 0, '127.0.0.1');
  });
  afterEach(async () => {
    release();
    await closeServer(server, 200);
  });

  it('evicts the oldest socket of the address holding the most, never one in a request, and refuses when all are busy', async () => {
    const busy = await open(port, '127.0.2.1', 'GET /hold HTTP/1.1\r\nHost: x\r\n\r\n');
    await settle();
    const a = [await open(port, '127.0.2.1', 'GET / HTTP/1.1\r\n'), await open(port, '127.0.2.1', 'GET / HTTP/1.1\r\n')];
    const b = [await open(port, '127.0.2.2', 'GET / HTTP/1.1\r\n'), await open(port, '127.0.2.2', 'GET / HTTP/1.1\r\n')];
    await settle();
    expect(stats.open()).toBe(5);
    // 127.0.2.1's third fills the server to 6 with the next one.
    const a3 = await open(port, '127.0.2.1', 'GET / HTTP/1.1\r\n');
    const c = await open(port, '127.0.2.3', 'GET / HTTP/1.1\r\n'); // full: 127.0.2.1 holds the most, its oldest idle goes
    await settle();
    expect([closed(busy), closed(a[0]), closed(a[1]), closed(a3), closed(b[0]), closed(c)]).toEqual([false, true, false, false, false, false]);
    expect(stats.open()).toBe(6);
    // Full again: 127.0.2.1 still holds the most (3); then at its cap of 4 its own oldest unfinished socket goes.
    const a4 = await open(port, '127.0.2.1', 'GET / HTTP/1.1\r\n');
    await settle();
    expect([closed(a[1]), closed(a3), closed(a4)]).toEqual([true, false, false]);
    const a5 = await open(port, '127.0.2.1', 'GET / HTTP/1.1\r\n');
    await settle();
    expect([closed(busy), closed(a3), closed(a4), closed(a5), closed(b[0]), closed(c)]).toEqual([false, true, false, false, false, false]);
    expect(stats.dropped()).toBe(3);
    // Every socket of the address in a request: a newcomer from it is refused instead.
    for (const s of [a4, a5]) s.destroy();
    await settle();
    const more: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      more.push(await open(port, '127.0.2.1', 'GET /hold HTTP/1.1\r\nHost: x\r\n\r\n'));
      await settle(); // in a request before the next one comes
    }
    expect(closed(b[0])).toBe(true); // the third found the server full and its own address all busy: another's oldest went
    const refused = await open(port, '127.0.2.1', 'GET / HTTP/1.1\r\n');
    await settle();
    expect([...more.map(closed), closed(refused)]).toEqual([false, false, false, true]);
    expect(stats.dropped()).toBe(5);
    for (const s of more) s.destroy();
    busy.destroy();
    for (const s of [...a, ...b, a3, c, a4, a5]) s.destroy();
  });
});
