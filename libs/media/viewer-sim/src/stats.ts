// What simulated viewers measure. A unit (segment, part, DASH chunk) "becomes available" the first time any viewer
// learns of it (a playlist listing it, or its last byte in a chunked response): with many viewers the first of them
// is answered right after the origin has it, so later viewers' lag behind it is the origin's fan-out delay. A unit's
// delivery delay is when its last byte reached this viewer minus the later of that moment and when this viewer
// started asking for it (a polling player cannot know earlier). A miss: delay > the unit's duration, or not
// delivered at all (an error, a shed 503, a unit skipped after falling behind).

const MAX_KEYS = 200_000;
const MAX_SAMPLES = 2_000_000;

export interface StatsSummary {
  delivered: number;
  /** Delivered later than their duration. */
  late: number;
  /** Not delivered: errors, shed answers, skipped units. */
  lost: number;
  /** (late + lost) ÷ (delivered + lost). */
  missRate: number;
  errors: number;
  /** The errors by kind: `<status> <path kind>` for an answer, the error's message for a failed request. */
  errorKinds: Record<string, number>;
  /** 503 answers (an origin shedding load). */
  shed: number;
  requests: number;
  /** Media playlist answers (HLS kinds) and their bytes (bodies only). */
  playlists: number;
  playlistBytes: number;
  p50Ms: number;
  p99Ms: number;
}

export class ViewerStats {
  private readonly firstSeen = new Map<string, number>();
  delivered = 0;
  late = 0;
  lost = 0;
  errors = 0;
  private kinds = new Map<string, number>();
  shed = 0;
  requests = 0;
  playlists = 0;
  playlistBytes = 0;
  private delays: number[] = [];

  /** The first time any viewer saw `key` (recording `at` if this is the first). */
  seen(key: string, at: number): number {
    const t = this.firstSeen.get(key);
    if (t !== undefined) return t;
    if (this.firstSeen.size >= MAX_KEYS) this.firstSeen.clear(); // bounded: old units are not asked for again
    this.firstSeen.set(key, at);
    return at;
  }

  deliver(delayMs: number, durationMs: number): void {
    this.delivered++;
    if (delayMs > durationMs) this.late++;
    if (this.delays.length < MAX_SAMPLES) this.delays.push(delayMs);
  }

  /** Units the viewer did not get. */
  lose(n = 1): void {
    this.lost += n;
  }

  /** Start a measurement window (first-seen times are kept). */
  reset(): void {
    this.delivered = this.late = this.lost = this.errors = this.shed = this.requests = this.playlists = this.playlistBytes = 0;
    this.delays = [];
    this.kinds.clear();
  }

  /** An error of `kind` (bounded: at most 50 kinds are told apart). */
  error(kind: string): void {
    this.errors++;
    const k = this.kinds.has(kind) || this.kinds.size < 50 ? kind : 'other';
    this.kinds.set(k, (this.kinds.get(k) ?? 0) + 1);
  }

  summary(): StatsSummary {
    const d = Float64Array.from(this.delays).sort();
    const q = (p: number) => (d.length ? d[Math.min(d.length - 1, Math.floor(p * d.length))] : NaN);
    const due = this.delivered + this.lost;
    return {
      delivered: this.delivered,
      late: this.late,
      lost: this.lost,
      missRate: due ? (this.late + this.lost) / due : 0,
      errors: this.errors,
      errorKinds: Object.fromEntries(this.kinds),
      shed: this.shed,
      requests: this.requests,
      playlists: this.playlists,
      playlistBytes: this.playlistBytes,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
    };
  }
}
