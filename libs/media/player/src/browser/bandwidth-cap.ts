// The throttle's link model (throttle.ts hooks it into the players): one bottleneck shared by every request of the
// page. A response of B bytes whose request started at s is handed over at max(arrived, max(s, linkFreeAt) + 8·B / cap),
// and the link is busy until then; concurrent requests queue behind each other, as on a real bottleneck.
// Times are performance.now() milliseconds; `now` is injectable for tests.
export class BandwidthCap {
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** kbit/s; undefined = no cap. */
  private capKbps?: number;
  private linkFreeAt = 0;
  private readonly listeners = new Set<(kbps: number | undefined) => void>();

  get kbps(): number | undefined {
    return this.capKbps;
  }

  /** Set the cap (kbit/s > 0) or remove it (undefined, 0, NaN). Responses already held keep their hand-over time. */
  set(kbps: number | undefined): void {
    this.capKbps = kbps !== undefined && Number.isFinite(kbps) && kbps > 0 ? kbps : undefined;
    if (!this.capKbps) this.linkFreeAt = 0;
    for (const l of this.listeners) l(this.capKbps);
  }

  onChange(listener: (kbps: number | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * When (this.now() ms) a response of `bytes` whose request started at `startMs` and arrived in full at
   * `arrivedMs` is handed to the player. Books the link until then.
   */
  handOverAt(bytes: number, startMs: number, arrivedMs: number): number {
    return this.book(bytes, startMs, arrivedMs).at;
  }

  /**
   * As handOverAt, and `release()` for a response the player gave up on (an abort) before its hand-over: a real
   * link stops carrying it, so when nothing was booked behind it the link is free again from now.
   */
  book(bytes: number, startMs: number, arrivedMs: number): { at: number; release: () => void } {
    if (!this.capKbps) return { at: arrivedMs, release: () => undefined };
    const begin = Math.max(startMs, this.linkFreeAt);
    const at = Math.max(arrivedMs, begin + (bytes * 8) / this.capKbps); // bits / (kbit/s) = ms
    this.linkFreeAt = at;
    return {
      at,
      release: () => {
        if (this.linkFreeAt === at) this.linkFreeAt = Math.max(begin, Math.min(at, this.now()));
      },
    };
  }
}
