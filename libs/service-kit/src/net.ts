import { connect } from 'node:net';
import { sleep } from './backoff';

/** Can a TCP connection to host:port be opened right now? */
export function tcpPortOpen(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Wait until host:port accepts TCP connections (like an init container's `nc -z` loop). Calls `onWait` about
 * every `logEveryMs` while waiting. Resolves true when open, false when aborted or past `timeoutMs`. `jitter`
 * (0-1) spreads each pause uniformly over intervalMs × [1 − jitter, 1 + jitter], so many waiters do not knock in step.
 */
export async function waitForTcpPort(
  host: string,
  port: number,
  opts: { signal?: AbortSignal; timeoutMs?: number; intervalMs?: number; jitter?: number; onWait?: (waitedMs: number) => void; logEveryMs?: number } = {},
): Promise<boolean> {
  const started = Date.now();
  let lastLog = started;
  while (!opts.signal?.aborted) {
    if (await tcpPortOpen(host, port)) return true;
    const now = Date.now();
    if (opts.timeoutMs !== undefined && now - started > opts.timeoutMs) return false;
    if (opts.onWait && now - lastLog >= (opts.logEveryMs ?? 5000)) {
      lastLog = now;
      opts.onWait(now - started);
    }
    const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0));
    await sleep((opts.intervalMs ?? 250) * (1 - jitter + 2 * jitter * Math.random()), opts.signal);
  }
  return false;
}
