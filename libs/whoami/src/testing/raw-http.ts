// Exact-bytes HTTP over raw sockets, shared by the reference capture (tools/whoami-reference/capture.ts) and the
// replay test: send each step of a case on one connection, read until that step's answer is complete.
import { connect } from 'node:net';

/** One write and what to wait for: a whole HTTP response (HEAD-aware), a number of raw bytes, or the close. */
export interface Step {
  send: string; // latin1
  until?: 'response' | 'close' | number;
  head?: boolean; // the request is HEAD: its response has no body
}

export interface Outcome {
  /** Everything received, latin1. */
  received: string;
  /** Whether the server had closed the connection 150 ms after the last step's answer. */
  closed: boolean;
}

/** Length of the first complete HTTP response in `buf` (1xx interim answers included), or -1. */
export function responseLength(buf: Buffer, head = false): number {
  let start = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', start);
    if (end < 0) return -1;
    const headText = buf.subarray(start, end).toString('latin1');
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(headText)?.[1] ?? 0);
    const bodyStart = end + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      start = bodyStart; // interim answer: the real one follows
      continue;
    }
    if (head || status === 204 || status === 304 || status === 101) return bodyStart;
    if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(headText)) {
      let p = bodyStart;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p);
        if (lineEnd < 0) return -1;
        const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16);
        if (size === 0) {
          const trailerEnd = buf.indexOf('\r\n', lineEnd + 2);
          return trailerEnd < 0 ? -1 : trailerEnd + 2;
        }
        p = lineEnd + 2 + size + 2;
        if (p > buf.length) return -1;
      }
    }
    const cl = /\r\ncontent-length: *(\d+)/i.exec(headText);
    if (cl) return buf.length >= bodyStart + Number(cl[1]) ? bodyStart + Number(cl[1]) : -1;
    return -2; // body runs to the close
  }
}

export function runSteps(port: number, steps: Step[], timeoutMs = 5000): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let consumed = 0;
    let closed = false;
    let index = -1;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: buf.toString('latin1'), closed });
    };
    const settle = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, closed ? 0 : 150);
    };
    const complete = (): boolean => {
      const step = steps[index];
      const until = step.until ?? 'response';
      const rest = buf.subarray(consumed);
      if (until === 'close') return closed;
      if (typeof until === 'number') {
        if (rest.length < until) return closed;
        consumed += until;
        return true;
      }
      const n = responseLength(rest, step.head);
      if (n === -2 || n === -1) return closed;
      consumed += n;
      return true;
    };
    const next = () => {
      while (index < 0 || complete()) {
        index++;
        if (index >= steps.length || closed) return settle();
        clearTimeout(timer);
        timer = setTimeout(finish, timeoutMs);
        socket.write(Buffer.from(steps[index].send, 'latin1'));
        return;
      }
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (index < steps.length) next();
    });
    socket.on('close', () => {
      closed = true;
      if (index < steps.length) next();
      else finish();
    });
    socket.on('error', () => undefined);
    socket.on('connect', next);
  });
}

/** What must differ between two runs: dates, client ports. Applied to the reference's and our answers alike. */
export function normalise(text: string): string {
  return text
    .replace(/\r\n(Date|Last-Modified): [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/g, '\r\n$1: {{DATE}}')
    .replace(/127\.0\.0\.1:\d{4,5}\b/g, '127.0.0.1:{{PORT}}');
}
