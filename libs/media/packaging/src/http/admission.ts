// Graceful overload (issue 16): past a configured capacity new viewers get a quick 503 with Retry-After instead of
// everyone timing out. Two limits: media requests being answered at once (waiting ones included), and viewers —
// clients (address + user agent) that asked for media within the last VIEWER_WINDOW_MS; a client already admitted
// is never refused for the viewer limit, so the viewers who were watching keep watching.
import { VIEWER_WINDOW_MS } from './viewers';

export interface AdmissionLimits {
  /** Distinct clients across every stream (Infinity: no limit). */
  maxViewers: number;
  /** Media requests in flight (Infinity: no limit). */
  maxInFlight: number;
}

export type Shed = 'viewers' | 'in-flight';

export class Admission {
  inFlight = 0;
  private readonly clients = new Map<string, number>(); // client → last seen
  private prunedAt = 0;

  constructor(private readonly limits: AdmissionLimits) {}

  /** undefined: admitted (call `done()` when answered); else why it is shed. */
  admit(client: string): Shed | undefined {
    if (this.inFlight >= this.limits.maxInFlight) return 'in-flight';
    if (Number.isFinite(this.limits.maxViewers)) {
      const now = Date.now();
      if (!this.clients.has(client)) {
        if (this.clients.size >= this.limits.maxViewers) this.prune(now);
        if (this.clients.size >= this.limits.maxViewers) return 'viewers';
      }
      this.clients.set(client, now);
    }
    this.inFlight++;
    return undefined;
  }

  done(): void {
    this.inFlight--;
  }

  /** Clients counted against maxViewers (for metrics). */
  get admitted(): number {
    return this.clients.size;
  }

  private prune(now: number): void {
    if (now - this.prunedAt < 1000) return; // at most once a second under a flood of new clients
    this.prunedAt = now;
    const cutoff = now - VIEWER_WINDOW_MS;
    for (const [k, t] of this.clients) if (t < cutoff) this.clients.delete(k);
  }
}
