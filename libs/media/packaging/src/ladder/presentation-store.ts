// An ABR ladder's presentation as the media routes see it (http/live-stream.ts MediaStore): the tracks of the rungs
// now in the ladder, each from its own rung's CmafStore (one remux per rung publish: one rung's failure or restart
// never stalls another), by the track id in the file names (rung k = track k, audio = LADDER_AUDIO_TRACK). The
// rungs' store events are passed on, and the version goes up on each of them and on every change of membership.
import { EventEmitter } from 'node:events';
import type { CmafStore, Track } from '../cmaf/cmaf-store';
import type { MediaStore } from '../http/live-stream';
import { ReadyWaiters } from '../cmaf/ready-waiters';

const FORWARDED = ['part', 'segment'] as const;

export class PresentationStore extends EventEmitter implements MediaStore {
  version = 0;
  private readonly members = new Map<number, { store: CmafStore; off: () => void }>();
  private readonly waiters = new ReadyWaiters(() => this.closed);
  private closed = false;

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Track `id` of `store` is now in the presentation. */
  add(id: number, store: CmafStore): void {
    this.remove(id);
    const handlers = FORWARDED.map((e) => [e, (...args: unknown[]) => this.emit(e, ...args)] as const);
    const change = () => this.changed();
    for (const [e, h] of handlers) store.on(e, h);
    store.on('change', change);
    this.members.set(id, {
      store,
      off: () => {
        for (const [e, h] of handlers) store.off(e, h);
        store.off('change', change);
      },
    });
    this.changed();
  }

  /** Track `id` leaves the presentation (its rung dropped out or was refused). */
  remove(id: number): void {
    const m = this.members.get(id);
    if (!m) return;
    m.off();
    this.members.delete(id);
    this.changed();
  }

  has(id: number): boolean {
    return this.members.has(id);
  }

  track(id: number): Track | undefined {
    return this.members.get(id)?.store.track(id);
  }

  readyTracks(): Track[] {
    const out: Track[] = [];
    for (const [id, m] of this.members) {
      const t = m.store.track(id);
      if (t?.info) out.push(t);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  bytes(): number {
    let n = 0;
    for (const m of this.members.values()) n += m.store.bytes();
    return n;
  }

  /** Resolves true once `ready()` holds (checked on every change), false on timeout or close. */
  waitFor(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.waiters.waitFor(ready, timeoutMs);
  }

  close(): void {
    if (this.closed) return;
    for (const id of [...this.members.keys()]) this.remove(id);
    this.closed = true;
    this.changed();
  }

  private changed(): void {
    this.version++;
    this.waiters.wake();
    this.emit('change');
  }
}
