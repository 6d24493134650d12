// Readers waiting for a store to reach some state (a part, a segment, a playable timeline): each waiter is a check
// run on every change of its store, resolved true once it holds, false on timeout or when the store closes. One rule
// for the stream's CmafStore and a ladder's PresentationStore.
export class ReadyWaiters {
  private readonly checks = new Set<() => boolean>();

  constructor(private readonly isClosed: () => boolean) {}

  /** Resolves true once `ready()` holds (checked on every `wake`), false on timeout or close. */
  waitFor(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    if (this.isClosed()) return Promise.resolve(false);
    return new Promise((resolve) => {
      const check = () => {
        if (!this.isClosed() && !ready()) return false;
        clearTimeout(timer);
        this.checks.delete(check);
        resolve(!this.isClosed());
        return true;
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        resolve(false);
      }, timeoutMs);
      this.checks.add(check);
    });
  }

  /** Re-run every waiter's check (after a change or on close). */
  wake(): void {
    for (const check of [...this.checks]) check();
  }
}
