// Per stream, what many viewers wait for at once, released in one pass when the store changes (issue 16): requests
// grouped by what they wait for (a blocking playlist reload for msn/part, a hinted part, the next segment) are all
// answered in the store's 'change' handler, one after another with no promise per request; readers of a segment in
// progress get each new part in one write each. Manifests are rendered once per store version and kept as Buffers.
// A sweep every 200 ms times out waiters and idle readers (3 s / 5 s: the exact moment does not matter).
import type { ServerResponse } from 'node:http';
import type { Part, Segment } from '../cmaf/cmaf-store';
import type { MediaStore } from './live-stream';

const SWEEP_MS = 200;

interface Waiter {
  deadline: number;
  /** true: what it waited for is there; false: timed out or the stream ended. */
  fire: (ok: boolean) => void;
}

interface Group {
  ready: () => boolean;
  waiters: Waiter[];
}

export interface SegmentReader {
  res: ServerResponse;
  sent: number;
  bytes: number;
  lastAt: number;
  done: (bytes: number) => void;
  /**
   * Called instead of ending the answer when the segment completes (a stream shape's grouped segment goes on with its
   * next stored segment); `done` is then not called.
   */
  then?: (bytes: number) => void;
}

export class StreamFanOut {
  private readonly groups = new Map<string, Group>();
  private readonly readers = new Map<Segment, Set<SegmentReader>>();
  private readonly manifests = new Map<string, { version: number; body: Buffer }>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly store: MediaStore) {
    store.on('part', (_t, seg: Segment, part: Part) => this.onPart(seg, part));
    store.on('segment', (_t, seg: Segment) => this.endReaders(seg, true));
    store.on('change', () => this.release());
    this.sweep = setInterval(() => this.expire(), SWEEP_MS);
    this.sweep.unref();
  }

  /** A manifest rendered at most once per store version (key: what it depends on besides the store). */
  manifest(key: string, render: () => string): Buffer {
    const hit = this.manifests.get(key);
    if (hit && hit.version === this.store.version) return hit.body;
    const body = Buffer.from(render());
    this.manifests.set(key, { version: this.store.version, body });
    return body;
  }

  /**
   * Calls `fire(true)` once `ready()` holds (at once if it does), `fire(false)` after `timeoutMs` or when the stream
   * ends. Requests with the same `key` wait for the same thing and are checked once per change.
   */
  wait(key: string, ready: () => boolean, timeoutMs: number, fire: (ok: boolean) => void): void {
    if (this.store.isClosed) return fire(false);
    if (ready()) return fire(true);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { ready, waiters: [] }));
    g.waiters.push({ deadline: Date.now() + timeoutMs, fire });
  }

  /** Sends each part of `seg` to `reader.res` as it arrives (parts before `reader.sent` already went). */
  read(seg: Segment, reader: SegmentReader): void {
    let set = this.readers.get(seg);
    if (!set) this.readers.set(seg, (set = new Set()));
    set.add(reader);
    reader.res.once('close', () => {
      if (set.delete(reader) && set.size === 0) this.readers.delete(seg);
    });
  }

  private release(): void {
    const closed = this.store.isClosed;
    if (closed) clearInterval(this.sweep);
    for (const [key, g] of this.groups) {
      if (!closed && !g.ready()) continue;
      this.groups.delete(key);
      for (const w of g.waiters) w.fire(!closed);
    }
    if (closed) for (const seg of [...this.readers.keys()]) this.endReaders(seg, false);
  }

  private onPart(seg: Segment, part: Part): void {
    const set = this.readers.get(seg);
    if (!set) return;
    const now = Date.now();
    for (const r of set) {
      if (r.sent !== part.index) continue; // joined after this part was written to it
      r.sent++;
      r.bytes += part.data.length;
      r.lastAt = now;
      r.res.write(part.data);
    }
  }

  private endReaders(seg: Segment, complete: boolean): void {
    const set = this.readers.get(seg);
    if (!set) return;
    this.readers.delete(seg);
    for (const r of set) {
      if (complete) {
        for (const c of seg.tail) {
          r.bytes += c.length;
          r.res.write(c);
        }
        if (r.then) {
          r.then(r.bytes);
          continue;
        }
      }
      r.res.end();
      r.done(r.bytes);
    }
  }

  private expire(): void {
    const now = Date.now();
    for (const [key, g] of this.groups) {
      const due = g.waiters.filter((w) => w.deadline <= now);
      if (!due.length) continue;
      g.waiters = g.waiters.filter((w) => w.deadline > now);
      if (!g.waiters.length) this.groups.delete(key);
      for (const w of due) w.fire(false);
    }
    for (const [seg, set] of this.readers) {
      for (const r of set) {
        if (now - r.lastAt < 5000) continue;
        set.delete(r);
        r.res.end();
        r.done(r.bytes);
      }
      if (!set.size) this.readers.delete(seg);
    }
  }
}
