import { createServer } from 'node:net';
import { tcpPortOpen, waitForTcpPort } from './net';

describe('waitForTcpPort', () => {
  it('sees a listening port, waits for a late one, and gives up at the timeout', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    expect(await tcpPortOpen('127.0.0.1', port)).toBe(true);
    await new Promise<void>((r) => server.close(() => r()));
    expect(await tcpPortOpen('127.0.0.1', port)).toBe(false);

    const late = createServer();
    setTimeout(() => late.listen(port, '127.0.0.1'), 300);
    expect(await waitForTcpPort('127.0.0.1', port, { intervalMs: 50, timeoutMs: 10_000 })).toBe(true);
    await new Promise<void>((r) => late.close(() => r()));

    expect(await waitForTcpPort('127.0.0.1', port, { intervalMs: 50, timeoutMs: 200 })).toBe(false);
  });
});
