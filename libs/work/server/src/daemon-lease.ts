import type { Logger } from '@livelab/service-kit';
import { WorkStatements, type LeaseRow } from './statements';
import type { SqlDatabase } from './storage/sql-database';

export interface DaemonLeaseOptions {
  /** this replica's name in the lease row (unique per process) */
  holder: string;
  /** how long a taken lease lasts without renewal; renewed every ttlMs / 3 */
  ttlMs: number;
  logger: Logger;
  now?: () => number;
  /** this replica took the lease over (`previous`: the holder before, if any) */
  onAcquired?(lease: LeaseRow, previous: string | undefined): void;
  /** this replica no longer holds the lease (taken over, renewal failed, or released) */
  onLost?(): void;
}

const NAME = 'daemons';

/**
 * One replica at a time runs the periodic daemons (deadline transitioner, generator cushion), elected by a lease
 * row in the database: a holder and an expiry it renews every ttl/3. When the holder dies, another replica takes
 * the lease after the expiry (within about ttl + ttl/3); a graceful shutdown releases it at once. Correctness
 * does not depend on the lease (every daemon step runs under row locks); it keeps the daemons to one replica, as
 * BOINC runs one of each per project.
 */
export class DaemonLease {
  private heldUntil = 0;
  /** the lease epoch of this replica's current tenure */
  private tenure: number | undefined;
  private lastHolder: string | undefined;
  private readonly now: () => number;

  constructor(
    private readonly db: SqlDatabase,
    private readonly o: DaemonLeaseOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  /** True while this replica holds an unexpired lease (by its own clock, with a margin of ttl/3). */
  get held(): boolean {
    return this.now() < this.heldUntil;
  }

  /** Take or renew the lease; returns whether this replica holds it. A database error counts as losing it. */
  async renew(): Promise<boolean> {
    const started = this.now();
    let lease: LeaseRow;
    try {
      lease = await this.db.transaction((tx) => new WorkStatements(tx, this.db.dialect).tryLease(NAME, this.o.holder, started, this.o.ttlMs));
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'daemon lease renewal failed');
      this.lose();
      return false;
    }
    if (lease.holder !== this.o.holder) {
      this.lose();
      this.lastHolder = lease.holder;
      return false;
    }
    // stop running daemons a third of the lease before it expires, so a slow renewal never overlaps a successor
    this.heldUntil = started + this.o.ttlMs - this.o.ttlMs / 3;
    if (this.tenure !== lease.epoch) {
      this.tenure = lease.epoch;
      const previous = this.lastHolder !== this.o.holder ? this.lastHolder : undefined;
      this.o.logger.info({ holder: this.o.holder, epoch: lease.epoch, previousHolder: previous }, 'daemon lease acquired');
      this.o.onAcquired?.(lease, previous);
    }
    this.lastHolder = lease.holder;
    return true;
  }

  private lose(): void {
    this.heldUntil = 0;
    if (this.tenure === undefined) return;
    this.tenure = undefined;
    this.o.logger.warn({ holder: this.o.holder }, 'daemon lease lost');
    this.o.onLost?.();
  }

  async release(): Promise<void> {
    if (this.tenure === undefined) return;
    this.heldUntil = 0;
    this.tenure = undefined;
    this.o.onLost?.();
    await this.db.transaction((tx) => new WorkStatements(tx, this.db.dialect).releaseLease(NAME, this.o.holder));
    this.o.logger.info({ holder: this.o.holder }, 'daemon lease released');
  }
}
