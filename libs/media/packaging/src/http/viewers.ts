// Viewer tracking: a viewer is a client (address and user agent) that fetched a stream's init, segment or part within
// the last VIEWER_WINDOW_MS. The client's key comes from the request (client.ts).

export const VIEWER_WINDOW_MS = 10_000;

export class ViewerTracker {
  private readonly viewers = new Map<string, Map<string, number>>(); // stream → client → last seen

  note(stream: string, client: string): void {
    let m = this.viewers.get(stream);
    if (!m) this.viewers.set(stream, (m = new Map()));
    m.set(client, Date.now());
  }

  count(stream: string): number {
    const m = this.viewers.get(stream);
    if (!m) return 0;
    const cutoff = Date.now() - VIEWER_WINDOW_MS;
    for (const [k, t] of m) if (t < cutoff) m.delete(k);
    return m.size;
  }

  /** The stream ended: its viewers are gone. */
  forget(stream: string): void {
    this.viewers.delete(stream);
  }
}
