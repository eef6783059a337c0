// Usage rows are written off the request path, in batches: at least once a second, at once when
// BATCH rows are waiting, and on shutdown. A crash loses only rows still waiting in memory: those
// of the last second, and never more than BATCH - 1 rows (each write is synchronous and atomic).
import type { Db } from '../db/open.js';
import type { NewUsageRow } from '../db/schema.js';
import { insertUsageRowsNow } from '../db/usage.js';
import type { Log } from '../log.js';

export const BATCH = 100; // small batches: each write blocks the event loop for well under a millisecond
export const FLUSH_MS = 1000;

export class UsageWriter {
  private pending: NewUsageRow[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly log: Log,
    flushMs = FLUSH_MS,
  ) {
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref();
  }

  /** Rows accepted but not yet committed. */
  get unwritten(): number {
    return this.pending.length;
  }

  add(row: NewUsageRow): void {
    this.pending.push(row);
    if (this.pending.length >= BATCH) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      insertUsageRowsNow(this.db, batch);
    } catch (err) {
      if (isConstraint(err)) return this.oneByOne(batch);
      // Keep them for the next tick unless the backlog grows past what we promise to hold.
      if (batch.length + this.pending.length < 10 * BATCH) this.pending = batch.concat(this.pending);
      this.log.error(`writing ${batch.length} usage rows failed`, err);
    }
  }

  /** One row the database refuses (a constraint) must not hold back, or lose, the others. */
  private oneByOne(batch: NewUsageRow[]): void {
    for (const [i, row] of batch.entries()) {
      try {
        insertUsageRowsNow(this.db, [row]);
      } catch (err) {
        if (isConstraint(err)) {
          this.log.error(`dropping a usage row the database refuses (user ${row.user_id}, request ${row.request_id})`, err);
          continue;
        }
        this.pending = batch.slice(i).concat(this.pending);
        this.log.error(`writing ${batch.length - i} usage rows failed`, err);
        return;
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

function isConstraint(err: unknown): boolean {
  return String((err as { code?: unknown })?.code ?? '').startsWith('SQLITE_CONSTRAINT');
}
