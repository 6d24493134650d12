// Fault effects on the packager's own answers (issue 18; the rules and their grammar: @livelab/media-contract
// faults.ts). Delivery effects (delay, throttle, truncate, stall) shape a response by taking over its writeHead/write/
// end: every way the media routes answer — a manifest Buffer, a whole segment, a segment in progress written part by
// part by the fan-out, an error — goes through them, so a stall can land mid-way through a chunked LL-DASH segment and
// a delay on the hinted part or a blocking reload starts when the request does. hang and drop hold or close the socket.
// Manifest effects (stale, skip) are options of the playlist writer (hls-playlists.ts).
//
// What a client can make us hold is bounded: every effect ends by FAULT_LIMITS (hang ≤ 30 s, stall ≤ 30 s, delay
// ≤ 10 s, throttle ≥ 64 kbit/s) and a faulted answer is closed after MAX_FAULTED_MS whatever it is; at most
// `maxFaulted` faulted requests are open at once, at most `maxFaultedPerClient` of them one client's (then 503). A shaped answer's queue holds references to the store's
// Buffers (never copies), so it costs at most one segment's bytes, and only while that answer lives.
// Hand-written: no library shapes a node:http ServerResponse in place (throttle streams wrap a Readable, and our
// answers are not streams).
import type { ServerResponse } from 'node:http';
import type { FaultEffect } from '@livelab/media-contract';

/** A faulted answer is closed after this long, whatever its effect (a throttled segment included). */
export const MAX_FAULTED_MS = 60_000;
/** Faulted requests open at once, by default. */
export const DEFAULT_MAX_FAULTED = 256;
/** Faulted requests one client may have open at once, by default (a share of DEFAULT_MAX_FAULTED). */
export const DEFAULT_MAX_FAULTED_PER_CLIENT = 32;

type DeliveryEffect = Extract<FaultEffect, { kind: 'delay' | 'throttle' | 'truncate' | 'stall' }>;

export const isDeliveryEffect = (e: FaultEffect): e is DeliveryEffect =>
  e.kind === 'delay' || e.kind === 'throttle' || e.kind === 'truncate' || e.kind === 'stall';

/** Throttle writes at most this many bytes at once (about one TCP segment). */
const THROTTLE_SLICE = 1400;

/**
 * Takes over `res`'s writeHead/write/end and applies `effect` to what the routes write: headers and bytes are queued
 * and released when the effect allows. `startedAt`: when the request arrived (a delay counts from it).
 */
export function shapeResponse(res: ServerResponse, effect: DeliveryEffect, startedAt: number): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers: string[]) => ServerResponse;
  const write = res.write.bind(res) as (chunk: Buffer) => boolean;
  const end = res.end.bind(res) as () => ServerResponse;
  let head: { status: number; headers: string[] } | undefined;
  let headSent = false;
  const queue: Buffer[] = [];
  let ending = false;
  let ended = false;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let stallAfter = effect.kind === 'stall' ? effect.after : undefined;
  let stalled = false;
  // Token bucket for the throttle: at most 50 ms of rate (or one slice) saved up, so an idle wait is no burst.
  const rate = effect.kind === 'throttle' ? (effect.kbps * 1000) / 8 / 1000 : 0; // bytes per ms
  const bucket = Math.max(THROTTLE_SLICE, rate * 50);
  let tokens = 0;
  let refilled = 0;

  const later = (ms: number) => {
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, Math.max(1, Math.ceil(ms)));
  };
  res.once('close', () => clearTimeout(timer));

  const pump = (): void => {
    if (timer || ended || res.destroyed) return;
    const now = Date.now();
    if (effect.kind === 'delay' && now < startedAt + effect.ms) return later(startedAt + effect.ms - now);
    if (!head) return;
    if (!headSent) {
      headSent = true;
      refilled = now;
      if (effect.kind === 'stall' && stallAfter === undefined) {
        const at = head.headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'content-length');
        if (at >= 0) stallAfter = Math.floor(Number(head.headers[at + 1]) / 2);
      }
      writeHead(head.status, head.headers);
    }
    while (queue.length) {
      const chunk = queue[0];
      let n = chunk.length;
      if (effect.kind === 'truncate') {
        const left = effect.bytes - sent;
        // Close once what was written has gone out (destroy() now would discard it).
        if (left <= 0) {
          ended = true;
          res.socket?.destroySoon();
          return;
        }
        n = Math.min(n, left);
      } else if (effect.kind === 'stall' && !stalled) {
        // No Content-Length (a segment in progress, chunked): stall after its first chunk (part).
        stallAfter ??= chunk.length;
        const left = stallAfter - sent;
        if (left <= 0) {
          stalled = true;
          return later(effect.ms);
        }
        n = Math.min(n, left);
      } else if (effect.kind === 'throttle') {
        tokens = Math.min(bucket, tokens + (now - refilled) * rate);
        refilled = now;
        const want = Math.min(n, THROTTLE_SLICE);
        if (tokens < want) return later((want - tokens) / rate);
        n = Math.min(n, Math.floor(tokens));
        tokens -= n;
      }
      write(n === chunk.length ? chunk : chunk.subarray(0, n));
      sent += n;
      if (n === chunk.length) queue.shift();
      else queue[0] = chunk.subarray(n);
    }
    if (ending) {
      ended = true;
      end();
    }
  };

  const toBuffer = (c: unknown) => (Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  res.writeHead = ((status: number, headers: string[]) => {
    head = { status, headers };
    pump();
    return res;
  }) as typeof res.writeHead;
  res.write = ((chunk: unknown) => {
    queue.push(toBuffer(chunk));
    pump();
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    if (chunk !== undefined && typeof chunk !== 'function') queue.push(toBuffer(chunk));
    ending = true;
    pump();
    return res;
  }) as typeof res.end;
  Object.defineProperty(res, 'headersSent', { get: () => head !== undefined, configurable: true });
}
